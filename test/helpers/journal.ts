/** What the journal should hold, worked out from the simulator's own account of what it fired. */
import assert from 'node:assert/strict';
import { type BlockRecord, emptyRecord } from '../../agent/journal/record.js';
import { labelValue } from '../../agent/record/peer-label.js';
import { mechanism } from './expected.js';
import { hexBytes, type SimEvent } from './sim.js';

/** The fields the simulator decides (not the agent's own times and verdicts). */
export type FiredFields = Omit<BlockRecord, 'first_seen' | 'seen_to_connected_ms' | 'slow' | 'slow_reason' | 'alerts'>;

/** A string argument as bpftrace reads it into the line (at most its catalogue bytes), then as the agent decodes it. */
const peer = (hex: string | number | undefined, bytes = 128) => labelValue(hexBytes(hex).subarray(0, bytes));
const n = (e: SimEvent, k: string) => Number(e[k]);
const time = (v: number) => (v < 0 ? null : v);

export function expectedRecords(events: readonly SimEvent[], connectDivisor = 1e9): Map<string, FiredFields> {
  const out = new Map<string, FiredFields>();
  for (const e of events) {
    const hash = hexBytes(e.hash_hex).toString('latin1');
    if (!hash) continue;
    let r = out.get(hash);
    if (!r) {
      // Every field empty, as the agent starts a record; the agent's own times and verdicts left out.
      const {
        first_seen: _f,
        seen_to_connected_ms: _s,
        slow: _v,
        slow_reason: _r,
        alerts: _a,
        ...fired
      } = emptyRecord(hash, 0);
      r = fired;
      out.set(hash, r);
    }
    r.height = e.height;
    switch (e.probe) {
      case 'udp:block_reconstructed':
        Object.assign(r, {
          fibre_peer: peer(e.peer_hex),
          chunks_used: n(e, 'chunks_used'),
          chunks_recvd: n(e, 'chunks_recvd'),
          num_peers: n(e, 'num_peers'),
          reconstruction_us: n(e, 'duration_us'),
        });
        break;
      case 'udp:block_reconstruction_detail':
        Object.assign(r, {
          missing_tx_count: n(e, 'missing_tx_count'),
          missing_tx_bytes: n(e, 'missing_tx_bytes'),
          mempool_tx_count: n(e, 'mempool_tx_count'),
          total_tx_count: n(e, 'total_tx_count'),
        });
        break;
      case 'udp:block_race_winner':
        r.winner = mechanism(hexBytes(e.winner_hex).toString('latin1'));
        r.winner_peer = peer(e.peer_hex);
        break;
      case 'udp:block_race_time': {
        const udp = time(n(e, 'udp_ns'));
        const cmpct = time(n(e, 'cmpct_ns'));
        Object.assign(r, {
          udp_ns: udp,
          cmpct_ns: cmpct,
          margin_ns: udp !== null && cmpct !== null ? Math.abs(udp - cmpct) : null,
          // The catalogue reads these two 96 bytes long (both must fit one probe's BPF stack).
          udp_peer: peer(e.udp_peer_hex, 96),
          cmpct_peer: peer(e.cmpct_peer_hex, 96),
        });
        break;
      }
      case 'validation:block_connected':
        Object.assign(r, {
          tx_count: n(e, 'tx_count'),
          inputs: n(e, 'inputs'),
          sigops: n(e, 'sigops'),
          connect_seconds: n(e, 'connect_time') / connectDivisor,
        });
        break;
    }
  }
  return out;
}

/** Every fired field of every record equals what the simulator fired; the records are exactly its blocks. */
export function assertJournal(records: readonly BlockRecord[], events: readonly SimEvent[]): void {
  const expected = expectedRecords(events);
  assert.equal(records.length, expected.size, 'one record per block fired');
  for (const r of records) {
    const want = expected.get(r.hash);
    assert.ok(want, `record ${r.hash} is a block the simulator fired`);
    const got = Object.fromEntries(Object.keys(want).map((k) => [k, r[k as keyof BlockRecord]]));
    assert.deepEqual(got, want, `block ${r.height} ${r.hash}`);
  }
}
