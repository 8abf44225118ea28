/**
 * One block's story, joined from the tracepoints that fire for it. The field names are the JSON
 * fields of /blocks, the attributes of the OTLP log record and the columns of `fibre-agent blocks`.
 */

import type { Severity } from '../../probes/metrics.js';

export type { Severity };

/** One delivery attempt of a slow block's alert to the webhook. */
export interface AlertAttempt {
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly attempt: number;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  readonly error: string | null;
}

export interface BlockRecord {
  /** Display order (the byte-reversed internal hash), lower-case hex. */
  hash: string;
  height: number | null;
  /** When the agent decoded the first event for this block, ISO 8601 UTC. */
  first_seen: string;
  /** fibre_udp, bip152_cmpct or other, as fibre_block_deliveries_total's mechanism label. */
  winner: string | null;
  winner_peer: string | null;
  /** Nanoseconds from the block's first announcement to its delivery over FIBRE; null: never delivered. */
  udp_ns: number | null;
  cmpct_ns: number | null;
  /** How much earlier the first path delivered than the second, when both did. */
  margin_ns: number | null;
  udp_peer: string | null;
  cmpct_peer: string | null;
  /** The peer udp:block_reconstructed names. */
  fibre_peer: string | null;
  chunks_used: number | null;
  chunks_recvd: number | null;
  num_peers: number | null;
  reconstruction_us: number | null;
  missing_tx_count: number | null;
  missing_tx_bytes: number | null;
  mempool_tx_count: number | null;
  total_tx_count: number | null;
  tx_count: number | null;
  inputs: number | null;
  sigops: number | null;
  /** validation:block_connected's connect time in seconds, whatever unit this bitcoind uses. */
  connect_seconds: number | null;
  /** From the first event the agent saw for the block to validation:block_connected. */
  seen_to_connected_ms: number | null;
  slow: Severity | null;
  /** Why it is slow, in words, e.g. "reconstruction 120.0 ms >= 100 ms". */
  slow_reason: string | null;
  alerts: AlertAttempt[];
}

export function emptyRecord(hash: string, firstSeenMs: number): BlockRecord {
  return {
    hash,
    height: null,
    first_seen: new Date(firstSeenMs).toISOString(),
    winner: null,
    winner_peer: null,
    udp_ns: null,
    cmpct_ns: null,
    margin_ns: null,
    udp_peer: null,
    cmpct_peer: null,
    fibre_peer: null,
    chunks_used: null,
    chunks_recvd: null,
    num_peers: null,
    reconstruction_us: null,
    missing_tx_count: null,
    missing_tx_bytes: null,
    mempool_tx_count: null,
    total_tx_count: null,
    tx_count: null,
    inputs: null,
    sigops: null,
    connect_seconds: null,
    seen_to_connected_ms: null,
    slow: null,
    slow_reason: null,
    alerts: [],
  };
}

export interface SlowThresholds {
  slowReconstructionMs: number;
  verySlowReconstructionMs: number;
  slowConnectMs: number;
}

/** The worse of the reconstruction time's severity and the first-seen-to-connected time's. */
export function classify(r: BlockRecord, t: SlowThresholds): { slow: Severity | null; reason: string | null } {
  const reasons: string[] = [];
  let slow: Severity | null = null;
  // A negative duration is bitcoind's "unknown" (counted as value_out_of_range in the metrics).
  if (r.reconstruction_us !== null && r.reconstruction_us >= 0) {
    const ms = r.reconstruction_us / 1000;
    if (ms >= t.verySlowReconstructionMs) {
      slow = 'very_slow';
      reasons.push(`reconstruction ${ms.toFixed(1)} ms >= ${t.verySlowReconstructionMs} ms`);
    } else if (ms >= t.slowReconstructionMs) {
      slow = 'slow';
      reasons.push(`reconstruction ${ms.toFixed(1)} ms >= ${t.slowReconstructionMs} ms`);
    }
  }
  if (r.seen_to_connected_ms !== null && r.seen_to_connected_ms >= t.slowConnectMs) {
    slow ??= 'slow';
    reasons.push(`first seen to connected ${r.seen_to_connected_ms} ms >= ${t.slowConnectMs} ms`);
  }
  return { slow, reason: reasons.length ? reasons.join('; ') : null };
}

export const HASH_HEX = /^[0-9a-f]{64}$/;
