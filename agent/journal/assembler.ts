/**
 * Joins the events of one block, by hash, into one record. The probes fire in an order that depends on
 * the path that delivered the block (and some never fire for it), so a record stays open until
 * validation:block_connected has arrived and a short grace has passed (events of the same block that
 * bpftrace prints a moment later still join), or until a timeout for a block that is never connected.
 * The number of open records is bounded: a flood of hashes cannot grow the agent's memory.
 */
import { MECHANISM, type Tracepoint } from '../../probes/catalogue.js';
import { sourceValue } from '../../probes/protocol.js';
import type { EventFields } from '../decode/decoder.js';
import { labelValue } from '../record/peer-label.js';
import { type BlockRecord, emptyRecord, HASH_HEX } from './record.js';

export interface AssemblerOptions {
  /** After block_connected, how long further events of the block may still join. */
  graceMs: number;
  /** A block never connected is written this long after its first event. */
  timeoutMs: number;
  /** Open records at most; the oldest is written early when a new hash would pass it. */
  maxOpen: number;
}

interface Open {
  record: BlockRecord;
  firstSeenMs: number;
  connectedMs?: number;
}

/** The display-order hex of a block hash: hash32 arguments are internal order (reversed), strings display order. */
export function displayHash(t: Tracepoint, event: EventFields): string | undefined {
  const spec = t.args.find((a) => a.name === 'hash');
  const raw = event.hash;
  if (!spec || !Buffer.isBuffer(raw)) return undefined;
  const hex =
    spec.type === 'hash32' ? Buffer.from(raw).reverse().toString('hex') : raw.toString('latin1').toLowerCase();
  return HASH_HEX.test(hex) ? hex : undefined;
}

const text = (v: number | Buffer | undefined) => (Buffer.isBuffer(v) ? labelValue(v) : null);
const num = (v: number | Buffer | undefined) => (typeof v === 'number' ? v : null);
/** bitcoind passes -1 for a path that never delivered the block. */
const time = (v: number | Buffer | undefined) => (typeof v === 'number' && v >= 0 ? v : null);

export class Assembler {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly options: AssemblerOptions,
    private readonly complete: (record: BlockRecord) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  event(t: Tracepoint, e: EventFields, now: number): void {
    if (!t.journal) return;
    const hash = displayHash(t, e);
    if (!hash) return;
    let o = this.open.get(hash);
    if (!o) {
      if (this.open.size >= this.options.maxOpen) this.finish(this.open.keys().next().value as string);
      o = { record: emptyRecord(hash, now), firstSeenMs: now };
      this.open.set(hash, o);
    }
    const r = o.record;
    const height = num(e.height);
    if (height !== null && height >= 0) r.height = height;
    switch (t.probe) {
      case 'udp:block_reconstructed':
        r.fibre_peer = text(e.peer);
        r.chunks_used = num(e.chunks_used);
        r.chunks_recvd = num(e.chunks_recvd);
        r.num_peers = num(e.num_peers);
        r.reconstruction_us = num(e.duration_us);
        break;
      case 'udp:block_reconstruction_detail':
        r.missing_tx_count = num(e.missing_tx_count);
        r.missing_tx_bytes = num(e.missing_tx_bytes);
        r.mempool_tx_count = num(e.mempool_tx_count);
        r.total_tx_count = num(e.total_tx_count);
        break;
      case 'udp:block_race_winner': {
        const winner = e.winner;
        r.winner = Buffer.isBuffer(winner) ? sourceValue(MECHANISM, winner) : null;
        r.winner_peer = text(e.peer);
        break;
      }
      case 'udp:block_race_time':
        r.udp_ns = time(e.udp_ns);
        r.cmpct_ns = time(e.cmpct_ns);
        r.udp_peer = text(e.udp_peer);
        r.cmpct_peer = text(e.cmpct_peer);
        r.margin_ns = r.udp_ns !== null && r.cmpct_ns !== null ? Math.abs(r.udp_ns - r.cmpct_ns) : null;
        break;
      case 'validation:block_connected': {
        r.tx_count = num(e.tx_count);
        r.inputs = num(e.inputs);
        r.sigops = num(e.sigops);
        const raw = num(e.connect_time);
        r.connect_seconds = raw === null ? null : raw / 1e9; // nanoseconds on every release: the program converts older units
        o.connectedMs = now;
        r.seen_to_connected_ms = now - o.firstSeenMs;
        break;
      }
    }
  }

  /** Writes the records whose time has come; `all` writes every open one (at shutdown). */
  flush(now: number, all = false): void {
    for (const [hash, o] of this.open) {
      const connected = o.connectedMs !== undefined && now - o.connectedMs >= this.options.graceMs;
      if (all || connected || now - o.firstSeenMs >= this.options.timeoutMs) this.finish(hash);
    }
  }

  private finish(hash: string): void {
    const o = this.open.get(hash);
    if (!o) return;
    this.open.delete(hash);
    this.complete(o.record);
  }
}
