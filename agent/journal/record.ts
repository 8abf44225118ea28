/**
 * One block's story, joined from the tracepoints that fire for it. The field names are the JSON
 * fields of /blocks and the attributes of the OTLP log record.
 */

import { JOURNAL_FIELD_NAMES, type JournalField, type JournalFields } from '../../probes/journal-fields.js';
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

/** The record's fields (probes/journal-fields.ts), and the alert history, kept apart in the store. */
export interface BlockRecord extends JournalFields {
  alerts: AlertAttempt[];
}

/**
 * Every record is a copy of this one: all of one shape from the start, so filling a field is a plain
 * store (a record built from a list of entries and a spread showed in the profile as V8's slow paths).
 */
const TEMPLATE: BlockRecord = {
  ...(Object.fromEntries(JOURNAL_FIELD_NAMES.map((f) => [f, null])) as Record<JournalField, null>),
  hash: '',
  first_seen: '',
  alerts: [],
};

/** Every field null but the hash and the time: JSON keeps this order (/blocks, SQLite, OTLP). */
export function emptyRecord(hash: string, firstSeenMs: number): BlockRecord {
  const r = { ...TEMPLATE };
  r.hash = hash;
  r.first_seen = new Date(firstSeenMs).toISOString();
  r.alerts = [];
  return r;
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
