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
import {
  CONN_TYPE,
  DIRECTION,
  FLUSH_MODE,
  MSG_TYPE,
  NETWORK,
  REJECTION_REASON,
  REMOVAL_REASON,
} from './known-values.js';
import type { KeyOfKind, MetricKey, OwnLabel, TraceKey } from './metrics.js';

/**
 * Argument types as Bitcoin Core declares them. Strings are C strings; `hash32` is a pointer to 32
 * raw bytes (internal byte order); `ptr` a pointer the agent never reads. Each has the size its stapsdt note must show (pointers are 8).
 */
export type ArgType = 'bool' | 'u32' | 'i32' | 'u64' | 'i64' | 'str' | 'hash32' | 'ptr';

export const ARG_SIZE: Readonly<Record<ArgType, { size: 1 | 4 | 8; signed: boolean | 'any' }>> = {
  bool: { size: 1, signed: 'any' },
  u32: { size: 4, signed: false },
  i32: { size: 4, signed: true },
  u64: { size: 8, signed: false },
  i64: { size: 8, signed: true },
  str: { size: 8, signed: 'any' },
  hash32: { size: 8, signed: 'any' },
  ptr: { size: 8, signed: 'any' },
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
  /**
   * 'agent': the kernel keys the count by the string's bytes and the agent matches them (counters
   * only): for free text from bitcoind's own code, a finite set, whose known values are too many and
   * too long to compare in a BPF program. Otherwise the kernel matches the string (as integers).
   */
  readonly match?: 'agent';
}

/** A label whose value comes from a known set of integer codes (an enum in bitcoind), `otherwise` for the rest. */
export interface CodeLabel<A extends string> {
  readonly arg: A;
  readonly codes: Readonly<Record<number, string>>;
  readonly otherwise: string;
}

/** A label with one value for every event the update counts (which update counts is decided by `when`). */
export interface FixedLabel {
  readonly value: string;
}

/** A label that is free text from the network (counters only): capped by --peer-label-limit, later peers count as "other". */
export interface PeerLabel<A extends string> {
  readonly arg: A;
  readonly peer: true;
}

export type LabelSource<A extends string> = KnownLabel<A> | CodeLabel<A> | FixedLabel | PeerLabel<A>;

/** The labels an update gives: exactly those its metric declares (but `node`), or none. */
type LabelsFor<K extends MetricKey, A extends string> = [OwnLabel<K>] extends [never]
  ? { readonly labels?: undefined }
  : { readonly labels: { readonly [L in OwnLabel<K>]: LabelSource<A> } };

export type Comparison = '<' | '<=' | '==' | '!=' | '>=' | '>';
/** An argument compared with another argument or a number. */
export type Condition<A extends string> = readonly [A, Comparison, A | number];

/** The update applies only to events for which every condition holds. */
interface When<A extends string> {
  readonly when?: readonly Condition<A>[];
}

/** What to do with a value that cannot be a measurement. */
export type Refuse = 'skip' | 'out_of_range';

/** first - second: both integers of the same event (a time by which one path beat another). */
export interface Difference<A extends string> {
  readonly difference: readonly [A, A];
}
/**
 * first / second (a fee rate: fee per vbyte). Buckets are decided exactly, by comparing first with
 * bound * second in integers; the sum adds each ratio truncated to a millionth. A second argument
 * under 1 cannot be a measurement, nor a first over 9.2e12 (the integers would overflow): counted as
 * `value_out_of_range`.
 */
export interface Ratio<A extends string> {
  readonly ratio: readonly [A, A];
}
export type Observed<A extends string> = A | Difference<A> | Ratio<A>;

/** A counter: +1 per event, or + an argument. */
export type CountUpdate<A extends string> = {
  [K in KeyOfKind<'counter'> & TraceKey]: { readonly metric: K; readonly add: A | 1 } & LabelsFor<K, A> & When<A>;
}[KeyOfKind<'counter'> & TraceKey];

/** A histogram: observes a value, divided by `divisor` ('connect_time': by the configured unit). */
export type ObserveUpdate<A extends string> = {
  [K in KeyOfKind<'histogram'> & TraceKey]: {
    readonly metric: K;
    readonly observe: Observed<A>;
    readonly divisor?: number | 'connect_time';
    readonly negative?: Refuse;
    readonly zero?: 'skip';
  } & LabelsFor<K, A> &
    When<A>;
}[KeyOfKind<'histogram'> & TraceKey];

/** A gauge: the last value seen, whichever probe saw it. */
export type SetUpdate<A extends string> = {
  [K in KeyOfKind<'gauge'> & TraceKey]: {
    readonly metric: K;
    readonly set: A;
    readonly negative?: 'skip';
  } & LabelsFor<K, A> &
    When<A>;
}[KeyOfKind<'gauge'> & TraceKey];

/**
 * A gauge lowered by one: a connection closed since bitcoind last said how many there are. Never
 * below 0, and nothing before a value was set (the agent does not know the count it started with).
 */
export type DecrementUpdate<A extends string> = {
  [K in KeyOfKind<'gauge'> & TraceKey]: { readonly metric: K; readonly decrement: 1 } & LabelsFor<K, A> & When<A>;
}[KeyOfKind<'gauge'> & TraceKey];

export type Update<A extends string = string> = CountUpdate<A> | ObserveUpdate<A> | SetUpdate<A> | DecrementUpdate<A>;

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

/**
 * Groups of tracepoints an operator turns on together (--packs). FIBRE's own probes exist only in the
 * FIBRE fork; the others are Bitcoin Core's.
 */
export const PACKS = ['fibre', 'validation', 'net', 'mempool', 'utxocache'] as const;
export type Pack = (typeof PACKS)[number];

export interface Tracepoint<
  Args extends readonly ArgSpec[] = readonly ArgSpec[],
  Shown extends Args[number]['name'] = Args[number]['name'],
> {
  /** provider:name, as in the binary's stapsdt notes. */
  readonly probe: string;
  readonly pack: Pack;
  /**
   * Attached only when its pack is named in --packs: probes that fire tens of thousands of times a
   * second while a node syncs, whose cost inside bitcoind an operator should choose to pay.
   */
  readonly optIn?: true;
  /** The event_type label it counts under in fibre_exporter_events_processed_total. */
  readonly eventType: string;
  /** Every argument, in order: position N is bpftrace's arg(N-1). */
  readonly args: Args;
  readonly updates: readonly Update<Args[number]['name']>[];
  /** The arguments the --verbose line shows: with --verbose, event lines carry them too. */
  readonly shows?: readonly Shown[];
  /** The --verbose log line for one event; none for probes that fire per message, transaction or coin (a busy node would flood the log and the perf buffer). */
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

/** net:evicted_inbound_connection and net:closed_connection pass the same arguments. */
const CONNECTION_END_ARGS = [
  { name: 'peer_id', type: 'i64' },
  { name: 'addr', type: 'str' },
  { name: 'conn_type', type: 'str', bytes: 24 },
  { name: 'network', type: 'u32' },
  { name: 'connected_since', type: 'i64' },
] as const;

export const TRACEPOINTS: readonly Tracepoint[] = [
  tracepoint({
    probe: 'udp:block_reconstructed',
    pack: 'fibre',
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
    pack: 'fibre',
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
    pack: 'fibre',
    eventType: 'block_send_start',
    args: [],
    updates: [{ metric: 'blocksSent', add: 1 }],
    shows: [],
    describe: () => 'Block send started',
  }),
  tracepoint({
    probe: 'udp:block_race_winner',
    pack: 'fibre',
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
    pack: 'fibre',
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
    updates: [
      // Both paths delivered: the margin, under the faster one (a tie counts for FIBRE).
      {
        metric: 'raceMargin',
        observe: { difference: ['cmpct_ns', 'udp_ns'] },
        divisor: 1e9,
        when: [
          ['udp_ns', '>=', 0],
          ['cmpct_ns', '>=', 0],
          ['udp_ns', '<=', 'cmpct_ns'],
        ],
        labels: { winner: { value: 'fibre_udp' } },
      },
      {
        metric: 'raceMargin',
        observe: { difference: ['udp_ns', 'cmpct_ns'] },
        divisor: 1e9,
        when: [
          ['udp_ns', '>=', 0],
          ['cmpct_ns', '>=', 0],
          ['cmpct_ns', '<', 'udp_ns'],
        ],
        labels: { winner: { value: 'bip152_cmpct' } },
      },
      // Only one path delivered (-1: the other never did).
      {
        metric: 'raceUncontested',
        add: 1,
        when: [
          ['udp_ns', '>=', 0],
          ['cmpct_ns', '<', 0],
        ],
        labels: { mechanism: { value: 'fibre_udp' } },
      },
      {
        metric: 'raceUncontested',
        add: 1,
        when: [
          ['cmpct_ns', '>=', 0],
          ['udp_ns', '<', 0],
        ],
        labels: { mechanism: { value: 'bip152_cmpct' } },
      },
    ],
    shows: ['height', 'udp_ns', 'cmpct_ns'],
    describe: (e) => `Block race: height=${e.height} udp_ns=${e.udp_ns} cmpct_ns=${e.cmpct_ns}`,
  }),
  tracepoint({
    probe: 'validation:block_connected',
    pack: 'validation',
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
  ...(['inbound', 'outbound'] as const).map((way) =>
    tracepoint({
      probe: `net:${way}_message`,
      pack: 'net',
      eventType: `${way}_message`,
      args: [
        { name: 'peer_id', type: 'i64' },
        { name: 'addr', type: 'str' },
        { name: 'conn_type', type: 'str', bytes: 24 },
        { name: 'msg_type', type: 'str', bytes: 24 },
        { name: 'size', type: 'u64' },
        { name: 'payload', type: 'ptr' },
      ],
      updates: [
        {
          metric: way === 'inbound' ? 'p2pMessagesReceived' : 'p2pMessagesSent',
          add: 1,
          labels: { msg_type: MSG_TYPE, conn_type: CONN_TYPE },
        },
        {
          metric: way === 'inbound' ? 'p2pBytesReceived' : 'p2pBytesSent',
          add: 'size',
          labels: { msg_type: MSG_TYPE, conn_type: CONN_TYPE },
        },
      ],
    }),
  ),
  ...(['inbound', 'outbound'] as const).map((way) =>
    tracepoint({
      probe: `net:${way}_connection`,
      pack: 'net',
      eventType: `${way}_connection`,
      args: [
        { name: 'peer_id', type: 'i64' },
        { name: 'addr', type: 'str' },
        { name: 'conn_type', type: 'str', bytes: 24 },
        { name: 'network', type: 'u32' },
        // That direction's connections now, this one included.
        { name: 'connections', type: 'u64' },
      ],
      updates: [
        {
          metric: 'connectionsOpened',
          add: 1,
          labels: { direction: DIRECTION, conn_type: CONN_TYPE, network: NETWORK },
        },
        { metric: 'peers', set: 'connections', labels: { direction: DIRECTION } },
      ],
      shows: ['peer_id', 'conn_type', 'network', 'connections'],
      describe: (e, f) =>
        `P2P ${way} connection: peer=${e.peer_id} conn_type=${f.label(CONN_TYPE, e.conn_type)} network=${e.network} now=${e.connections}`,
    }),
  ),
  tracepoint({
    probe: 'net:evicted_inbound_connection',
    pack: 'net',
    eventType: 'evicted_inbound_connection',
    args: CONNECTION_END_ARGS,
    updates: [{ metric: 'connectionsEvicted', add: 1, labels: { network: NETWORK } }],
    shows: ['peer_id', 'network'],
    describe: (e) => `P2P inbound connection evicted: peer=${e.peer_id} network=${e.network}`,
  }),
  tracepoint({
    probe: 'net:closed_connection',
    pack: 'net',
    eventType: 'closed_connection',
    args: CONNECTION_END_ARGS,
    updates: [
      { metric: 'connectionsClosed', add: 1, labels: { conn_type: CONN_TYPE, network: NETWORK } },
      { metric: 'peers', decrement: 1, labels: { direction: DIRECTION } },
    ],
    shows: ['peer_id', 'conn_type', 'network'],
    describe: (e, f) =>
      `P2P connection closed: peer=${e.peer_id} conn_type=${f.label(CONN_TYPE, e.conn_type)} network=${e.network}`,
  }),
  tracepoint({
    probe: 'net:misbehaving_connection',
    pack: 'net',
    eventType: 'misbehaving_connection',
    args: [
      { name: 'peer_id', type: 'i64' },
      { name: 'reason', type: 'str' },
    ],
    updates: [{ metric: 'misbehaving', add: 1 }],
    shows: ['peer_id', 'reason'],
    describe: (e, f) => `P2P peer misbehaving: peer=${e.peer_id} reason=${f.text(e.reason)}`,
  }),
  tracepoint({
    probe: 'mempool:added',
    pack: 'mempool',
    eventType: 'mempool_added',
    args: [
      { name: 'txid', type: 'hash32' },
      { name: 'vsize', type: 'i32' },
      { name: 'fee', type: 'i64' },
    ],
    updates: [
      { metric: 'mempoolAdded', add: 1 },
      { metric: 'mempoolAddedVsize', observe: 'vsize', negative: 'out_of_range' },
      { metric: 'mempoolAddedFeeRate', observe: { ratio: ['fee', 'vsize'] }, negative: 'out_of_range' },
      { metric: 'mempoolAddedFees', add: 'fee', when: [['fee', '>=', 0]] },
    ],
  }),
  tracepoint({
    probe: 'mempool:removed',
    pack: 'mempool',
    eventType: 'mempool_removed',
    args: [
      { name: 'txid', type: 'hash32' },
      { name: 'reason', type: 'str', bytes: 16 },
      { name: 'vsize', type: 'i32' },
      { name: 'fee', type: 'i64' },
      { name: 'entry_time', type: 'u64' },
    ],
    updates: [{ metric: 'mempoolRemoved', add: 1, labels: { reason: REMOVAL_REASON } }],
  }),
  tracepoint({
    probe: 'mempool:replaced',
    pack: 'mempool',
    eventType: 'mempool_replaced',
    args: [
      { name: 'replaced_txid', type: 'hash32' },
      { name: 'replaced_vsize', type: 'i32' },
      { name: 'replaced_fee', type: 'i64' },
      { name: 'replaced_entry_time', type: 'u64' },
      { name: 'replacement_id', type: 'hash32' },
      { name: 'replacement_vsize', type: 'i32' },
      { name: 'replacement_fee', type: 'i64' },
      { name: 'replacement_is_tx', type: 'bool' },
    ],
    updates: [{ metric: 'mempoolReplaced', add: 1 }],
  }),
  tracepoint({
    probe: 'mempool:rejected',
    pack: 'mempool',
    eventType: 'mempool_rejected',
    args: [
      { name: 'txid', type: 'hash32' },
      { name: 'reason', type: 'str' },
    ],
    updates: [{ metric: 'mempoolRejected', add: 1, labels: { reason: REJECTION_REASON } }],
  }),
  tracepoint({
    probe: 'utxocache:flush',
    pack: 'utxocache',
    eventType: 'utxocache_flush',
    args: [
      { name: 'duration_us', type: 'i64' },
      { name: 'mode', type: 'u32' },
      { name: 'coins', type: 'u64' },
      { name: 'memory', type: 'u64' },
      { name: 'for_prune', type: 'bool' },
    ],
    updates: [
      { metric: 'utxoFlushes', add: 1, labels: { mode: FLUSH_MODE } },
      { metric: 'utxoFlushDuration', observe: 'duration_us', divisor: 1e6, negative: 'out_of_range' },
      { metric: 'utxoFlushedCoins', add: 'coins' },
      { metric: 'utxoMemory', set: 'memory' },
    ],
    shows: ['duration_us', 'mode', 'coins', 'memory'],
    describe: (e) =>
      `UTXO cache flush: mode=${e.mode} duration=${(e.duration_us / 1000).toFixed(1)}ms coins=${e.coins} memory=${e.memory}`,
  }),
  ...(
    [
      ['add', 'utxoCoinsAdded'],
      ['spent', 'utxoCoinsSpent'],
      ['uncache', 'utxoCoinsUncached'],
    ] as const
  ).map(([name, metric]) =>
    tracepoint({
      probe: `utxocache:${name}`,
      pack: 'utxocache',
      optIn: true,
      eventType: `utxocache_${name}`,
      args: [
        { name: 'txid', type: 'hash32' },
        { name: 'index', type: 'u32' },
        { name: 'height', type: 'u32' },
        { name: 'value', type: 'i64' },
        { name: 'coinbase', type: 'bool' },
      ],
      updates: [{ metric, add: 1 }],
    }),
  ),
];

/**
 * The tracepoints a pack selection attaches. No selection: every pack, without the opt-in probes; a
 * pack named explicitly brings all its probes.
 */
export function selectedTracepoints(packs: readonly Pack[] | undefined): Tracepoint[] {
  return TRACEPOINTS.filter((t) => (packs ? packs.includes(t.pack) : !t.optIn));
}
