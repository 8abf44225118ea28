/**
 * The tracepoint catalogue, the single source of truth: for each USDT probe the agent attaches, its
 * arguments (name, type, position), the metric updates one event makes, and for the probes the
 * per-block journal joins, which argument fills which field of a block's record. Plain data: the
 * bpftrace program (agent/source/program.ts), the decoder, the recorder, the zero-initialised series,
 * the `event_type` values, the metric table of docs/metrics.md and the journal's records are all
 * derived from it.
 *
 * Every update is computed in the kernel, in BPF maps the agent reads now and then: nothing is
 * queued, so nothing is lost at any rate. A label from a known set is an index in the map key; a
 * peer label (free text from the network) is the peer's bytes as a fixed-size buffer key, which
 * bpftrace prints escaped, and each new peer is announced once on a line of its exact bytes.
 *
 * Releases differ (../shared/reference/bitcoin-core-tracepoints-by-version.md): an entry declares
 * which releases have the probe, and per release range what differs in an argument (its type, its
 * unit, its absence) or in a label's known values. probes/semantics.ts resolves them for the release
 * the agent told from the binary (agent/source/release.ts); metric names and label values stay the
 * same on every release wherever the meaning is the same.
 *
 * Adding a tracepoint takes its entry here; each metric it makes new, in metrics.ts; if the journal
 * joins it, its `journal` declaration and each field it makes new, in journal-fields.ts. Then its tests
 * and what shows it: the simulator fires it (simulator/bitcoind-sim.c: the probe, and its semaphore
 * declared, reported and counted); test/helpers/expected.ts says what its metrics count and, for the
 * journal, test/helpers/journal.ts what its fields hold; each new metric gets a dashboard panel
 * (docker/grafana/, then `npm run dashboard`); the metric table of docs/metrics.md and
 * test/fixtures/e2e-exposition.txt are regenerated (UPDATE_FIXTURES=1); the table of fields in
 * docs/journal.md is written by hand; test/integration/quiet-log.test.ts spells out how many probes
 * the simulator has. A trial probe with one counter and one journal field took 12 files, 3 of them
 * regenerated. Nothing else: the program, decoder, recorder, journal record, /blocks, OTLP log
 * attributes and stored records follow.
 *
 * Adding a journal field that an existing argument fills is a line in journal-fields.ts (its kind), the
 * argument in the tracepoint's `journal` here (the compiler checks it against both), its expected
 * value in test/helpers/journal.ts and its row in docs/journal.md. Showing it in `fibre-agent blocks`
 * or on the page is one line in that view's column list (agent/journal/cli.ts, html.ts).
 */

import type { FilledField, KindOf } from './journal-fields.js';
import {
  ALGORITHM,
  CONN_TYPE,
  DIRECTION,
  FLUSH_MODE,
  MSG_TYPE,
  NETWORK,
  REJECTION_REASON,
  REMOVAL_REASON,
} from './known-values.js';
import type { KeyOfKind, MetricKey, OwnLabel, TraceKey } from './metrics.js';
import type { Range } from './releases.js';

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

/** Units of a duration argument: the program reads every release's value in the entry's own unit. */
export type TimeUnit = 'ns' | 'us';

/** What one range of releases passes differently for an argument. */
export interface ArgRelease {
  readonly in: Range;
  /** The type these releases pass (its size and sign in the note differ from the entry's). */
  readonly type?: ArgType;
  /** The unit these releases pass a duration in; the program converts it to the entry's unit. */
  readonly unit?: TimeUnit;
  /** These releases do not pass it: read as 0, so an event line has the same fields on every release. */
  readonly absent?: true;
  /** What the value means on these releases, where that differs (for the docs' table of releases only: nothing reads it). */
  readonly meaning?: string;
}

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /**
   * Bytes of a string read into an event line (default 128, room for a Tor v3 address with port):
   * BPF programs have 512 bytes of stack, so strings known to be short are read short.
   */
  readonly bytes?: number;
  /** A duration, in this unit on the newest release. */
  readonly unit?: TimeUnit;
  /** --connect-time-unit, when given, overrides the unit the release says. */
  readonly unitSetting?: 'connect-time-unit';
  readonly releases?: readonly ArgRelease[];
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
  /** Values only some releases pass, with their label values. */
  readonly added?: readonly { readonly in: Range; readonly values: Readonly<Record<string, string>> }[];
}

/** A label whose value comes from a known set of integer codes (an enum in bitcoind), `otherwise` for the rest. */
export interface CodeLabel<A extends string> {
  readonly arg: A;
  readonly codes: Readonly<Record<number, string>>;
  readonly otherwise: string;
  /**
   * Codes only some releases pass. A code never changes meaning between releases (checked by a
   * test), so the agent may read any release's code with all of them.
   */
  readonly added?: readonly { readonly in: Range; readonly codes: Readonly<Record<number, string>> }[];
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

/** A histogram: observes a value, divided by `divisor` (a duration's unit per second, say). */
export type ObserveUpdate<A extends string> = {
  [K in KeyOfKind<'histogram'> & TraceKey]: {
    readonly metric: K;
    readonly observe: Observed<A>;
    readonly divisor?: number;
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

/** The names of an entry's arguments of these types. */
type ArgOfType<Args extends readonly ArgSpec[], T extends ArgType> = (Args[number] & { readonly type: T })['name'];

/** Arguments the agent reads as integers (a pointer it never reads). */
type NumberArg<Args extends readonly ArgSpec[]> = ArgOfType<Args, 'bool' | 'u32' | 'i32' | 'u64' | 'i64'>;

/**
 * An integer argument, as it is or converted. negative 'skip': a negative value leaves the field as it
 * was (bitcoind's "unknown" height must not undo the height another probe gave); 'null': a negative
 * value means never (a path that never delivered the block), so the field is null. divisor: the value
 * divided by it (a duration's unit per the field's).
 */
export type NumberFill<A extends string> =
  | A
  | { readonly arg: A; readonly negative?: 'skip' | 'null'; readonly divisor?: number };

/** A string argument matched against a known label set: the field holds the label's value. */
export interface LabelFill<A extends string> {
  readonly arg: A;
  readonly label: KnownLabel<string>;
}

/** What may fill a field of this kind: an argument of a type that fits, and the conversion it needs. */
type FillOf<Args extends readonly ArgSpec[], K> = K extends 'hash'
  ? ArgOfType<Args, 'hash32' | 'str'>
  : K extends 'peer'
    ? ArgOfType<Args, 'str'>
    : K extends 'label'
      ? LabelFill<ArgOfType<Args, 'str'>>
      : K extends 'integer' | 'duration'
        ? NumberFill<NumberArg<Args>>
        : never;

/**
 * Which argument fills which field of the block's record (probes/journal-fields.ts): the hash, which
 * joins the events of one block, always.
 */
export type JournalFills<Args extends readonly ArgSpec[]> = { readonly hash: FillOf<Args, 'hash'> } & {
  readonly [F in Exclude<FilledField, 'hash'>]?: FillOf<Args, KindOf<F>>;
};

export interface JournalSpec<Args extends readonly ArgSpec[]> {
  readonly fields: JournalFills<Args>;
  /**
   * This event says the block is connected: the record is written a grace later (events of the block
   * printed a moment after still join), and seen_to_connected_ms is measured to it.
   */
  readonly connected?: true;
}

type ValueOf<T extends ArgType> = T extends 'str' | 'hash32' ? Buffer : number;

/** One event as the decoder gives it: a property per argument. */
export type EventOf<Args extends readonly ArgSpec[]> = {
  readonly [S in Args[number] as S['name']]: ValueOf<S['type']>;
};

/** What a --verbose line may use to format values. */
export interface Formats {
  /** A string from outside, decoded and escaped for a log line. */
  text(bytes: Buffer): string;
  /** A value of a known label set, as the label shows it. */
  label(source: KnownLabel<string>, bytes: Buffer): string;
}

/**
 * Groups of tracepoints an operator turns on together (--packs). FIBRE's own probes exist only in the
 * FIBRE fork; the others are Bitcoin Core's.
 */
export const PACKS = ['fibre', 'validation', 'net', 'mempool', 'utxocache', 'coin_selection'] as const;
export type Pack = (typeof PACKS)[number];

export interface Tracepoint<
  Args extends readonly ArgSpec[] = readonly ArgSpec[],
  Shown extends Args[number]['name'] = Args[number]['name'],
> {
  /** provider:name, as in the binary's stapsdt notes. */
  readonly probe: string;
  readonly pack: Pack;
  /** The Bitcoin Core releases that have it; none for FIBRE's own probes (the fork only). */
  readonly releases?: Range;
  /** Only in builds with the wallet: a binary without it is no older for lacking the probe. */
  readonly wallet?: true;
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
   * The per-block journal joins this probe's events by block hash, into the fields named here: while
   * the journal is on, the probe also prints an event line with every argument (counting stays in the
   * kernel). Blocks are rare, so the line costs nothing a node would notice.
   */
  readonly journal?: JournalSpec<Args>;
}

/** Keeps an entry's argument list literal, so its updates, describe() and journal are checked against it. */
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

/**
 * The fields every journal probe fills: the hash its events join by, and the height, which -1
 * (bitcoind's "unknown") must not undo.
 */
const JOURNAL_BLOCK = { hash: 'hash', height: { arg: 'height', negative: 'skip' } } as const;

/** A transaction's vsize in the mempool probes: v25 passes a size_t, later releases an int32. */
const MEMPOOL_VSIZE = { name: 'vsize', type: 'i32', releases: [{ in: { to: 'v25' }, type: 'u64' }] } as const;

/** The wallet's name, which the agent never reads: no wallet name leaves the node. */
const WALLET_NAME = { name: 'wallet', type: 'ptr' } as const;

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
    journal: {
      fields: {
        ...JOURNAL_BLOCK,
        fibre_peer: 'peer',
        chunks_used: 'chunks_used',
        chunks_recvd: 'chunks_recvd',
        num_peers: 'num_peers',
        reconstruction_us: 'duration_us',
      },
    },
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
    journal: {
      fields: {
        ...JOURNAL_BLOCK,
        missing_tx_count: 'missing_tx_count',
        missing_tx_bytes: 'missing_tx_bytes',
        mempool_tx_count: 'mempool_tx_count',
        total_tx_count: 'total_tx_count',
      },
    },
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
    journal: { fields: { ...JOURNAL_BLOCK, winner: { arg: 'winner', label: MECHANISM }, winner_peer: 'peer' } },
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
    journal: {
      fields: {
        ...JOURNAL_BLOCK,
        // -1: that path never delivered the block.
        udp_ns: { arg: 'udp_ns', negative: 'null' },
        cmpct_ns: { arg: 'cmpct_ns', negative: 'null' },
        udp_peer: 'udp_peer',
        cmpct_peer: 'cmpct_peer',
      },
    },
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
    releases: {},
    journal: {
      connected: true,
      fields: {
        ...JOURNAL_BLOCK,
        tx_count: 'tx_count',
        inputs: 'inputs',
        sigops: 'sigops',
        // Nanoseconds on every release: the program converts older units.
        connect_seconds: { arg: 'connect_time', divisor: 1e9 },
      },
    },
    eventType: 'block_connected',
    args: [
      { name: 'hash', type: 'hash32' },
      { name: 'height', type: 'i32' },
      { name: 'tx_count', type: 'u64' },
      { name: 'inputs', type: 'i32' },
      { name: 'sigops', type: 'i64' },
      {
        name: 'connect_time',
        type: 'i64',
        unit: 'ns',
        unitSetting: 'connect-time-unit',
        releases: [
          { in: { to: 'v24' }, unit: 'us' },
          // A std::chrono duration passed as it is: its note says 8 bytes unsigned; its ticks are ns.
          { in: { from: 'v25', to: 'v28' }, type: 'u64' },
        ],
      },
    ],
    updates: [
      { metric: 'blocksConnected', add: 1 },
      { metric: 'lastHeight', set: 'height', negative: 'skip' },
      {
        metric: 'connectionDuration',
        observe: 'connect_time',
        divisor: 1e9,
        negative: 'out_of_range',
        zero: 'skip',
      },
      { metric: 'txPerBlock', observe: 'tx_count', zero: 'skip' },
      { metric: 'inputsPerBlock', observe: 'inputs', negative: 'out_of_range' },
      { metric: 'sigopsPerBlock', observe: 'sigops', negative: 'out_of_range' },
    ],
    shows: ['height', 'tx_count', 'connect_time'],
    describe: (e) =>
      `Block connected: height=${e.height} tx_count=${e.tx_count} connection_time=${(e.connect_time / 1e6).toFixed(1)}ms`,
  }),
  ...(['inbound', 'outbound'] as const).map((way) =>
    tracepoint({
      probe: `net:${way}_message`,
      pack: 'net',
      releases: {},
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
      releases: { from: 'v29' },
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
    releases: { from: 'v29' },
    eventType: 'evicted_inbound_connection',
    args: CONNECTION_END_ARGS,
    updates: [{ metric: 'connectionsEvicted', add: 1, labels: { network: NETWORK } }],
    shows: ['peer_id', 'network'],
    describe: (e) => `P2P inbound connection evicted: peer=${e.peer_id} network=${e.network}`,
  }),
  tracepoint({
    probe: 'net:closed_connection',
    pack: 'net',
    releases: { from: 'v29' },
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
    releases: { from: 'v29' },
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
    releases: { from: 'v25' },
    eventType: 'mempool_added',
    args: [{ name: 'txid', type: 'hash32' }, MEMPOOL_VSIZE, { name: 'fee', type: 'i64' }],
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
    releases: { from: 'v25' },
    eventType: 'mempool_removed',
    args: [
      { name: 'txid', type: 'hash32' },
      { name: 'reason', type: 'str', bytes: 16 },
      MEMPOOL_VSIZE,
      { name: 'fee', type: 'i64' },
      { name: 'entry_time', type: 'u64' },
    ],
    updates: [{ metric: 'mempoolRemoved', add: 1, labels: { reason: REMOVAL_REASON } }],
  }),
  tracepoint({
    probe: 'mempool:replaced',
    pack: 'mempool',
    releases: { from: 'v25' },
    eventType: 'mempool_replaced',
    args: [
      { name: 'replaced_txid', type: 'hash32' },
      { ...MEMPOOL_VSIZE, name: 'replaced_vsize' },
      { name: 'replaced_fee', type: 'i64' },
      { name: 'replaced_entry_time', type: 'u64' },
      {
        name: 'replacement_id',
        type: 'hash32',
        releases: [{ in: { to: 'v28' }, meaning: "the replacing transaction's txid (from v29, a package's hash)" }],
      },
      {
        name: 'replacement_vsize',
        type: 'i32',
        releases: [
          { in: { to: 'v25' }, type: 'u64', meaning: "the replacing transaction's vsize (from v29, its package's)" },
          { in: { from: 'v26', to: 'v28' }, meaning: "the replacing transaction's vsize (from v29, its package's)" },
        ],
      },
      {
        name: 'replacement_fee',
        type: 'i64',
        releases: [
          {
            in: { to: 'v28' },
            meaning: "the replacing transaction's base fee (from v29, its package's modified fees)",
          },
        ],
      },
      { name: 'replacement_is_tx', type: 'bool', releases: [{ in: { to: 'v28' }, absent: true }] },
    ],
    updates: [{ metric: 'mempoolReplaced', add: 1 }],
  }),
  tracepoint({
    probe: 'mempool:rejected',
    pack: 'mempool',
    releases: { from: 'v25' },
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
    releases: {},
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
      releases: {},
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
  tracepoint({
    probe: 'coin_selection:selected_coins',
    pack: 'coin_selection',
    releases: { from: 'v24' },
    wallet: true,
    eventType: 'coin_selection',
    args: [
      WALLET_NAME,
      { name: 'algorithm', type: 'str', bytes: 16 },
      // Satoshis: what the selection had to cover, its waste metric (below 0 when spending now is
      // cheaper than later), and the value of the coins it chose.
      { name: 'target', type: 'i64' },
      { name: 'waste', type: 'i64' },
      { name: 'selected', type: 'i64' },
    ],
    updates: [
      { metric: 'coinSelections', add: 1, labels: { algorithm: ALGORITHM } },
      { metric: 'coinSelectionWaste', observe: 'waste' },
      { metric: 'coinSelectionTarget', observe: 'target', negative: 'out_of_range' },
      { metric: 'coinSelectionSelected', observe: 'selected', negative: 'out_of_range' },
    ],
    shows: ['algorithm', 'target', 'waste', 'selected'],
    describe: (e, f) =>
      `Coin selection: algorithm=${f.label(ALGORITHM, e.algorithm)} target=${e.target} waste=${e.waste} selected=${e.selected}`,
  }),
  tracepoint({
    probe: 'coin_selection:normal_create_tx_internal',
    pack: 'coin_selection',
    releases: { from: 'v24' },
    wallet: true,
    eventType: 'wallet_create_tx',
    args: [
      WALLET_NAME,
      { name: 'success', type: 'bool' },
      { name: 'fee', type: 'i64' },
      // -1: no change output. On failure v24-v26 pass 0, later releases -1: only successes are asked.
      { name: 'change_pos', type: 'i32' },
    ],
    updates: [
      {
        metric: 'walletTxCreated',
        add: 1,
        labels: { result: { value: 'ok' }, change: { value: 'yes' } },
        when: [
          ['success', '!=', 0],
          ['change_pos', '>=', 0],
        ],
      },
      {
        metric: 'walletTxCreated',
        add: 1,
        labels: { result: { value: 'ok' }, change: { value: 'no' } },
        when: [
          ['success', '!=', 0],
          ['change_pos', '<', 0],
        ],
      },
      {
        metric: 'walletTxCreated',
        add: 1,
        labels: { result: { value: 'failed' }, change: { value: 'no' } },
        when: [['success', '==', 0]],
      },
      { metric: 'walletTxFee', observe: 'fee', negative: 'out_of_range', when: [['success', '!=', 0]] },
    ],
    shows: ['success', 'fee', 'change_pos'],
    describe: (e) =>
      e.success
        ? `Wallet transaction built: fee=${e.fee} change=${e.change_pos >= 0 ? 'yes' : 'no'}`
        : 'Wallet transaction failed',
  }),
  tracepoint({
    probe: 'coin_selection:attempting_aps_create_tx',
    pack: 'coin_selection',
    releases: { from: 'v24' },
    wallet: true,
    eventType: 'wallet_aps_attempt',
    args: [WALLET_NAME],
    updates: [{ metric: 'walletApsAttempts', add: 1 }],
  }),
  tracepoint({
    probe: 'coin_selection:aps_create_tx_internal',
    pack: 'coin_selection',
    releases: { from: 'v24' },
    wallet: true,
    eventType: 'wallet_aps_create_tx',
    args: [
      WALLET_NAME,
      // The avoid-partial-spends result was kept (its fee is at most the first's plus -maxapsfee).
      { name: 'use_aps', type: 'bool' },
      { name: 'success', type: 'bool' },
      { name: 'fee', type: 'i64' },
      { name: 'change_pos', type: 'i32' },
    ],
    updates: [{ metric: 'walletApsUsed', add: 1, when: [['use_aps', '!=', 0]] }],
    shows: ['use_aps', 'success', 'fee'],
    describe: (e) => `Wallet avoid-partial-spends attempt: used=${e.use_aps ? 'yes' : 'no'} fee=${e.fee}`,
  }),
];

/**
 * The tracepoints a pack selection attaches. No selection: every pack, without the opt-in probes; a
 * pack named explicitly brings all its probes.
 */
export function selectedTracepoints(packs: readonly Pack[] | undefined): Tracepoint[] {
  return TRACEPOINTS.filter((t) => (packs ? packs.includes(t.pack) : !t.optIn));
}
