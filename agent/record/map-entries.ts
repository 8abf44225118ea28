/**
 * BPF map entries, as the running bpftrace prints them, into the metric store (--aggregation kernel):
 * which series and slot each entry feeds, worked out once per entry; reads applied whole (see
 * READ_WORD); and what a full map refused, counted from its all-keys map.
 */
import { type LabelSource, TRACEPOINTS, type Update } from '../../probes/catalogue.js';
import { METRICS, type MetricDef, type MetricKey } from '../../probes/metrics.js';
import {
  allKeysMap,
  bytesLabelOf,
  divisorOf,
  EVENTS_MAP,
  epochOfMap,
  JOURNAL_SKIPPED_MAP,
  keptPerEpoch,
  labelOrder,
  labelValues,
  metricMaps,
  OUT_OF_RANGE_MAP,
  peerLabelOf,
  sourceValue,
  unprintBuffer,
} from '../../probes/protocol.js';
import { stripNul } from '../decode/decoder.js';
import { OVERFLOW_PEER, type PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

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

/** A map entry: the epoch it belongs to (maps kept per epoch), and where its value goes. */
interface Entry {
  epoch?: 0 | 1;
  apply: (value: number) => void;
}

const INTEGER_KEYS = /^-?[0-9]{1,20}(?:, -?[0-9]{1,20})*$/;

export class MapEntries {
  private readonly maps = new Map<string, MapReader>();
  /** Each map entry seen in this run of the agent -> where its value goes. */
  private readonly entries = new Map<string, Entry | null>();
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

  /**
   * `updates`: those the kernel computes (none with --aggregation events). `journalSkipped` hears
   * fibre_journal_blocks_skipped_total's total (over every attempt) each time the kernel's count is read.
   */
  constructor(
    private readonly store: MetricStore,
    private readonly peers: PeerLabels,
    updates: readonly Update[],
    private readonly journalSkipped: (total: number) => void,
  ) {
    for (const update of updates) {
      const maps = metricMaps(update.metric);
      if ('add' in update && bytesLabelOf(update)) {
        this.allKeys.set(allKeysMap(maps.values), { values: maps.values, update });
      }
      if ('observe' in update) {
        this.maps.set(maps.values, { metric: update.metric, update, part: 'buckets' });
        this.maps.set(maps.sums, { metric: update.metric, update, part: 'sum' });
      } else this.maps.set(maps.values, { metric: update.metric, update, part: 'value' });
    }
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

  /**
   * The entry's epoch, if its map is kept per epoch, and where its value goes. A count map is printed
   * once per epoch (`@c_blocksSent_e1[2]`) and read here as one map keyed by the epoch first
   * (`@c_blocksSent[1, 2]`); its name alone is no map the program prints.
   */
  private resolveEntry(printed: string, printedKey: string): Entry | null {
    const kept = epochOfMap(printed);
    if (!kept && keptPerEpoch(printed)) return null;
    const map = kept ? kept.map : printed;
    const key = !kept ? printedKey : printedKey === '' ? `${kept.epoch}` : `${kept.epoch}, ${printedKey}`;
    const entry = this.resolveOwnEntry(map, key);
    const all = this.allKeys.get(map);
    if (all) return entry;
    const reader = this.maps.get(map);
    if (!entry || !reader?.update || reader.part !== 'value' || !bytesLabelOf(reader.update)) return entry;
    // A bytes-keyed count: what it applies is summed by its integer keys, for countRefused.
    const integers = labelOrder(reader.update).length - 1 + (keptPerEpoch(map) ? 1 : 0);
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
      const epoch = keptPerEpoch(map) ? parts.shift() : undefined;
      if (epoch !== undefined && epoch !== '0' && epoch !== '1') return null;
      const keys = parts.map(Number);
      if (keys.some((k) => !Number.isInteger(k))) return null;
      const group = `${all.values}[${key}]`;
      return {
        epoch: epoch === undefined ? undefined : epoch === '1' ? 1 : 0,
        apply: (total) => this.keyedTotals.set(group, { ...all, keys, total }),
      };
    }
    if (!keptPerEpoch(map)) {
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
        this.journalSkipped(this.store.values(this.store.get('journalBlocksSkipped', {}))[0] as number);
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
}
