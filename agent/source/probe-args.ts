/**
 * How the program reads a probe's arguments: bpftrace's argN where it can, the location in the
 * binary's stapsdt note where it cannot, each cast to its type on the traced release.
 */
import type { ArgType, Tracepoint } from '../../probes/catalogue.js';
import type { ReleaseArg } from '../../probes/semantics.js';
import type { PresentProbe } from './probe-selection.js';
import { ProgramError } from './program-error.js';
import { bpftraceArg, DIRECT_ARGS, type NoteArg, noteLocation } from './usdt-notes.js';

const CAST: Record<ArgType, string> = {
  bool: 'uint8',
  u32: 'uint32',
  i32: 'int32',
  u64: 'uint64',
  i64: 'int64',
  str: 'uint64',
  hash32: 'uint64',
  ptr: 'uint64',
};

/** Operand forms bpftrace 0.17's argN reads itself: a register, or a register plus an offset. */
const SIMPLE_OPERAND = /^(?:%[a-z0-9]+|-?[0-9]*\(%[a-z0-9]+\))$/;

/**
 * The expression reading argument `position` (1-based) with its type's width and signedness. The
 * first six are bpftrace's argN where it can read them (resolved per site, and the least BPF stack);
 * the rest, and operand forms argN fails on (base plus index), are read from the location in the note.
 */
export function argExpression(probe: PresentProbe, position: number): string {
  const spec = probe.args[position - 1] as ReleaseArg;
  if (spec.absent) return `(${CAST[spec.type]})0`;
  const read = readArg(probe, position, spec);
  // An older release's unit, converted to the entry's: everything after the probe reads one unit.
  return spec.factor === 1 ? read : `(${read} * ${spec.factor})`;
}

function readArg(probe: PresentProbe, position: number, spec: ReleaseArg): string {
  const notes = probe.sites.map((site) => site.args[position - 1]);
  const note = notes[0];
  if (!note) throw new ProgramError(`${probe.tracepoint.probe}: its note has no argument ${position}`);
  const where = (n: NoteArg | undefined) => (n ? noteLocation(n) : '');
  if (position <= DIRECT_ARGS && notes.every((n) => SIMPLE_OPERAND.test(where(n)))) {
    return `(${CAST[spec.type]})arg${position - 1}`;
  }
  // Every site of a probe keeps this argument in one place (checked in presentProbes for the 7th
  // on; for the first six, a site elsewhere would be read wrongly, so it is refused below).
  if (notes.some((n) => where(n) !== where(note))) {
    throw new ProgramError(
      `${probe.tracepoint.probe} argument ${position}: its sites keep it in different places, one of them in a form bpftrace cannot read (${notes.map((n) => n?.spec).join(', ')})`,
    );
  }
  return `(${CAST[spec.type]})(${bpftraceArg(note)})`;
}

/** The position (1-based, as argExpression takes it) of the argument called `name`. */
export function positionOf(t: Tracepoint, name: string): number {
  const i = t.args.findIndex((a) => a.name === name);
  if (i === -1) throw new ProgramError(`${t.probe}: no argument named ${name}`);
  return i + 1;
}
