/**
 * Decoded items into the metric store: BPF map entries (kernel counts) and events (the updates that
 * travel per event), both as the catalogue says; plus the agent's own metrics.
 */
import {
  type Comparison,
  type Formats,
  type LabelSource,
  type Pack,
  selectedTracepoints,
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
  allKeysMap,
  bytesLabelOf,
  divisorOf,
  EVENTS_MAP,
  epochKeyed,
  JOURNAL_SKIPPED_MAP,
  labelOrder,
  labelValues,
  metricMaps,
  OUT_OF_RANGE_MAP,
  observedArgs,
  peerLabelOf,
  RATIO_NUMERATOR_MAX,
  RATIO_SCALE,
  sourceValue,
  unprintBuffer,
} from '../../probes/protocol.js';
import type { BuildInfo } from '../../probes/releases.js';
import { type EventFields, stripNul } from '../decode/decoder.js';
import type { Logger } from '../log.js';
import { labelValue, logSafe, OVERFLOW_PEER, PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

export interface RecorderOptions {
  node: string;
  peerLabelLimit: number;
  verbose: boolean;
  version: string;
  bitcoindPath: string;
  aggregation: Aggregation;
  /** Undefined: the default selection. */
  packs?: readonly Pack[];
}

/** How a map's entries become series: which metric, which update says how its keys read. */
interface MapReader {
  metric: MetricKey;
  update?: Update;
  /** Histogram bucket counts (last key the bucket), or sums. */
  part: 'value' | 'buckets' | 'sum';
}

/** Label values from the indices the kernel put in a map key; a peer label takes `peer`. Undefined: no such value. */
function labelsFromKeys(
  update: Update | undefined,
  keys: readonly number[],
  peer?: string,
): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (!update) return labels;
  const peerLabel = peerLabelOf(update);
  const bytesLabel = bytesLabelOf(update);
  const names = labelOrder(update).filter((name) => name !== bytesLabel);
  for (const [i, name] of names.entries()) {
    const value = labelValues(update.metric, name)[keys[i] ?? -1];
    if (value === undefined) return undefined;
    labels[name] = value;
  }
  if (peerLabel) labels[peerLabel] = peer ?? OVERFLOW_PEER;
  return labels;
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

/** A map entry: the epoch it belongs to (maps kept per epoch), and where its value goes. */
interface Entry {
  epoch?: 0 | 1;
  apply: (value: number) => void;
}

const INTEGER_KEYS = /^-?[0-9]{1,20}(?:, -?[0-9]{1,20})*$/;

export class Recorder {
  private readonly peers: PeerLabels;
  private readonly maps = new Map<string, MapReader>();
  private readonly formats: Formats;
  /** Each map entry seen in this run of the agent -> where its value goes. */
  private readonly entries = new Map<string, Entry | null>();
  /** Maps keyed first by the epoch. */
  private readonly epochMaps = new Set<string>([EVENTS_MAP, OUT_OF_RANGE_MAP]);
  /** The epoch at rest in the read being printed, if one is. */
  private reading: 0 | 1 | undefined;
  private readonly pending: [(value: number) => void, number][] = [];
  /** Each counter keyed by a string's bytes: its all-keys map (see allKeysMap) -> its own map and update. */
  private readonly allKeys = new Map<string, { values: string; update: Update }>();
  /** What this read applied of each bytes-keyed counter, by its map and integer keys (epoch first). */
  private readonly keyedSums = new Map<string, number>();
  /** The all-keys totals of this read, by the same groups. */
  private readonly keyedTotals = new Map<string, { values: string; update: Update; keys: number[]; total: number }>();
  /** Where what a full map refused goes, by group. */
  private readonly refusedSlots = new Map<string, (value: number) => void>();

  /** fibre_journal_blocks_skipped_total's total (over every attempt), each time the kernel's count is read. */
  onJournalSkipped?: (total: number) => void;

  constructor(
    private readonly store: MetricStore,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.peers = new PeerLabels(options.peerLabelLimit, () => this.error('peer_label_overflow'));
    this.formats = {
      text: (bytes) => logSafe(labelValue(bytes)),
      label: (source, bytes) => sourceValue(source, bytes),
    };
    const updates = options.aggregation === 'kernel' ? TRACEPOINTS.flatMap((t) => t.updates) : [];
    for (const update of updates) {
      const maps = metricMaps(update.metric);
      if (epochKeyed(update.metric)) for (const m of [maps.values, maps.sums]) if (m) this.epochMaps.add(m);
      if ('add' in update && bytesLabelOf(update)) {
        this.allKeys.set(allKeysMap(maps.values), { values: maps.values, update });
        if (epochKeyed(update.metric)) this.epochMaps.add(allKeysMap(maps.values));
      }
      if ('observe' in update) {
        this.maps.set(maps.values, { metric: update.metric, update, part: 'buckets' });
        this.maps.set(maps.sums, { metric: update.metric, update, part: 'sum' });
      } else this.maps.set(maps.values, { metric: update.metric, update, part: 'value' });
    }
    // Series start at 0 so rate() and increase() work from the first scrape, and a dashboard shows 0
    // rather than "no data" on a node that has not relayed a block yet.
    // Labels with one value per update too (race_uncontested's mechanism); sets of many values are
    // left to appear with their first event.
    const selected = selectedTracepoints(options.packs);
    for (const t of selected) {
      for (const u of t.updates) {
        const fixed = Object.values(u.labels ?? {}).every((l) => 'value' in l);
        if ('add' in u && fixed)
          store.get(
            u.metric,
            Object.fromEntries(Object.entries(u.labels ?? {}).map(([k, l]) => [k, (l as { value: string }).value])),
          );
      }
    }
    // Each map that can fill, at 0: its series is there before it ever fills.
    if (options.aggregation === 'kernel')
      for (const u of selected.flatMap((t) => t.updates))
        if ('add' in u && bytesLabelOf(u)) store.add('mapFull', { map: metricMaps(u.metric).values }, 0);
    for (const eventType of new Set(selected.map((t) => t.eventType)))
      store.add('eventsProcessed', { event_type: eventType }, 0);
    for (const errorType of ERROR_TYPES) store.add('errors', { error_type: errorType }, 0);
    for (const severity of SEVERITIES) store.add('slowBlocks', { severity }, 0);
    store.add('eventsLost', {}, 0);
    store.add('journalBlocksSkipped', {}, 0);
    store.set('startTime', {}, Date.now() / 1000);
    store.set('info', { version: options.version, node_name: options.node, bitcoind_path: options.bitcoindPath }, 1);
    this.setUp(true);
    this.setProbesAttached(0);
    this.setProbesRefused(0);
  }

  /**
   * One BPF map entry, as the running bpftrace printed it. Every read prints every entry again, so
   * each entry is worked out once (its series, its slot) and later lines only set a number.
   */
  mapEntry(map: string, key: string, value: number): void {
    const id = `${map}[${key}`;
    let set = this.entries.get(id);
    if (set === undefined) {
      set = this.resolveEntry(map, key);
      this.entries.set(id, set);
    }
    if (!set) return;
    if (this.reading === undefined) set.apply(value);
    // The epoch being written while the read prints: its value from the last read stands.
    else if (set.epoch === undefined || set.epoch === this.reading) this.pending.push([set.apply, value]);
  }

  /** A read of the maps begins; its entries are applied together at its end (see READ_WORD). */
  beginRead(epoch: 0 | 1): void {
    // A read that never ended (bpftrace stopped while printing): each value stands on its own.
    this.endRead();
    this.reading = epoch;
  }

  endRead(): void {
    for (const [apply, value] of this.pending) apply(value);
    this.pending.length = 0;
    this.reading = undefined;
    this.countRefused();
  }

  /**
   * A full map refuses new keys, but its all-keys map counted every amount: the difference, group by
   * group, goes to the label's `other` and to fibre_exporter_map_full_total. Both are totals, like
   * every kernel count, so the difference is too.
   */
  private countRefused(): void {
    for (const [group, { values, update, keys, total }] of this.keyedTotals) {
      const refused = Math.max(0, total - (this.keyedSums.get(group) ?? 0));
      let slot = this.refusedSlots.get(group);
      // No series of its own until the map has refused something: "other" is not a peer.
      if (!slot && refused === 0) continue;
      if (!slot) {
        const bytesLabel = bytesLabelOf(update) as string;
        const source = (update.labels as Record<string, LabelSource<string>>)[bytesLabel] as LabelSource<string>;
        const labels = labelsFromKeys(update, keys, OVERFLOW_PEER);
        if (!labels) continue;
        if (!('peer' in source)) labels[bytesLabel] = 'otherwise' in source ? source.otherwise : OVERFLOW_PEER;
        const counted = this.store.kernelSlot(update.metric, labels, `${group}:refused`, 0);
        const full = this.store.kernelSlot('mapFull', { map: values }, `${group}:refused`, 0);
        slot = (value) => {
          counted(value);
          full(value);
        };
        this.refusedSlots.set(group, slot);
      }
      slot(refused);
    }
    this.keyedTotals.clear();
    this.keyedSums.clear();
  }

  /** The entry's epoch, if its map is kept per epoch, and where its value goes. */
  private resolveEntry(map: string, key: string): Entry | null {
    const entry = this.resolveOwnEntry(map, key);
    const all = this.allKeys.get(map);
    if (all) return entry;
    const reader = this.maps.get(map);
    if (!entry || !reader?.update || reader.part !== 'value' || !bytesLabelOf(reader.update)) return entry;
    // A bytes-keyed count: what it applies is summed by its integer keys, for countRefused.
    const integers = labelOrder(reader.update).length - 1 + (this.epochMaps.has(map) ? 1 : 0);
    const group = `${map}[${key.split(', ').slice(0, integers).join(', ')}]`;
    const apply = entry.apply;
    return {
      ...entry,
      apply: (value) => {
        apply(value);
        this.keyedSums.set(group, (this.keyedSums.get(group) ?? 0) + value);
      },
    };
  }

  private resolveOwnEntry(map: string, key: string): Entry | null {
    const all = this.allKeys.get(map);
    if (all) {
      const parts = key === '' ? [] : key.split(', ');
      const epoch = this.epochMaps.has(map) ? parts.shift() : undefined;
      if (epoch !== undefined && epoch !== '0' && epoch !== '1') return null;
      const keys = parts.map(Number);
      if (keys.some((k) => !Number.isInteger(k))) return null;
      const group = `${all.values}[${key}]`;
      return {
        epoch: epoch === undefined ? undefined : epoch === '1' ? 1 : 0,
        apply: (total) => this.keyedTotals.set(group, { ...all, keys, total }),
      };
    }
    if (!this.epochMaps.has(map)) {
      const apply = this.resolve(map, key);
      return apply && { apply };
    }
    const comma = key.indexOf(', ');
    const epoch = comma === -1 ? key : key.slice(0, comma);
    if (epoch !== '0' && epoch !== '1') return null;
    const apply = this.resolve(map, comma === -1 ? '' : key.slice(comma + 2), `${map}[${key}]`);
    return apply && { epoch: epoch === '1' ? 1 : 0, apply };
  }

  /** Where an entry's value goes; null for a map no metric reads (the program's own @dirty flag). */
  private resolve(map: string, key: string, entry = `${map}[${key}]`): ((value: number) => void) | null {
    const reader = this.maps.get(map);
    const bytesLabel = reader?.update && reader.part === 'value' ? bytesLabelOf(reader.update) : undefined;
    let keys: number[];
    let printedPeer: string | undefined;
    if (bytesLabel) {
      // Integer keys first, then the buffer, which may itself hold ", ".
      const known = labelOrder((reader as MapReader).update as Update).length - 1;
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
    if (map === JOURNAL_SKIPPED_MAP) {
      const slot = this.store.kernelSlot('journalBlocksSkipped', {}, map, 0);
      return (value) => {
        slot(value);
        this.onJournalSkipped?.(this.store.values(this.store.get('journalBlocksSkipped', {}))[0] as number);
      };
    }
    if (map === OUT_OF_RANGE_MAP)
      return this.store.kernelSlot('errors', { error_type: 'value_out_of_range' }, entry, 0);
    if (!reader) return null;
    const buckets = (METRICS[reader.metric] as MetricDef).buckets?.length ?? 0;
    const labelKeys = reader.part === 'buckets' ? keys.slice(0, -1) : keys;
    // Checked before the peer is admitted: a key no label value has must not take a peer's place.
    const labels = labelsFromKeys(reader.update, labelKeys);
    if (!labels) return null;
    if (reader.part === 'value') {
      if (printedPeer === undefined) return this.store.kernelSlot(reader.metric, labels, entry, 0);
      const source = (reader.update as Update).labels?.[bytesLabel as never] as unknown as LabelSource<string>;
      const text = stripNul(unprintBuffer(printedPeer));
      if (!('peer' in source)) {
        // Text from bitcoind's code: each string is its own entry, several may count under "other".
        return this.store.kernelSlot(
          reader.metric,
          { ...labels, [bytesLabel as string]: sourceValue(source as never, text) },
          entry,
          0,
        );
      }
      // Past --peer-label-limit a peer counts as "other", and each of its deliveries as an overflow.
      const label = this.peers.admit(stripNul(unprintBuffer(printedPeer)));
      const counted = this.store.kernelSlot(
        reader.metric,
        labelsFromKeys(reader.update, labelKeys, label ?? OVERFLOW_PEER) as Record<string, string>,
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
    if (reader.part === 'sum') {
      const divisor = divisorOf(reader.update as Update);
      const sum = this.store.kernelSlot(reader.metric, labels, entry, buckets + 1);
      return (value) => sum(value / divisor);
    }
    const bucket = keys.at(-1) ?? -1;
    if (bucket < 0 || bucket > buckets) return null;
    return this.store.kernelSlot(reader.metric, labels, entry, bucket);
  }

  /** A new bpftrace attempt: its maps start from 0; what the last one counted is kept. */
  newAttempt(): void {
    this.endRead();
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
    if ('peer' in source) return this.peers.label(event[source.arg] as Buffer);
    return sourceValue(source, 'arg' in source ? event[source.arg] : undefined);
  }

  /** The same arithmetic as the generated probe body, on one event. */
  private apply(update: Update, event: EventFields): void {
    const num = (name: string) => event[name] as number;
    for (const [a, op, b] of update.when ?? []) {
      if (!COMPARE[op](num(a), typeof b === 'number' ? b : num(b))) return;
    }
    const labels: Record<string, string> = {};
    const sources = (update.labels ?? {}) as Record<string, LabelSource<string>>;
    for (const name of labelOrder(update)) labels[name] = this.label(sources[name] as LabelSource<string>, event);
    // The catalogue's types made sure each update names a metric of its kind with all its labels.
    const store = this.store as unknown as Record<
      'add' | 'observe' | 'set' | 'decrement',
      (m: MetricKey, l: object, v: number, sum?: number) => void
    >;
    if ('add' in update) {
      store.add.call(this.store, update.metric, labels, update.add === 1 ? 1 : num(update.add));
      return;
    }
    if ('decrement' in update) {
      store.decrement.call(this.store, update.metric, labels, 1);
      return;
    }
    const observed = 'observe' in update ? update.observe : update.set;
    const [first, second] = observedArgs(observed).map(num) as [number, number];
    const ratio = typeof observed === 'object' && 'ratio' in observed;
    if (ratio && (second < 1 || first > RATIO_NUMERATOR_MAX)) {
      this.error('value_out_of_range');
      return;
    }
    const value = typeof observed === 'string' ? first : ratio ? first / second : first - second;
    // As the kernel program decides: 2^63 or more (an unsigned 8-byte argument) counts as negative.
    if ((value < 0 || value >= 2 ** 63) && update.negative) {
      if (update.negative === 'out_of_range') this.error('value_out_of_range');
      return;
    }
    if ('set' in update) {
      store.set.call(this.store, update.metric, labels, value);
      return;
    }
    if (update.zero === 'skip' && value === 0) return;
    if (ratio) {
      // Summed as the kernel sums it: in whole millionths.
      store.observe.call(
        this.store,
        update.metric,
        labels,
        value,
        Math.floor((first * RATIO_SCALE) / second) / RATIO_SCALE,
      );
      return;
    }
    store.observe.call(this.store, update.metric, labels, value / divisorOf(update));
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

  setProbesRefused(count: number): void {
    this.store.set('probesRefused', {}, count);
  }

  /** The release told at the last attach: one series, replacing what an earlier binary was told as. */
  setBuild(build: BuildInfo): void {
    this.store.clear('buildInfo');
    this.store.set('buildInfo', { release: build.release, semantics: build.semantics }, 1);
  }

  get distinctPeers(): number {
    return this.peers.size;
  }
}
