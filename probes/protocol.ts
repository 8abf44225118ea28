/**
 * What the generated bpftrace program prints and the agent reads: the contract between the program
 * generator (agent/source/program.ts) and the decoder (agent/decode/). Everything bpftrace prints is
 * one of:
 *
 *   ready ATTEMPT               the BEGIN block: every probe of this attempt is attached; counts in
 *                               the maps start again from 0
 *   @MAP[K, K]: V  or  @MAP: V  a BPF map entry, printed every read interval while something changed
 *                               (a count map's name ends with its epoch: epochMap()), and all of them
 *                               once more when bpftrace exits; keys are integers, but for a peer
 *                               label: the last key is then the peer's bytes as bpftrace prints a
 *                               buffer (printable ASCII as is, other bytes \xNN)
 *   PROVIDER:NAME FIELD...      one event: the arguments lineArgs() names, in catalogue order; integers
 *                               in decimal, a string or hash as lower-case hex words (lineWords()),
 *                               so no byte of a string can be a separator; a probe the journal joins
 *                               ends its line with the event's time (timedLine())
 *   Lost N events               bpftrace's own report of perf buffer overruns
 */
import {
  type ArgSpec,
  type LabelSource,
  type Observed,
  TRACEPOINTS,
  type Tracepoint,
  type Update,
} from './catalogue.js';
import { METRICS, type MetricKey } from './metrics.js';
import { allCodes, allValues } from './semantics.js';

export const READY_WORD = 'ready';

/**
 * How bpftrace buffers its output (-B). Counting in the kernel, its stdout is fully buffered and
 * written when a map is printed (bpftrace ends each map with a flush), so the event lines printed
 * between reads (the journal's) reach the agent with the read, in one write, instead of a write and a
 * wakeup of the metrics process for each line (the buffer is made larger than glibc's 4 KiB for it:
 * STDOUT_BUFFER_BYTES in agent/source/bpftrace.ts). The program prints the ready line and a read's
 * end with print(), which flushes too. Per-event lines (--aggregation events) are the counts
 * themselves and must not wait for a read: one write per line.
 */
export type OutputBuffering = 'full' | 'line';

export function outputBuffering(aggregation: Aggregation): OutputBuffering {
  return aggregation === 'kernel' ? 'full' : 'line';
}

/**
 * True when a probe's event line ends with the event's time: nsecs, the kernel's CLOCK_MONOTONIC in
 * nanoseconds, which the agent turns into wall-clock time. The journal's lines may wait in bpftrace's
 * buffer until the next read (outputBuffering), so the time the agent reads a line is not the
 * block's: the journal's first_seen and seen_to_connected_ms come from these.
 */
export function timedLine(t: Tracepoint, journal: boolean): boolean {
  return journal && t.journal !== undefined;
}
/**
 * A read of the maps, `read E` ... `read_end`, applied by the agent as one unit. The counts (counters
 * and histograms) are kept twice in the kernel, in one map per epoch (0 or 1: epochMap()), and every
 * probe reads the epoch once as it fires and writes that epoch's maps only. The read flips the epoch,
 * then prints the maps of epoch E, which has stopped changing, and the gauges: every metric of a read
 * is the kernel's counts at one instant, however long the printing takes while the probes go on
 * firing. The agent keeps the other epoch's entries from the read before, when it was the one at rest.
 * (Keyed by the epoch in one map, both epochs were printed at every read and half the lines thrown
 * away: bpftrace spent 0.7 to 1.3 ms/s more at 1,000 blocks a second.) When bpftrace exits it prints
 * every map, both epochs, outside a read.
 */
export const READ_WORD = 'read';
export const READ_END_WORD = 'read_end';
export const EPOCH_MAP = '@epoch';

/** A count map's name in one epoch: `@c_blocksSent` is written as `@c_blocksSent_e0` and `@c_blocksSent_e1`. */
export function epochMap(map: string, epoch: 0 | 1): string {
  return `${map}_e${epoch}`;
}

/** The count map and epoch a printed map name stands for; undefined for the maps kept once (gauges). */
export function epochOfMap(printed: string): { map: string; epoch: 0 | 1 } | undefined {
  const e = printed.charCodeAt(printed.length - 1) - 48;
  if ((e !== 0 && e !== 1) || !printed.endsWith('_e', printed.length - 1)) return undefined;
  const map = printed.slice(0, -3);
  return EPOCH_MAPS.has(map) ? { map, epoch: e } : undefined;
}

/** Set by every probe, cleared when the maps are printed: an idle node costs no printing at all. */
export const DIRTY_MAP = '@dirty';
/** Events counted in the kernel, keyed by the tracepoint's index in the catalogue. */
export const EVENTS_MAP = '@ev';
/** Values no real measurement can have (a negative duration), counted in the kernel. */
export const OUT_OF_RANGE_MAP = '@oor';
/**
 * The journal's event lines share the perf buffer with the requests to print the maps, so the kernel
 * keeps at most this many blocks a second for the journal (mainnet has one every ten minutes): a burst
 * of blocks (initial sync, a reindex) can neither fill the buffer nor delay a count. The budget is per
 * block, not per line: a block's first journal event decides, and its other probes follow, so a kept
 * block's record is whole and a skipped one has no line at all. Skipped blocks are counted
 * (JOURNAL_SKIPPED_MAP); the metrics count every block either way.
 */
export const JOURNAL_BLOCKS_PER_SECOND = 20;
/** The second the journal's budget is for, and the blocks kept in it. */
export const JOURNAL_SECOND_MAP = '@journal_sec';
export const JOURNAL_KEPT_MAP = '@journal_kept';
/** Blocks the journal's budget skipped: fibre_journal_blocks_skipped_total. */
export const JOURNAL_SKIPPED_MAP = '@journal_skipped';
/** Each recent block's decision, keyed by 8 bytes of its hash: JOURNAL_KEEP or JOURNAL_SKIP. */
export const JOURNAL_DECISION_MAP = '@journal_block';
export const JOURNAL_KEEP = 1;
export const JOURNAL_SKIP = 2;
/**
 * The decisions are forgotten oldest first, JOURNAL_RING_SIZE blocks later: the ring holds the keys
 * in the order they came, and the position the next one takes. A block whose events span more newer
 * blocks than this (none does: its events come within seconds) would be decided again.
 */
export const JOURNAL_RING_MAP = '@journal_ring';
export const JOURNAL_RING_POS_MAP = '@journal_pos';
export const JOURNAL_RING_SIZE = 1024;
/** Strings are read 128 bytes long: longer than bpftrace's 64-byte default, which cuts Tor v3 peers. */
export const STRING_BYTES = 128;

/**
 * How many 64-bit words of a string or hash argument an event line carries, as one field: each word
 * read from bitcoind's memory and printed as 16 hex digits (%016llx), little-endian, so the field is
 * the bytes with each group of 8 reversed. bpftrace 0.17 formats a %rx buffer at about 3.5 us a byte
 * and an integer at about 1 us: with %rx, the journal's lines cost bpftrace more than all the counting.
 * A string's last word is masked to its `bytes`, where str() cut it; the decoder cuts at the first NUL.
 */
export function lineWords(spec: ArgSpec): number {
  return spec.type === 'hash32' ? 4 : Math.ceil(stringLimit(spec) / 8);
}

/** The longest string an argument yields, as buf(str(arg, bytes), bytes) read it before. */
export function stringLimit(spec: ArgSpec): number {
  return spec.bytes ?? STRING_BYTES;
}

/** Bytes of a peer key: room for a Tor v3 address with its port. */
export const PEER_BYTES = 128;

/**
 * Entries each BPF map may hold (BPFTRACE_MAP_KEYS_MAX): room for every peer the agent labels under
 * each mechanism, and more, so a peer past the label limit is still counted (as peer="other").
 */
export function mapKeysMax(peerLabelLimit: number): number {
  // Per map, and each epoch has its own maps (see READ_WORD).
  return Math.max(4096, 8 * peerLabelLimit);
}

/** Counts (counters, histograms) are kept per epoch; gauges hold one value, which a probe may lower. */
export function epochKeyed(metric: MetricKey): boolean {
  return METRICS[metric].kind !== 'gauge';
}

/**
 * A counter keyed by a string's bytes (a peer, a rejection reason) can fill its map: the kernel then
 * refuses a new key and the count would be lost. The same amounts go to this map too, keyed by the
 * integer keys alone (a handful of entries, which cannot fill): whatever it holds beyond the entries
 * printed for the same keys is what the full map refused, counted as the label's `other`.
 */
export function allKeysMap(valuesMap: string): string {
  return `${valuesMap}_all`;
}

/**
 * The maps a metric lives in (counts: one of each per epoch, epochMap()). Keys: the index of each known
 * label's value, then the peer's bytes (counters with a peer label), or (histograms) the bucket.
 */
export function metricMaps(metric: MetricKey): { values: string; sums: string } {
  const def = METRICS[metric];
  if (def.kind === 'histogram') return { values: `@h_${metric}`, sums: `@s_${metric}` };
  return { values: `@${def.kind === 'counter' ? 'c' : 'g'}_${metric}`, sums: '' };
}

/** Every map kept once per epoch: the counts of each metric, the events and the out-of-range values. */
const EPOCH_MAPS: ReadonlySet<string> = new Set([
  EVENTS_MAP,
  OUT_OF_RANGE_MAP,
  ...(Object.keys(METRICS) as MetricKey[]).filter(epochKeyed).flatMap((metric) => {
    const { values, sums } = metricMaps(metric);
    return sums ? [values, sums] : [values, allKeysMap(values)];
  }),
]);

/** Whether a map is kept once per epoch. */
export function keptPerEpoch(map: string): boolean {
  return EPOCH_MAPS.has(map);
}

/**
 * Statements written for no epoch, naming each count map for `epoch` (epochMap()): a probe's counting
 * is generated once and written out for each epoch, since bpftrace names a map only literally.
 */
export function inEpoch(statements: string, epoch: 0 | 1): string {
  return statements.replace(/@[A-Za-z_][A-Za-z0-9_]*/g, (map) => (EPOCH_MAPS.has(map) ? epochMap(map, epoch) : map));
}

/**
 * Every value a label of a metric can take, over all the catalogue's updates of that metric: a map key
 * holds the index of the value in this list, so updates from different probes agree on it.
 */
export function labelValues(metric: MetricKey, label: string): readonly string[] {
  const out = new Set<string>();
  for (const t of TRACEPOINTS) {
    for (const u of t.updates) {
      if (u.metric !== metric) continue;
      const source = (u.labels as Record<string, LabelSource<string>> | undefined)?.[label];
      if (!source || 'peer' in source) continue;
      if ('value' in source) out.add(source.value);
      else {
        // A release's additions come last: the indices of the values every release has never move.
        const base = 'codes' in source ? source.codes : source.values;
        const all = 'codes' in source ? allCodes(source) : allValues(source);
        for (const v of [...Object.values(base), source.otherwise, ...Object.values(all)]) out.add(v);
      }
    }
  }
  return [...out];
}

/** The value a known, coded or fixed label gives one event's argument (a string's bytes or a number). */
export function sourceValue(
  source: Exclude<LabelSource<string>, { peer: true }>,
  raw: Buffer | number | undefined,
): string {
  if ('value' in source) return source.value;
  const key = 'codes' in source ? (raw as number) : (raw as Buffer).toString('latin1');
  return tableOf(source).get(key) ?? source.otherwise;
}

/**
 * Each label's values of every release in one Map, built once: this runs for every event the agent
 * reads, and merging the releases' tables on each call took about a tenth of what the journal costs
 * the metrics process (profiled at 1,000 blocks a second). A Map has no inherited keys: a peer's
 * "constructor" or "__proto__" is not a known value.
 */
const tables = new WeakMap<object, ReadonlyMap<string | number, string>>();

function tableOf(source: Exclude<LabelSource<string>, { peer: true } | { value: string }>) {
  let table = tables.get(source);
  if (table === undefined) {
    table =
      'codes' in source
        ? new Map(Object.entries(allCodes(source)).map(([code, value]) => [Number(code), value]))
        : new Map(Object.entries(allValues(source)));
    tables.set(source, table);
  }
  return table;
}

/**
 * A label the kernel keys by the string's own bytes, as the last map key, for the agent to read: a
 * peer, or a known set matched by the agent.
 */
export function keyedByBytes(source: LabelSource<string> | undefined): boolean {
  return source !== undefined && ('peer' in source || ('values' in source && source.match === 'agent'));
}

/** Bytes of a string map key: a peer's (room for Tor v3 and a port), or one more than the longest known value and its NUL. */
export function keyBytes(source: LabelSource<string>): number {
  if (!('values' in source)) return PEER_BYTES;
  return Math.max(...Object.keys(allValues(source)).map((k) => Buffer.byteLength(k))) + 2;
}

/** Label names of an update in map-key order: the others in the metric's order, then the one keyed by bytes. */
export function labelOrder(update: Update): string[] {
  const sources = (update.labels ?? {}) as Record<string, LabelSource<string>>;
  const own = METRICS[update.metric].labels.filter((l) => l !== 'node');
  return [...own.filter((l) => !keyedByBytes(sources[l])), ...own.filter((l) => keyedByBytes(sources[l]))];
}

/** The label an update keys by a string's bytes, if any. */
export function bytesLabelOf(update: Update): string | undefined {
  return Object.entries(update.labels ?? {}).find(([, source]) => keyedByBytes(source))?.[0];
}

/** The label an update takes from a peer string, if any. */
export function peerLabelOf(update: Update): string | undefined {
  return Object.entries(update.labels ?? {}).find(([, source]) => 'peer' in source)?.[0];
}

/** A buffer as bpftrace prints it in a map key: printable ASCII as is, every other byte as \xNN. */
export function printedBuffer(bytes: Buffer): string {
  let out = '';
  for (const b of bytes)
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Bytes back from a printed buffer. A \xNN of a byte bpftrace would print as is must be literal text;
 * one of a byte it escapes is taken as that byte. Only a peer whose string holds such text itself (a
 * literal "\x09") reads differently: as the byte. bitcoind formats peers from binary addresses.
 */
export function unprintBuffer(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const m = text.charCodeAt(i) === 92 ? /^\\x([0-9a-f]{2})/.exec(text.slice(i, i + 4)) : null;
    const b = m ? Number.parseInt(m[1] as string, 16) : -1;
    if (m && (b < 0x20 || b >= 0x7f)) {
      out.push(b);
      i += 3;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** Ratios are summed in millionths: the kernel has integers only. */
export const RATIO_SCALE = 1_000_000;
/** The largest numerator a ratio takes: times RATIO_SCALE it must fit in an int64 (9.2e12 sat is 92,000 BTC). */
export const RATIO_NUMERATOR_MAX = 9_223_372_036_854;

/** What an observed value is divided by to give the metric's unit (a ratio's sum is kept in millionths). */
export function divisorOf(update: Update): number {
  if (!('observe' in update)) return 1;
  if (typeof update.observe === 'object' && 'ratio' in update.observe) return RATIO_SCALE;
  return update.divisor ?? 1;
}

/** The arguments an observed value is computed from. */
export function observedArgs(observed: Observed<string>): readonly string[] {
  if (typeof observed === 'string') return [observed];
  return 'ratio' in observed ? observed.ratio : observed.difference;
}

/**
 * A bucket bound in the argument's own integer unit: an integer v is at most bound * divisor exactly
 * when it is at most the floor of it. Products a rounding error away from an integer are that integer.
 */
export function rawBound(bound: number, divisor: number): number {
  const raw = bound * divisor;
  const near = Math.round(raw);
  return Math.abs(raw - near) <= 1e-9 * Math.max(1, Math.abs(near)) ? near : Math.floor(raw);
}

/**
 * Where the updates are computed: in the kernel (every update of the catalogue can be), or, with
 * 'events', in the agent from one line per event, which then also counts the events.
 */
export type Aggregation = 'kernel' | 'events';

/**
 * True when a probe's events are printed as lines: recorded by the agent, or logged with --verbose
 * where the catalogue gives it a log line (not for probes that fire per message or per transaction).
 */
export function printsEvents(t: Tracepoint, aggregation: Aggregation, verbose: boolean): boolean {
  return aggregation === 'events' || (verbose && t.describe !== undefined);
}

/** True when a probe prints event lines: printsEvents, or a probe the journal joins while it is on. */
export function printsLine(t: Tracepoint, aggregation: Aggregation, verbose: boolean, journal = false): boolean {
  return printsEvents(t, aggregation, verbose) || (journal && t.journal !== undefined);
}

/** --connect-time-unit: from the release bitcoind is told to be (auto), or as the operator says. */
export type ConnectTimeUnit = 'auto' | 'ns' | 'us';

/** The arguments an update reads: its value, its conditions and its labels' sources. */
function argsOf(update: Update): string[] {
  const value =
    'add' in update
      ? update.add === 1
        ? []
        : [update.add]
      : 'observe' in update
        ? observedArgs(update.observe)
        : 'set' in update
          ? [update.set]
          : [];
  const when = (update.when ?? []).flatMap(([a, , b]) => (typeof b === 'string' ? [a, b] : [a]));
  const labels = Object.values(update.labels ?? {}).flatMap((l) => ('arg' in l ? [l.arg] : []));
  return [...value, ...when, ...labels];
}

/**
 * The arguments an event line carries, in catalogue order: those the agent's own updates read, with
 * --verbose those the log line shows, and with the journal on every argument of a probe it joins. Nothing more: every string costs BPF stack and CPU.
 */
export function lineArgs(t: Tracepoint, aggregation: Aggregation, verbose: boolean, journal = false): ArgSpec[] {
  const needed = new Set<string>();
  if (journal && t.journal) for (const a of t.args) needed.add(a.name);
  if (aggregation === 'events') for (const u of t.updates) for (const a of argsOf(u)) needed.add(a);
  if (verbose) for (const a of t.shows ?? []) needed.add(a);
  return t.args.filter((a) => needed.has(a.name));
}
