/**
 * Every series the agent exposes, with its cumulative value. Values arrive two ways: as the absolute
 * contents of a BPF map for the running bpftrace (kernel counts, which start again from 0 with every
 * attempt) and as increments the agent records itself (events it decodes, its own metrics). A new
 * attempt folds the previous attempt's last read into the base, so counters never go backwards
 * across a bpftrace or bitcoind restart.
 *
 * The recording methods take a metric of the right kind and exactly its labels: observing a counter,
 * or adding without the labels a metric declares, does not compile.
 */
import { type KeyOfKind, type LabelValues, METRICS, type MetricKey } from '../../probes/metrics.js';

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Counters: [value]. Histograms: [count per bucket..., +Inf count, sum]. Gauges: [value]. */
  readonly base: number[];
  /** The running attempt's kernel values, per map entry that feeds this series. */
  readonly now: Map<string, number[]>;
  /** Gauges and histograms appear once they have a value; counters from their creation. */
  seen: boolean;
}

function width(metric: MetricKey): number {
  const def = METRICS[metric];
  return def.kind === 'histogram' ? (def.buckets?.length ?? 0) + 2 : 1;
}

function addInto(target: number[], values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) target[i] = (target[i] as number) + (values[i] as number);
}

export class MetricStore {
  private readonly series = new Map<MetricKey, Map<string, Series>>();

  constructor(private readonly node: string) {
    for (const key of Object.keys(METRICS) as MetricKey[]) this.series.set(key, new Map());
  }

  /** The series of a metric with these labels (node added where the metric declares it), created on first use. */
  get(metric: MetricKey, labels: Readonly<Record<string, string>>): Series {
    const def = METRICS[metric];
    const all: Record<string, string> = def.labels.includes('node' as never)
      ? { ...labels, node: this.node }
      : { ...labels };
    const id = def.labels.map((l) => all[l] ?? '').join('\u0000');
    const bySeries = this.series.get(metric) as Map<string, Series>;
    let s = bySeries.get(id);
    if (!s) {
      s = { labels: all, base: new Array(width(metric)).fill(0), now: new Map(), seen: def.kind === 'counter' };
      bySeries.set(id, s);
    }
    return s;
  }

  add<K extends KeyOfKind<'counter'>>(metric: K, labels: LabelValues<K>, value: number): void {
    const s = this.get(metric, labels);
    (s.base[0] as number) += value;
  }

  /** `sum` is what the observation adds to the histogram's sum, when it differs from the value (a ratio in millionths). */
  observe<K extends KeyOfKind<'histogram'>>(metric: K, labels: LabelValues<K>, value: number, sum = value): void {
    const s = this.get(metric, labels);
    const bounds = METRICS[metric].buckets;
    let b = bounds.findIndex((bound) => value <= bound);
    if (b === -1) b = bounds.length;
    (s.base[b] as number)++;
    (s.base[bounds.length + 1] as number) += sum;
    s.seen = true;
  }

  set<K extends KeyOfKind<'gauge'>>(metric: K, labels: LabelValues<K>, value: number): void {
    const s = this.get(metric, labels);
    s.base[0] = value;
    s.now.clear();
    s.seen = true;
  }

  /** A counter whose total another process keeps (bitcoind's byte counts): its value is that total. */
  setTotal<K extends KeyOfKind<'counter'>>(metric: K, labels: LabelValues<K>, value: number): void {
    const s = this.get(metric, labels);
    s.base[0] = value;
    s.now.clear();
  }

  /** One less, never below 0, and nothing before a value was set: as the kernel does it. */
  decrement<K extends KeyOfKind<'gauge'>>(metric: K, labels: LabelValues<K>, by: number): void {
    const s = this.get(metric, labels);
    if (s.seen && (s.base[0] as number) > 0) s.base[0] = Math.max(0, (s.base[0] as number) - by);
  }

  /**
   * Where one BPF map entry of the running bpftrace writes: a setter for one slot of a series (a
   * counter's value, a histogram's bucket or sum), taking the entry's absolute value for this attempt.
   * A gauge takes it as its value. Made once per entry, so a map read costs one call per line.
   */
  kernelSlot(
    metric: MetricKey,
    labels: Readonly<Record<string, string>>,
    entry: string,
    slot: number,
  ): (value: number) => void {
    const s = this.get(metric, labels);
    if (METRICS[metric].kind === 'gauge') {
      return (value) => {
        s.base[0] = value;
        s.seen = true;
      };
    }
    let now = s.now.get(entry);
    if (!now) {
      now = new Array(s.base.length).fill(0);
      s.now.set(entry, now);
    }
    const slots = now;
    const histogram = METRICS[metric].kind === 'histogram';
    return (value) => {
      slots[slot] = value;
      if (histogram) s.seen = true;
    };
  }

  /** Every series of a metric gone: an info metric whose labels changed. */
  clear(metric: MetricKey): void {
    this.series.get(metric)?.clear();
  }

  /** A new bpftrace attempt: its maps start from 0, so what the last one counted becomes the base. */
  newAttempt(): void {
    for (const bySeries of this.series.values()) {
      for (const s of bySeries.values()) {
        for (const now of s.now.values()) {
          addInto(s.base, now);
          now.fill(0);
        }
      }
    }
  }

  /** The value of each slot: base plus every kernel entry of the running attempt. */
  values(s: Series): number[] {
    const out = [...s.base];
    for (const now of s.now.values()) addInto(out, now);
    return out;
  }

  /** The series of a metric that have something to show. */
  *shown(metric: MetricKey): Iterable<Series> {
    for (const s of (this.series.get(metric) as Map<string, Series>).values()) if (s.seen) yield s;
  }
}
