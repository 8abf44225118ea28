/**
 * Joins the events of one block, by hash, into one record: each event fills the fields its catalogue
 * entry's `journal` names. The probes fire in an order that depends on the path that delivered the
 * block (and some never fire for it), so a record stays open until the event that says the block is
 * connected (validation:block_connected) has arrived and a short grace has passed (events of the same
 * block that bpftrace prints a moment later still join), or until a timeout for a block that is never
 * connected. Each event has two times: when the probe fired (the record's first_seen and
 * seen_to_connected_ms) and when its line arrived (the grace and the timeout, which wait for lines).
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
  /** When the earliest of its events fired: lines from different CPUs need not come in that order. */
  firstMs: number;
  /** When block_connected fired, and when its line arrived. */
  connectedMs?: number;
  connectedArrivedMs?: number;
  openedMs: number;
}

/**
 * What one tracepoint gives a record, worked out once from its catalogue entry: per event, only the
 * fields it fills are visited, each with its conversion at hand (looking every field of the record up
 * by name, in every tracepoint's declaration, on every event made each lookup a slow one).
 */
interface Plan {
  /** The argument holding the hash, and whether it is the 32 internal-order bytes or display hex. */
  readonly hashArg: string | undefined;
  readonly hashBytes: boolean;
  readonly fills: readonly Fill[];
  readonly connected: boolean;
}

interface Fill {
  readonly field: Exclude<FilledField, 'hash'>;
  readonly value: (e: EventFields) => number | string | null | undefined;
}

/**
 * One field's value from its argument, as the catalogue converts it; undefined leaves the field as it
 * is. Strings decode as the peer labels do, or are matched against their label set.
 */
function fillOf(kind: FieldKind, how: NumberFill<string> | LabelFill<string>): Fill['value'] {
  const f: Exclude<NumberFill<string>, string> | LabelFill<string> = typeof how === 'string' ? { arg: how } : how;
  const arg = f.arg;
  if ('label' in f) {
    const label = f.label;
    return (e) => {
      const v = e[arg];
      return Buffer.isBuffer(v) ? sourceValue(label, v) : null;
    };
  }
  if (kind === 'peer') {
    return (e) => {
      const v = e[arg];
      return Buffer.isBuffer(v) ? labelValue(v) : null;
    };
  }
  const { negative, divisor } = f;
  return (e) => {
    const v = e[arg];
    if (negative === 'skip' && !(typeof v === 'number' && v >= 0)) return undefined;
    if (typeof v !== 'number' || (negative === 'null' && v < 0)) return null;
    return divisor === undefined ? v : v / divisor;
  };
}

const plans = new Map<Tracepoint, Plan | null>();

function planOf(t: Tracepoint): Plan | null {
  let plan = plans.get(t);
  if (plan !== undefined) return plan;
  const journal = t.journal;
  if (!journal) plan = null;
  else {
    // No argument of that name, no hash: the tracepoint's events join nothing.
    const spec = t.args.find((a) => a.name === journal.fields.hash);
    const fills: Fill[] = [];
    for (const field of FILLED) {
      const how = journal.fields[field];
      if (how !== undefined) fills.push({ field, value: fillOf(JOURNAL_FIELDS[field].kind, how) });
    }
    plan = { hashArg: spec?.name, hashBytes: spec?.type === 'hash32', fills, connected: journal.connected === true };
  }
  plans.set(t, plan);
  return plan;
}

function hashOf(plan: Plan, event: EventFields): string | undefined {
  const raw = plan.hashArg === undefined ? undefined : event[plan.hashArg];
  if (!Buffer.isBuffer(raw)) return undefined;
  const hex = plan.hashBytes ? Buffer.from(raw).reverse().toString('hex') : raw.toString('latin1').toLowerCase();
  return HASH_HEX.test(hex) ? hex : undefined;
}

/** The display-order hex of a block hash: hash32 arguments are internal order (reversed), strings display order. */
export function displayHash(t: Tracepoint, event: EventFields): string | undefined {
  const plan = planOf(t);
  return plan ? hashOf(plan, event) : undefined;
}

/** The fields events fill, in record order; the hash is the key a record is opened with. */
const FILLED = JOURNAL_FIELD_NAMES.filter(
  (f): f is Exclude<FilledField, 'hash'> => f !== 'hash' && !('computed' in JOURNAL_FIELDS[f]),
);

export class Assembler {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly options: AssemblerOptions,
    private readonly complete: (record: BlockRecord) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** An event that fired at `at` and arrived at `arrived` (Unix ms). */
  event(t: Tracepoint, e: EventFields, at: number, arrived = at): void {
    const plan = planOf(t);
    if (!plan) return;
    const hash = hashOf(plan, e);
    if (!hash) return;
    let o = this.open.get(hash);
    if (!o) {
      if (this.open.size >= this.options.maxOpen) this.finish(this.open.keys().next().value as string);
      o = { record: emptyRecord(hash, at), firstMs: at, openedMs: arrived };
      this.open.set(hash, o);
    } else if (at < o.firstMs) {
      o.firstMs = at;
      o.record.first_seen = new Date(at).toISOString();
    }
    const r = o.record;
    for (const { field, value } of plan.fills) {
      const v = value(e);
      // The field's kind decided the value's type (a string for peers and labels, else a number).
      if (v !== undefined) (r as Record<typeof field, unknown>)[field] = v;
    }
    // The computed fields: from the record's own, and from the times the events fired.
    r.margin_ns = r.udp_ns !== null && r.cmpct_ns !== null ? Math.abs(r.udp_ns - r.cmpct_ns) : null;
    if (plan.connected) {
      o.connectedMs = at;
      o.connectedArrivedMs = arrived;
    }
    if (o.connectedMs !== undefined) r.seen_to_connected_ms = Math.round(o.connectedMs - o.firstMs);
  }

  /** Writes the records whose time has come; `all` writes every open one (at shutdown). */
  flush(now: number, all = false): void {
    for (const [hash, o] of this.open) {
      const connected = o.connectedArrivedMs !== undefined && now - o.connectedArrivedMs >= this.options.graceMs;
      if (all || connected || now - o.openedMs >= this.options.timeoutMs) this.finish(hash);
    }
  }

  private finish(hash: string): void {
    const o = this.open.get(hash);
    if (!o) return;
    this.open.delete(hash);
    this.complete(o.record);
  }
}
