/**
 * The tracepoint catalogue: for each USDT probe the agent attaches, its bpftrace script (beside this
 * file), the fields that script prints, and how an event becomes metrics. The decoder and recorder are
 * driven by these entries; a new tracepoint is one script, one entry here, and a test.
 *
 * bpftrace 0.17 on x86_64 reads only the first six USDT arguments (arg0..arg5). No entry below needs
 * a seventh (udp:block_reconstructed's height is its 7th and is not read). A probe that did would read
 * it from the location recorded in the binary's stapsdt note (`readelf -n`).
 *
 * Update the README's metric reference when editing this table.
 */
import type { RecordContext } from '../agent/record/context.js';
import type { EventType } from '../agent/record/metrics.js';

/** How a field travels in a bpftrace line: integers in decimal, strings as \xNN per byte (%rx). */
export type FieldType = 'u32' | 'i32' | 'u64' | 'i64' | 'str';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
}

type FieldValue<T extends FieldType> = T extends 'str' ? Buffer : number;

/** The typed event a line decodes to: one property per field. */
export type EventOf<F extends readonly FieldSpec[]> = {
  readonly [K in F[number] as K['name']]: FieldValue<K['type']>;
};

export interface ProbeEntry<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /** provider:name, as in the binary's stapsdt notes. */
  readonly probe: string;
  /** The script in probes/, and the first word of every line it prints. */
  readonly event: string;
  /** The event_type label it counts under in fibre_exporter_events_processed_total. */
  readonly eventType: EventType;
  /** The fields the script prints after the event word, in order. */
  readonly fields: F;
  record(event: EventOf<F>, r: RecordContext): void;
  /** The --verbose log line for one event. */
  describe?(event: EventOf<F>, r: RecordContext): string;
}

/** Keeps each entry's field list literal, so record() sees typed fields. */
function defineProbe<const F extends readonly FieldSpec[]>(entry: ProbeEntry<F>): ProbeEntry {
  return entry as unknown as ProbeEntry;
}

export type Mechanism = 'fibre_udp' | 'bip152_cmpct' | 'other';

/** The winner string of udp:block_race_winner as the `mechanism` label. */
export function mechanismOf(winner: string): Mechanism {
  if (winner === 'FIBRE/UDP') return 'fibre_udp';
  if (winner === 'BIP152/CMPCTBLOCK') return 'bip152_cmpct';
  return 'other';
}

export const PROBES: readonly ProbeEntry[] = [
  defineProbe({
    probe: 'udp:block_reconstructed',
    event: 'block_reconstructed',
    eventType: 'block_reconstructed',
    fields: [
      { name: 'chunks_used', type: 'u32' },
      { name: 'chunks_recvd', type: 'u32' },
      { name: 'num_peers', type: 'u32' },
      { name: 'duration_us', type: 'i64' },
    ],
    record(e, r) {
      r.add('blocksReconstructed', 1);
      r.add('chunksUsed', e.chunks_used);
      r.add('chunksReceived', e.chunks_recvd);
      r.observe('chunksUsedPerBlock', e.chunks_used);
      // A negative duration cannot be a real measurement: counted, not observed.
      if (e.duration_us >= 0) r.observe('reconstructionDuration', e.duration_us / 1e6);
      else r.outOfRange();
    },
    describe: (e) =>
      `Block reconstructed: chunks_used=${e.chunks_used} chunks_received=${e.chunks_recvd} duration=${(e.duration_us / 1000).toFixed(1)}ms`,
  }),
  defineProbe({
    probe: 'udp:block_send_start',
    event: 'block_send_start',
    eventType: 'block_send_start',
    fields: [],
    record(_e, r) {
      r.add('blocksSent', 1);
    },
    describe: () => 'Block send started',
  }),
  defineProbe({
    probe: 'udp:block_race_winner',
    event: 'block_race_winner',
    eventType: 'block_delivery',
    fields: [
      { name: 'height', type: 'i32' },
      { name: 'winner', type: 'str' },
      { name: 'peer', type: 'str' },
    ],
    record(e, r) {
      r.add('deliveries', 1, { mechanism: mechanismOf(e.winner.toString('latin1')), peer: r.peerLabel(e.peer) });
      r.setHeight(e.height);
    },
    describe: (e, r) =>
      `Block delivery: height=${e.height} mechanism=${mechanismOf(e.winner.toString('latin1'))} peer=${r.forLog(e.peer)}`,
  }),
  defineProbe({
    probe: 'validation:block_connected',
    event: 'block_connected',
    eventType: 'block_connected',
    fields: [
      { name: 'height', type: 'i32' },
      { name: 'tx_count', type: 'u64' },
      { name: 'connect_time', type: 'i64' },
    ],
    record(e, r) {
      r.add('blocksConnected', 1);
      r.setHeight(e.height);
      const seconds = r.connectTimeSeconds(e.connect_time);
      if (seconds > 0) r.observe('connectionDuration', seconds);
      else if (seconds < 0) r.outOfRange();
      if (e.tx_count > 0) r.observe('txPerBlock', e.tx_count);
    },
    describe: (e, r) =>
      `Block connected: height=${e.height} tx_count=${e.tx_count} connection_time=${(r.connectTimeSeconds(e.connect_time) * 1000).toFixed(1)}ms`,
  }),
];
