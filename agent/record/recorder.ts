/**
 * Decoded items into the metric store: BPF map entries (kernel counts) and events (the updates that
 * travel per event), both as the catalogue says; plus the agent's own metrics.
 */
import {
  EVENT_TYPES,
  type Formats,
  type KnownLabel,
  type LabelSource,
  TRACEPOINTS,
  type Tracepoint,
  type Update,
} from '../../probes/catalogue.js';
import {
  ERROR_TYPES,
  type ErrorType,
  METRICS,
  type MetricDef,
  type MetricKey,
  SEVERITIES,
  type Severity,
} from '../../probes/metrics.js';
import {
  type Aggregation,
  type ConnectTimeUnit,
  connectTimeDivisor,
  divisorOf,
  EVENTS_MAP,
  knownIndex,
  knownValue,
  labelOrder,
  metricMaps,
  OUT_OF_RANGE_MAP,
  peerLabelOf,
  unprintBuffer,
} from '../../probes/protocol.js';
import { type EventFields, stripNul } from '../decode/decoder.js';
import type { Logger } from '../log.js';
import { labelValue, logSafe, OVERFLOW_PEER, PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

export interface RecorderOptions {
  node: string;
  connectTimeUnit: ConnectTimeUnit;
  peerLabelLimit: number;
  verbose: boolean;
  version: string;
  bitcoindPath: string;
  aggregation: Aggregation;
}

/** How a map's entries become series: which metric, which update says how its keys read. */
interface MapReader {
  metric: MetricKey;
  update?: Update;
  /** Histogram bucket counts (last key the bucket), or sums. */
  part: 'value' | 'buckets' | 'sum';
}

/** Label values from the indices the kernel put in a map key; a peer label takes `peer`. */
function labelsFromKeys(update: Update | undefined, keys: readonly number[], peer?: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!update) return labels;
  const peerLabel = peerLabelOf(update);
  labelOrder(update)
    .filter((name) => name !== peerLabel)
    .forEach((name, i) => {
      const source = (update.labels as Record<string, KnownLabel<string>>)[name] as KnownLabel<string>;
      labels[name] = knownValue(source, keys[i] ?? -1);
    });
  if (peerLabel) labels[peerLabel] = peer ?? OVERFLOW_PEER;
  return labels;
}

const INTEGER_KEYS = /^-?[0-9]{1,20}(?:, -?[0-9]{1,20})*$/;

export class Recorder {
  private readonly peers: PeerLabels;
  private readonly maps = new Map<string, MapReader>();
  private readonly divisor: number;
  private readonly formats: Formats;
  /** Each map entry seen in this run of the agent -> where its value goes. */
  private readonly entries = new Map<string, ((value: number) => void) | null>();

  constructor(
    private readonly store: MetricStore,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.divisor = connectTimeDivisor(options.connectTimeUnit);
    this.peers = new PeerLabels(options.peerLabelLimit, () => this.error('peer_label_overflow'));
    this.formats = {
      text: (bytes) => logSafe(labelValue(bytes)),
      connectTimeSeconds: (raw) => raw / this.divisor,
      label: (source, bytes) => knownValue(source, knownIndex(source, bytes.toString('latin1'))),
    };
    const updates = options.aggregation === 'kernel' ? TRACEPOINTS.flatMap((t) => t.updates) : [];
    for (const update of updates) {
      const maps = metricMaps(update.metric);
      if ('observe' in update) {
        this.maps.set(maps.values, { metric: update.metric, update, part: 'buckets' });
        this.maps.set(maps.sums, { metric: update.metric, update, part: 'sum' });
      } else this.maps.set(maps.values, { metric: update.metric, update, part: 'value' });
    }
    // Series start at 0 so rate() and increase() work from the first scrape, and a dashboard shows 0
    // rather than "no data" on a node that has not relayed a block yet.
    for (const t of TRACEPOINTS) {
      for (const u of t.updates) if ('add' in u && !u.labels) store.get(u.metric, {});
    }
    for (const eventType of EVENT_TYPES) store.add('eventsProcessed', { event_type: eventType }, 0);
    for (const errorType of ERROR_TYPES) store.add('errors', { error_type: errorType }, 0);
    for (const severity of SEVERITIES) store.add('slowBlocks', { severity }, 0);
    store.add('eventsLost', {}, 0);
    store.set('startTime', {}, Date.now() / 1000);
    store.set('info', { version: options.version, node_name: options.node, bitcoind_path: options.bitcoindPath }, 1);
    this.setUp(true);
    this.setProbesAttached(0);
  }

  /**
   * One BPF map entry, as the running bpftrace printed it. Every read prints every entry again, so
   * each entry is worked out once (its series, its slot) and later lines only set a number.
   */
  mapEntry(map: string, key: string, value: number): void {
    const id = `${map}[${key}`;
    let set = this.entries.get(id);
    if (set === undefined) {
      set = this.resolve(map, key);
      this.entries.set(id, set);
    }
    set?.(value);
  }

  /** Where an entry's value goes; null for a map no metric reads (the program's own @dirty flag). */
  private resolve(map: string, key: string): ((value: number) => void) | null {
    const entry = `${map}[${key}]`;
    const reader = this.maps.get(map);
    const peer = reader?.update && peerLabelOf(reader.update) && reader.part === 'value';
    let keys: number[];
    let printedPeer: string | undefined;
    if (peer) {
      // Integer keys first, then the buffer, which may itself hold ", ".
      const known = labelOrder(reader.update as Update).length - 1;
      const parts = key.split(', ');
      keys = parts.slice(0, known).map(Number);
      printedPeer = parts.slice(known).join(', ');
      if (keys.some((k) => !Number.isInteger(k))) return null;
    } else {
      if (key !== '' && !INTEGER_KEYS.test(key)) return null;
      keys = key === '' ? [] : key.split(', ').map(Number);
    }
    if (map === EVENTS_MAP) {
      const t = TRACEPOINTS[keys[0] ?? -1];
      return t ? this.store.kernelSlot('eventsProcessed', { event_type: t.eventType }, entry, 0) : null;
    }
    if (map === OUT_OF_RANGE_MAP) return this.store.kernelSlot('errors', { error_type: 'value_out_of_range' }, map, 0);
    if (!reader) return null;
    if (reader.part === 'value') {
      if (printedPeer === undefined)
        return this.store.kernelSlot(reader.metric, labelsFromKeys(reader.update, keys), entry, 0);
      // Past --peer-label-limit a peer counts as "other", and each of its deliveries as an overflow.
      const label = this.peers.admit(stripNul(unprintBuffer(printedPeer)));
      const counted = this.store.kernelSlot(
        reader.metric,
        labelsFromKeys(reader.update, keys, label ?? OVERFLOW_PEER),
        entry,
        0,
      );
      if (label !== undefined) return counted;
      const overflow = this.store.kernelSlot('errors', { error_type: 'peer_label_overflow' }, entry, 0);
      return (value) => {
        counted(value);
        overflow(value);
      };
    }
    const buckets = (METRICS[reader.metric] as MetricDef).buckets?.length ?? 0;
    if (reader.part === 'sum') {
      const divisor = divisorOf(reader.update as Update, this.divisor);
      const sum = this.store.kernelSlot(reader.metric, labelsFromKeys(reader.update, keys), entry, buckets + 1);
      return (value) => sum(value / divisor);
    }
    const bucket = keys.at(-1) ?? -1;
    if (bucket < 0 || bucket > buckets) return null;
    return this.store.kernelSlot(reader.metric, labelsFromKeys(reader.update, keys.slice(0, -1)), entry, bucket);
  }

  /** A new bpftrace attempt: its maps start from 0; what the last one counted is kept. */
  newAttempt(): void {
    this.store.newAttempt();
  }

  /** One decoded event: with --aggregation events its updates and its count; the --verbose line. */
  event(t: Tracepoint, event: EventFields): void {
    if (this.options.aggregation === 'events') {
      for (const update of t.updates) this.apply(update, event);
      this.store.add('eventsProcessed', { event_type: t.eventType }, 1);
    }
    if (this.options.verbose && t.describe) this.log.info(t.describe(event as never, this.formats));
  }

  private label(source: LabelSource<string>, event: EventFields): string {
    const bytes = event[source.arg] as Buffer;
    if ('peer' in source) return this.peers.label(bytes);
    return knownValue(source, knownIndex(source, bytes.toString('latin1')));
  }

  /** The same arithmetic as the generated probe body, on one event. */
  private apply(update: Update, event: EventFields): void {
    const labels: Record<string, string> = {};
    const sources = (update.labels ?? {}) as Record<string, LabelSource<string>>;
    for (const name of labelOrder(update)) labels[name] = this.label(sources[name] as LabelSource<string>, event);
    // The catalogue's types made sure each update names a metric of its kind with all its labels.
    const store = this.store as unknown as Record<
      'add' | 'observe' | 'set',
      (m: MetricKey, l: object, v: number) => void
    >;
    if ('add' in update) {
      store.add.call(this.store, update.metric, labels, update.add === 1 ? 1 : (event[update.add] as number));
      return;
    }
    const value = event['observe' in update ? update.observe : update.set] as number;
    if (value < 0 && update.negative) {
      if (update.negative === 'out_of_range') this.error('value_out_of_range');
      return;
    }
    if ('set' in update) {
      store.set.call(this.store, update.metric, labels, value);
      return;
    }
    if (update.zero === 'skip' && value === 0) return;
    store.observe.call(this.store, update.metric, labels, value / divisorOf(update, this.divisor));
  }

  error(type: ErrorType, count = 1): void {
    this.store.add('errors', { error_type: type }, count);
  }

  /** A block the journal marked slow. */
  slowBlock(severity: Severity): void {
    this.store.add('slowBlocks', { severity }, 1);
  }

  lost(count: number): void {
    this.store.add('eventsLost', {}, count);
  }

  setUp(up: boolean): void {
    this.store.set('up', {}, up ? 1 : 0);
  }

  setProbesAttached(count: number): void {
    this.store.set('probesAttached', {}, count);
  }

  get distinctPeers(): number {
    return this.peers.size;
  }
}
