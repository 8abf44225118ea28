/**
 * The tracepoint catalogue, the single source of truth: for each USDT probe the agent attaches, its
 * arguments (name, type, position) and the metric updates one event makes. Plain data: the bpftrace
 * program (agent/source/program.ts), the decoder, the recorder, the zero-initialised series, the
 * `event_type` values and the README's metric table are all derived from it.
 *
 * Every update is computed in the kernel, in BPF maps the agent reads now and then: nothing is
 * queued, so nothing is lost at any rate. A label from a known set is an index in the map key; a
 * peer label (free text from the network) is the peer's bytes as a fixed-size buffer key, which
 * bpftrace prints escaped, and each new peer is announced once on a line of its exact bytes.
 *
 * Adding a tracepoint is one entry here and one test.
 */
import type { KeyOfKind, MetricKey, OwnLabel, TraceKey } from './metrics.js';

/**
 * Argument types as Bitcoin Core declares them. Strings are C strings; `hash32` is a pointer to 32
 * raw bytes (internal byte order). Each has the size its stapsdt note must show (pointers are 8).
 */
export type ArgType = 'bool' | 'u32' | 'i32' | 'u64' | 'i64' | 'str' | 'hash32';

export const ARG_SIZE: Readonly<Record<ArgType, { size: 1 | 4 | 8; signed: boolean | 'any' }>> = {
  bool: { size: 1, signed: 'any' },
  u32: { size: 4, signed: false },
  i32: { size: 4, signed: true },
  u64: { size: 8, signed: false },
  i64: { size: 8, signed: true },
  str: { size: 8, signed: 'any' },
  hash32: { size: 8, signed: 'any' },
};

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /**
   * Bytes of a string read into an event line (default 128, room for a Tor v3 address with port):
   * BPF programs have 512 bytes of stack, so strings known to be short are read short.
   */
  readonly bytes?: number;
}

/** A label whose value comes from a known set of strings (matched in the kernel), `otherwise` for the rest. */
export interface KnownLabel<A extends string> {
  readonly arg: A;
  readonly values: Readonly<Record<string, string>>;
  readonly otherwise: string;
}

/** A label that is free text from the network (counters only): capped by --peer-label-limit, later peers count as "other". */
export interface PeerLabel<A extends string> {
  readonly arg: A;
  readonly peer: true;
}

export type LabelSource<A extends string> = KnownLabel<A> | PeerLabel<A>;

/** The labels an update gives: exactly those its metric declares (but `node`), or none. */
type LabelsFor<K extends MetricKey, A extends string> = [OwnLabel<K>] extends [never]
  ? { readonly labels?: undefined }
  : { readonly labels: { readonly [L in OwnLabel<K>]: LabelSource<A> } };

/** What to do with a value that cannot be a measurement. */
export type Refuse = 'skip' | 'out_of_range';

/** A counter: +1 per event, or + an argument. */
export type CountUpdate<A extends string> = {
  [K in KeyOfKind<'counter'> & TraceKey]: { readonly metric: K; readonly add: A | 1 } & LabelsFor<K, A>;
}[KeyOfKind<'counter'> & TraceKey];

/** A histogram: observes an argument, divided by `divisor` ('connect_time': by the configured unit). */
export type ObserveUpdate<A extends string> = {
  [K in KeyOfKind<'histogram'> & TraceKey]: {
    readonly metric: K;
    readonly observe: A;
    readonly divisor?: number | 'connect_time';
    readonly negative?: Refuse;
    readonly zero?: 'skip';
  } & LabelsFor<K, A>;
}[KeyOfKind<'histogram'> & TraceKey];

/** A gauge: the last value seen, whichever probe saw it. */
export type SetUpdate<A extends string> = {
  [K in KeyOfKind<'gauge'> & TraceKey]: {
    readonly metric: K;
    readonly set: A;
    readonly negative?: 'skip';
  } & LabelsFor<K, A>;
}[KeyOfKind<'gauge'> & TraceKey];

export type Update<A extends string = string> = CountUpdate<A> | ObserveUpdate<A> | SetUpdate<A>;

type ValueOf<T extends ArgType> = T extends 'str' | 'hash32' ? Buffer : number;

/** One event as the decoder gives it: a property per argument. */
export type EventOf<Args extends readonly ArgSpec[]> = {
  readonly [S in Args[number] as S['name']]: ValueOf<S['type']>;
};

/** What a --verbose line may use to format values. */
export interface Formats {
  /** A string from outside, decoded and escaped for a log line. */
  text(bytes: Buffer): string;
  /** validation:block_connected's connect time in seconds, whatever unit this bitcoind uses. */
  connectTimeSeconds(raw: number): number;
  /** A value of a known label set, as the label shows it. */
  label(source: KnownLabel<string>, bytes: Buffer): string;
}

export interface Tracepoint<
  Args extends readonly ArgSpec[] = readonly ArgSpec[],
  Shown extends Args[number]['name'] = Args[number]['name'],
> {
  /** provider:name, as in the binary's stapsdt notes. */
  readonly probe: string;
  /** The event_type label it counts under in fibre_exporter_events_processed_total. */
  readonly eventType: string;
  /** Every argument, in order: position N is bpftrace's arg(N-1). */
  readonly args: Args;
  readonly updates: readonly Update<Args[number]['name']>[];
  /** The arguments the --verbose line shows: with --verbose, event lines carry them too. */
  readonly shows?: readonly Shown[];
  /** The --verbose log line for one event. */
  describe?(event: Pick<EventOf<Args>, Shown>, f: Formats): string;
  /**
   * The per-block journal joins this probe's events by block hash: while the journal is on, the probe
   * also prints an event line with every argument (counting stays in the kernel). Blocks are rare, so
   * the line costs nothing a node would notice.
   */
  readonly journal?: true;
}

/** Keeps an entry's argument list literal, so its updates and describe() are checked against it. */
export function tracepoint<const Args extends readonly ArgSpec[], const Shown extends Args[number]['name'] = never>(
  entry: Tracepoint<Args, Shown>,
): Tracepoint {
  return entry as unknown as Tracepoint;
}

export const MECHANISM: KnownLabel<'winner'> = {
  arg: 'winner',
  values: { 'FIBRE/UDP': 'fibre_udp', 'BIP152/CMPCTBLOCK': 'bip152_cmpct' },
  otherwise: 'other',
};

export const TRACEPOINTS: readonly Tracepoint[] = [
  tracepoint({
    probe: 'udp:block_reconstructed',
    journal: true,
    eventType: 'block_reconstructed',
    args: [
      // 64 hex digits and the NUL: short, since BPF programs have 512 bytes of stack.
      { name: 'hash', type: 'str', bytes: 65 },
      { name: 'peer', type: 'str' },
      { name: 'chunks_used', type: 'u32' },
      { name: 'chunks_recvd', type: 'u32' },
      { name: 'num_peers', type: 'u32' },
      { name: 'duration_us', type: 'i64' },
      { name: 'height', type: 'i32' },
    ],
    updates: [
      { metric: 'blocksReconstructed', add: 1 },
      { metric: 'chunksUsed', add: 'chunks_used' },
      { metric: 'chunksReceived', add: 'chunks_recvd' },
      { metric: 'chunksUsedPerBlock', observe: 'chunks_used' },
      // A negative duration cannot be a real measurement: counted, not observed.
      { metric: 'reconstructionDuration', observe: 'duration_us', divisor: 1e6, negative: 'out_of_range' },
      { metric: 'lastReconstructedHeight', set: 'height', negative: 'skip' },
    ],
    shows: ['height', 'chunks_used', 'chunks_recvd', 'duration_us'],
    describe: (e) =>
      `Block reconstructed: height=${e.height} chunks_used=${e.chunks_used} chunks_received=${e.chunks_recvd} duration=${(e.duration_us / 1000).toFixed(1)}ms`,
  }),
  tracepoint({
    probe: 'udp:block_reconstruction_detail',
    journal: true,
    eventType: 'block_reconstruction_detail',
    args: [
      // 64 hex digits and the NUL: short, since BPF programs have 512 bytes of stack.
      { name: 'hash', type: 'str', bytes: 65 },
      { name: 'height', type: 'i32' },
      { name: 'missing_tx_count', type: 'u32' },
      { name: 'missing_tx_bytes', type: 'u64' },
      { name: 'mempool_tx_count', type: 'u32' },
      { name: 'total_tx_count', type: 'u32' },
      { name: 'all_tx_from_mempool', type: 'u32' },
    ],
    updates: [
      { metric: 'missingTx', observe: 'missing_tx_count' },
      { metric: 'missingTxBytes', observe: 'missing_tx_bytes' },
      { metric: 'mempoolTx', observe: 'mempool_tx_count' },
      // 1 or 0: the sum is the number of blocks built from the mempool alone.
      { metric: 'allTxFromMempool', add: 'all_tx_from_mempool' },
    ],
    shows: ['height', 'missing_tx_count', 'missing_tx_bytes', 'mempool_tx_count', 'total_tx_count'],
    describe: (e) =>
      `Block reconstruction detail: height=${e.height} missing_tx=${e.missing_tx_count} missing_bytes=${e.missing_tx_bytes} from_mempool=${e.mempool_tx_count}/${e.total_tx_count}`,
  }),
  tracepoint({
    probe: 'udp:block_send_start',
    eventType: 'block_send_start',
    args: [],
    updates: [{ metric: 'blocksSent', add: 1 }],
    shows: [],
    describe: () => 'Block send started',
  }),
  tracepoint({
    probe: 'udp:block_race_winner',
    journal: true,
    eventType: 'block_delivery',
    args: [
      { name: 'hash', type: 'hash32' },
      { name: 'height', type: 'i32' },
      // FIBRE/UDP, BIP152/CMPCTBLOCK or a few other short names.
      { name: 'winner', type: 'str', bytes: 32 },
      { name: 'peer', type: 'str' },
    ],
    updates: [
      { metric: 'deliveries', add: 1, labels: { mechanism: MECHANISM, peer: { arg: 'peer', peer: true } } },
      // A height of -1 is bitcoind's "unknown", not a block; a lower one after a reorg is.
      { metric: 'lastHeight', set: 'height', negative: 'skip' },
    ],
    shows: ['height', 'winner', 'peer'],
    describe: (e, f) =>
      `Block delivery: height=${e.height} mechanism=${f.label(MECHANISM, e.winner)} peer=${f.text(e.peer)}`,
  }),
  tracepoint({
    probe: 'udp:block_race_time',
    journal: true,
    eventType: 'block_race_time',
    args: [
      { name: 'hash', type: 'hash32' },
      { name: 'height', type: 'i32' },
      // Nanoseconds from the block's first announcement to its delivery by each path; -1: never delivered.
      { name: 'udp_ns', type: 'i64' },
      // Read 96 bytes long: the journal's line carries both peers, and two 128-byte reads do not fit in
      // one probe's 512 bytes of BPF stack. The longest peer bitcoind formats (Tor v3 with a port) is 68.
      { name: 'udp_peer', type: 'str', bytes: 96 },
      { name: 'cmpct_ns', type: 'i64' },
      { name: 'cmpct_peer', type: 'str', bytes: 96 },
    ],
    updates: [],
    shows: ['height', 'udp_ns', 'cmpct_ns'],
    describe: (e) => `Block race: height=${e.height} udp_ns=${e.udp_ns} cmpct_ns=${e.cmpct_ns}`,
  }),
  tracepoint({
    probe: 'validation:block_connected',
    journal: true,
    eventType: 'block_connected',
    args: [
      { name: 'hash', type: 'hash32' },
      { name: 'height', type: 'i32' },
      { name: 'tx_count', type: 'u64' },
      { name: 'inputs', type: 'i32' },
      { name: 'sigops', type: 'i64' },
      { name: 'connect_time', type: 'i64' },
    ],
    updates: [
      { metric: 'blocksConnected', add: 1 },
      { metric: 'lastHeight', set: 'height', negative: 'skip' },
      {
        metric: 'connectionDuration',
        observe: 'connect_time',
        divisor: 'connect_time',
        negative: 'out_of_range',
        zero: 'skip',
      },
      { metric: 'txPerBlock', observe: 'tx_count', zero: 'skip' },
      { metric: 'inputsPerBlock', observe: 'inputs', negative: 'out_of_range' },
      { metric: 'sigopsPerBlock', observe: 'sigops', negative: 'out_of_range' },
    ],
    shows: ['height', 'tx_count', 'connect_time'],
    describe: (e, f) =>
      `Block connected: height=${e.height} tx_count=${e.tx_count} connection_time=${(f.connectTimeSeconds(e.connect_time) * 1000).toFixed(1)}ms`,
  }),
];

/** The `event_type` values, in catalogue order; each series starts at 0. */
export const EVENT_TYPES: readonly string[] = [...new Set(TRACEPOINTS.map((t) => t.eventType))];
