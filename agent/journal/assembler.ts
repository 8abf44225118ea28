/**
 * Joins the events of one block, by hash, into one record: each event fills the fields its catalogue
 * entry's `journal` names. The probes fire in an order that depends on the path that delivered the
 * block (and some never fire for it), so a record stays open until the event that says the block is
 * connected (validation:block_connected) has arrived and a short grace has passed (events of the same
 * block that bpftrace prints a moment later still join), or until a timeout for a block that is never
 * connected.
 * The number of open records is bounded: a flood of hashes cannot grow the agent's memory.
 */
import type { LabelFill, NumberFill, Tracepoint } from '../../probes/catalogue.js';
import { type FieldKind, type FilledField, JOURNAL_FIELD_NAMES, JOURNAL_FIELDS } from '../../probes/journal-fields.js';
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
  const name = t.journal?.fields.hash;
  const spec = t.args.find((a) => a.name === name);
  const raw = name === undefined ? undefined : event[name];
  if (!spec || !Buffer.isBuffer(raw)) return undefined;
  const hex =
    spec.type === 'hash32' ? Buffer.from(raw).reverse().toString('hex') : raw.toString('latin1').toLowerCase();
  return HASH_HEX.test(hex) ? hex : undefined;
}

/** The fields events fill, in record order; the hash is the key a record is opened with. */
const FILLED = JOURNAL_FIELD_NAMES.filter(
  (f): f is Exclude<FilledField, 'hash'> => f !== 'hash' && !('computed' in JOURNAL_FIELDS[f]),
);

/**
 * One field's value from its argument, as the catalogue converts it; undefined leaves the field as it
 * is. Strings decode as the peer labels do, or are matched against their label set.
 */
function fieldValue(kind: FieldKind, how: NumberFill<string> | LabelFill<string>, e: EventFields) {
  const f: Exclude<NumberFill<string>, string> | LabelFill<string> = typeof how === 'string' ? { arg: how } : how;
  const v = e[f.arg];
  if ('label' in f) return Buffer.isBuffer(v) ? sourceValue(f.label, v) : null;
  if (kind === 'peer') return Buffer.isBuffer(v) ? labelValue(v) : null;
  if (f.negative === 'skip' && !(typeof v === 'number' && v >= 0)) return undefined;
  if (typeof v !== 'number' || (f.negative === 'null' && v < 0)) return null;
  return f.divisor === undefined ? v : v / f.divisor;
}

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
    const journal = t.journal;
    if (!journal) return;
    const hash = displayHash(t, e);
    if (!hash) return;
    let o = this.open.get(hash);
    if (!o) {
      if (this.open.size >= this.options.maxOpen) this.finish(this.open.keys().next().value as string);
      o = { record: emptyRecord(hash, now), firstSeenMs: now };
      this.open.set(hash, o);
    }
    const r = o.record;
    for (const field of FILLED) {
      const how = journal.fields[field];
      if (how === undefined) continue;
      const value = fieldValue(JOURNAL_FIELDS[field].kind, how, e);
      // The field's kind decided the value's type (a string for peers and labels, else a number).
      if (value !== undefined) (r as Record<typeof field, unknown>)[field] = value;
    }
    // The computed fields: from the record's own, and from the time the agent saw the events.
    r.margin_ns = r.udp_ns !== null && r.cmpct_ns !== null ? Math.abs(r.udp_ns - r.cmpct_ns) : null;
    if (journal.connected) {
      o.connectedMs = now;
      r.seen_to_connected_ms = now - o.firstSeenMs;
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
