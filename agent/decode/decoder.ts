/**
 * One line of the generated program's output to one typed item; the grammar is in
 * probes/protocol.ts. Anything else is invalid and reported as such; nothing here throws.
 */
import { type ArgSpec, type ArgType, TRACEPOINTS, type Tracepoint } from '../../probes/catalogue.js';
import { type Aggregation, lineArgs, READ_END_WORD, READ_WORD, READY_WORD, timedLine } from '../../probes/protocol.js';
import { typesOf } from '../../probes/semantics.js';

export type EventFields = Record<string, number | Buffer>;

export type Decoded =
  | {
      readonly kind: 'event';
      readonly tracepoint: Tracepoint;
      readonly index: number;
      readonly event: EventFields;
      /** The kernel's CLOCK_MONOTONIC when the probe fired, in ns, for the lines that carry it. */
      readonly ns?: number;
    }
  | { readonly kind: 'map'; readonly map: string; readonly key: string; readonly value: number }
  | { readonly kind: 'ready'; readonly attempt: number }
  | { readonly kind: 'read'; readonly epoch: 0 | 1 }
  | { readonly kind: 'readEnd' }
  | { readonly kind: 'lost'; readonly count: number }
  | { readonly kind: 'invalid'; readonly reason: string };

const RANGES: Record<Exclude<ArgType, 'str' | 'hash32'>, readonly [number, number]> = {
  bool: [0, 255],
  u32: [0, 2 ** 32 - 1],
  i32: [-(2 ** 31), 2 ** 31 - 1],
  u64: [0, 2 ** 64],
  i64: [-(2 ** 63), 2 ** 63],
  ptr: [0, 2 ** 64],
};
const INTEGER = /^-?[0-9]{1,20}$/;
/** nsecs, printed with %llu. */
const TIME = /^[0-9]{1,20}$/;
const EMPTY = Buffer.alloc(0);
/** Buffer.from takes these too; %016llx never prints them. */
const UPPER_HEX = /[A-F]/;
const LOST = /^Lost ([0-9]{1,20}) events$/;
const READY = new RegExp(`^${READY_WORD} ([0-9]{1,9})$`);
const READ = new RegExp(`^${READ_WORD} ([01])$`);
/** A map entry: the key text is the recorder's to read (integers, and a printed buffer for a peer). */
const MAP = /^(@[A-Za-z_][A-Za-z0-9_]{0,63})(?:\[(.+)\])?: (-?[0-9]{1,20})$/;

/** buf(str()) stops reading at the NUL and pads with zeros. */
export function stripNul(bytes: Buffer): Buffer {
  const nul = bytes.indexOf(0);
  return nul === -1 ? bytes : bytes.subarray(0, nul);
}

/** The integers an argument can be on any release: what a line carries does not depend on which release bitcoind is. */
function rangeOf(spec: ArgSpec): readonly [number, number] {
  const ranges = typesOf(spec).flatMap((t) => (t === 'str' || t === 'hash32' ? [] : [RANGES[t]]));
  return [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))];
}

function decodeField(spec: ArgSpec, range: readonly [number, number], token: string): number | Buffer | string {
  if (spec.type === 'str' || spec.type === 'hash32') {
    // Buffer.from stops at the first pair that is not hex: a token of whole words comes back at half
    // its length (a pattern tested first cost as much again as the decoding).
    const bytes = token.length % 16 === 0 ? Buffer.from(token, 'hex') : EMPTY;
    if (bytes.length === 0 || bytes.length * 2 !== token.length || UPPER_HEX.test(token)) {
      return `${spec.name}: not hex words`;
    }
    // Each word was printed as a number: its bytes in memory order are its digits' bytes reversed.
    bytes.swap64();
    if (spec.type === 'hash32') return bytes.length === 32 ? bytes : `${spec.name}: not 32 bytes`;
    return stripNul(bytes);
  }
  if (!INTEGER.test(token)) return `${spec.name}: not an integer`;
  const value = Number(token);
  if (value < range[0] || value > range[1]) return `${spec.name}: ${token} out of ${typesOf(spec).join('/')} range`;
  return value;
}

interface LineShape {
  tracepoint: Tracepoint;
  index: number;
  args: readonly ArgSpec[];
  ranges: readonly (readonly [number, number])[];
  /** Fields on the line: the arguments, and the event's time when timed. */
  fields: number;
  timed: boolean;
}

export class Decoder {
  private readonly byProbe: Map<string, LineShape>;

  /** The line shapes follow from the same options the program was generated with. */
  constructor(aggregation: Aggregation, verbose: boolean, journal = false) {
    this.byProbe = new Map(
      TRACEPOINTS.map((tracepoint, index) => {
        const args = lineArgs(tracepoint, aggregation, verbose, journal);
        const ranges = args.map((a) => (a.type === 'str' || a.type === 'hash32' ? ([0, 0] as const) : rangeOf(a)));
        const timed = timedLine(tracepoint, journal);
        return [tracepoint.probe, { tracepoint, index, args, ranges, fields: args.length + (timed ? 1 : 0), timed }];
      }),
    );
  }

  decode(line: string): Decoded {
    if (line.charCodeAt(0) === 64 /* @ */) {
      const m = MAP.exec(line);
      if (!m) return { kind: 'invalid', reason: 'malformed map entry' };
      return { kind: 'map', map: m[1] as string, key: m[2] ?? '', value: Number(m[3]) };
    }
    const tokens = line.split(' ');
    const head = tokens[0] ?? '';
    const known = this.byProbe.get(head);
    if (known === undefined) {
      const ready = READY.exec(line);
      if (ready) return { kind: 'ready', attempt: Number(ready[1]) };
      const read = READ.exec(line);
      if (read) return { kind: 'read', epoch: read[1] === '1' ? 1 : 0 };
      if (line === READ_END_WORD) return { kind: 'readEnd' };
      const lost = LOST.exec(line);
      if (lost) return { kind: 'lost', count: Number(lost[1]) };
      return { kind: 'invalid', reason: 'unknown line' };
    }
    const { args, ranges, fields } = known;
    if (tokens.length !== fields + 1) {
      return { kind: 'invalid', reason: `${head}: ${tokens.length - 1} fields, expected ${fields}` };
    }
    const event: EventFields = {};
    for (let i = 0; i < args.length; i++) {
      const spec = args[i] as ArgSpec;
      const value = decodeField(spec, ranges[i] as readonly [number, number], tokens[i + 1] as string);
      if (typeof value === 'string') return { kind: 'invalid', reason: `${head}: ${value}` };
      event[spec.name] = value;
    }
    if (!known.timed) return { kind: 'event', tracepoint: known.tracepoint, index: known.index, event };
    const time = tokens[fields] as string;
    if (!TIME.test(time)) return { kind: 'invalid', reason: `${head}: no time` };
    return { kind: 'event', tracepoint: known.tracepoint, index: known.index, event, ns: Number(time) };
  }
}
