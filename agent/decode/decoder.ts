/**
 * One bpftrace output line to one typed event. The line grammar is set by the probe scripts:
 *
 *   EVENT FIELD...        fields separated by one space; integers in decimal; strings as \xNN for
 *                         every byte, NUL padding included (bpftrace's %rx), so no byte of a string
 *                         can be taken for a separator
 *   ready                 printed by the BEGIN block: every probe is attached
 *   Lost N events         bpftrace's own report of perf buffer overruns
 *
 * Anything else is invalid and reported as such; nothing here throws.
 */
import type { FieldSpec, FieldType, ProbeEntry } from '../../probes/catalogue.js';

export type EventFields = Record<string, number | Buffer>;

export type Decoded =
  | { readonly kind: 'event'; readonly entry: ProbeEntry; readonly event: EventFields }
  | { readonly kind: 'ready' }
  | { readonly kind: 'lost'; readonly count: number }
  | { readonly kind: 'invalid'; readonly reason: string };

export const READY_LINE = 'ready';

const RANGES: Record<Exclude<FieldType, 'str'>, readonly [number, number]> = {
  u32: [0, 2 ** 32 - 1],
  i32: [-(2 ** 31), 2 ** 31 - 1],
  u64: [0, 2 ** 64],
  i64: [-(2 ** 63), 2 ** 63],
};
const INTEGER = /^-?[0-9]{1,20}$/;
const HEX_BYTES = /^(?:\\x[0-9a-f]{2})+$/;
const LOST = /^Lost ([0-9]{1,20}) events$/;

function decodeField(spec: FieldSpec, token: string): number | Buffer | string {
  if (spec.type === 'str') {
    if (!HEX_BYTES.test(token)) return `${spec.name}: not a \\xNN byte string`;
    const bytes = Buffer.from(token.replaceAll('\\x', ''), 'hex');
    const nul = bytes.indexOf(0);
    return nul === -1 ? bytes : bytes.subarray(0, nul);
  }
  if (!INTEGER.test(token)) return `${spec.name}: not an integer`;
  const value = Number(token);
  const [min, max] = RANGES[spec.type];
  if (value < min || value > max) return `${spec.name}: ${token} out of ${spec.type} range`;
  return value;
}

export class Decoder {
  private readonly byEvent: Map<string, ProbeEntry>;

  constructor(entries: readonly ProbeEntry[]) {
    this.byEvent = new Map(entries.map((e) => [e.event, e]));
  }

  decode(line: string): Decoded {
    const tokens = line.split(' ');
    const head = tokens[0] ?? '';
    const entry = this.byEvent.get(head);
    if (entry === undefined) {
      if (line === READY_LINE) return { kind: 'ready' };
      const lost = LOST.exec(line);
      if (lost) return { kind: 'lost', count: Number(lost[1]) };
      return { kind: 'invalid', reason: 'unknown line' };
    }
    if (tokens.length !== entry.fields.length + 1) {
      return { kind: 'invalid', reason: `${head}: ${tokens.length - 1} fields, expected ${entry.fields.length}` };
    }
    const event: EventFields = {};
    for (let i = 0; i < entry.fields.length; i++) {
      const spec = entry.fields[i] as FieldSpec;
      const value = decodeField(spec, tokens[i + 1] as string);
      if (typeof value === 'string') return { kind: 'invalid', reason: `${head}: ${value}` };
      event[spec.name] = value;
    }
    return { kind: 'event', entry, event };
  }
}
