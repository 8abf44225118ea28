/**
 * The one bpftrace program the agent runs, generated from the catalogue and from the stapsdt notes of
 * the binary being traced. Each probe computes its updates in BPF maps (counters, histogram buckets,
 * last values, peer-keyed counters: a microsecond or so inside bitcoind, and nothing queued), and
 * prints a line per event only for --verbose, --aggregation events, or the probes the journal joins. An interval probe prints the
 * maps while something changed; bpftrace prints them all once more when it exits.
 */

import {
  type ArgType,
  type CodeLabel,
  type KnownLabel,
  type LabelSource,
  type Pack,
  selectedTracepoints,
  TRACEPOINTS,
  type Tracepoint,
  type Update,
} from '../../probes/catalogue.js';
import {
  type Aggregation,
  bytesLabelOf,
  DIRTY_MAP,
  EPOCH_MAP,
  EPOCH_VAR,
  EVENTS_MAP,
  epochKeyed,
  JOURNAL_BLOCKS_PER_SECOND,
  JOURNAL_DECISION_MAP,
  JOURNAL_KEEP,
  JOURNAL_KEPT_MAP,
  JOURNAL_RING_MAP,
  JOURNAL_RING_POS_MAP,
  JOURNAL_RING_SIZE,
  JOURNAL_SECOND_MAP,
  JOURNAL_SKIP,
  JOURNAL_SKIPPED_MAP,
  labelOrder,
  labelValues,
  lineArgs,
  printsEvents,
  printsLine,
  READ_END_WORD,
  READ_WORD,
  READY_WORD,
} from '../../probes/protocol.js';
import { argsOn, codesOn, noteShape, type ReleaseArg, type Semantics, valuesOn } from '../../probes/semantics.js';
import { type KernelTerms, kernelStatements } from '../../probes/update-rules.js';
import { bpftraceArg, checkArgs, DIRECT_ARGS, type NoteArg, type NoteSite, noteLocation } from './usdt-notes.js';

/** Strings are read with buf(str(...), 128): longer than the 64-byte default, which cuts Tor v3 peers. */
export const STRING_BYTES = 128;

export interface ProgramOptions {
  binary: string;
  /** Tells this attempt's counts from the previous one's: the agent carries totals across attempts. */
  attempt: number;
  aggregation: Aggregation;
  verbose: boolean;
  /** The release whose argument types, units and label values the probes read. */
  semantics: Semantics;
  readIntervalMs: number;
  /** The per-block journal is on: the probes it joins print an event line each. */
  journal?: boolean;
}

/** A probe present in the binary: its catalogue entry and index, its arguments on this release, and its sites in the notes. */
export interface PresentProbe {
  index: number;
  tracepoint: Tracepoint;
  args: readonly ReleaseArg[];
  sites: readonly NoteSite[];
}

export interface Selection {
  present: PresentProbe[];
  /** One line per probe whose note disagrees with what the catalogue reads on this release: not attached. */
  refused: string[];
}

/**
 * The selected packs' probes the binary has. A probe whose note disagrees with the release's
 * arguments is refused alone: the others still attach.
 */
export function presentProbes(
  notes: ReadonlyMap<string, readonly NoteSite[]>,
  packs: readonly Pack[] | undefined,
  semantics: Semantics,
): Selection {
  const selection: Selection = { present: [], refused: [] };
  const selected = new Set(selectedTracepoints(packs));
  TRACEPOINTS.forEach((tracepoint, index) => {
    const sites = notes.get(tracepoint.probe);
    if (!selected.has(tracepoint)) return;
    if (!sites || sites.length === 0) return;
    const args = argsOn(tracepoint, semantics);
    const problem = checkArgs(tracepoint.probe, sites, noteShape(args), semantics.release);
    if (problem) selection.refused.push(problem);
    else selection.present.push({ index, tracepoint, args, sites });
  });
  return selection;
}

export class ProgramError extends Error {}

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

const FORMAT: Record<ArgType, string> = {
  bool: '%u',
  u32: '%u',
  i32: '%d',
  u64: '%llu',
  i64: '%lld',
  str: '%rx',
  hash32: '%rx',
  ptr: '%llu',
};

/** Operand forms bpftrace 0.17's argN reads itself: a register, or a register plus an offset. */
const SIMPLE_OPERAND = /^(?:%[a-z0-9]+|-?[0-9]*\(%[a-z0-9]+\))$/;

/**
 * The expression reading argument `position` (1-based) with its type's width and signedness. The
 * first six are bpftrace's argN where it can read them (resolved per site, and the least BPF stack);
 * the rest, and operand forms argN fails on (base plus index), are read from the location in the note.
 */
function argExpression(probe: PresentProbe, position: number): string {
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

function position(t: Tracepoint, name: string): number {
  const i = t.args.findIndex((a) => a.name === name);
  if (i === -1) throw new ProgramError(`${t.probe}: no argument named ${name}`);
  return i + 1;
}

/** A printf of the arguments the agent needs: the event line the decoder reads. */
function eventLine(probe: PresentProbe, options: ProgramOptions): string {
  const t = probe.tracepoint;
  const formats = [t.probe];
  const values: string[] = [];
  for (const { name } of lineArgs(t, options.aggregation, options.verbose, options.journal)) {
    const a = probe.args[position(t, name) - 1] as ReleaseArg;
    const x = argExpression(probe, position(t, name));
    formats.push(FORMAT[a.type]);
    const bytes = a.bytes ?? STRING_BYTES;
    if (a.type === 'str') values.push(`buf(str(${x}, ${bytes}), ${bytes})`);
    else if (a.type === 'hash32') values.push(`buf(${x}, 32)`);
    else values.push(x);
  }
  return `  printf("${formats.join(' ')}\\n"${values.map((v) => `, ${v}`).join('')});`;
}

/**
 * Statements setting $jk to 8 bytes of the block's hash (internal order bytes 0 to 7, little-endian),
 * the key of the journal's decision. Probes pass the hash either as its 32 bytes or as display-order
 * hex: hex digits 48 to 63 are those bytes, reversed, and turned back into them here without a branch
 * (a digit's low four bits, plus 9 when bit 6 says it is a letter). These bytes, not the first ones:
 * proof of work makes the last bytes of a hash zeros.
 */
function journalKey(probe: PresentProbe): string[] {
  const t = probe.tracepoint;
  const spec = probe.args[position(t, 'hash') - 1] as ReleaseArg;
  const at = argExpression(probe, position(t, 'hash'));
  if (spec.type === 'hash32') return [`  $jk = *(uint64*)(${at});`];
  // One word of 8 digits into 4 bytes: nibbles, then pairs of nibbles in 16-bit lanes, then the lanes
  // in reverse order (the hex is display order).
  const half = (offset: number, out: string) => [
    `  $jw = *(uint64*)($jp + ${offset});`,
    '  $jw = ($jw & 0x0f0f0f0f0f0f0f0f) + 9 * (($jw >> 6) & 0x0101010101010101);',
    '  $jw = (($jw & 0x000f000f000f000f) << 4) | (($jw >> 8) & 0x000f000f000f000f);',
    `  ${out} = (($jw >> 48) & 0xff) | (($jw >> 24) & 0xff00) | ($jw & 0xff0000) | (($jw & 0xff) << 24);`,
  ];
  return [`  $jp = (uint64)(${at});`, ...half(48, '$jk'), ...half(56, '$jl'), '  $jk = ($jk << 32) | $jl;'];
}

/**
 * A journal-only line, printed for the blocks the journal keeps. A block's first journal event decides
 * (within this second's budget: keep; beyond it: skip, and count the block), and the block's later
 * events follow the decision, so a kept block's record is whole. The decision is remembered for the
 * next JOURNAL_RING_SIZE blocks. Racing CPUs may keep a block or two beyond the budget, and two blocks
 * first seen at the same moment on two CPUs may share a ring position, leaving one decision to stay in
 * its map (which has room for thousands).
 */
function journalLine(probe: PresentProbe, line: string): string {
  const d = JOURNAL_DECISION_MAP;
  return [
    ...journalKey(probe),
    `  $jd = ${d}[$jk];`,
    '  if ($jd == 0) {',
    '    $sec = nsecs / 1000000000;',
    `    if (${JOURNAL_SECOND_MAP} != $sec) { ${JOURNAL_SECOND_MAP} = $sec; ${JOURNAL_KEPT_MAP} = 0; }`,
    `    $jr = ${JOURNAL_RING_POS_MAP};`,
    `    ${JOURNAL_RING_POS_MAP} = ($jr + 1) % ${JOURNAL_RING_SIZE};`,
    // The decision this position held is the oldest: forgotten for the new one.
    `    $jo = ${JOURNAL_RING_MAP}[$jr];`,
    `    delete(${d}[$jo]);`,
    `    ${JOURNAL_RING_MAP}[$jr] = $jk;`,
    `    $jd = ${JOURNAL_SKIP};`,
    `    if (${JOURNAL_KEPT_MAP} < ${JOURNAL_BLOCKS_PER_SECOND}) { ${JOURNAL_KEPT_MAP} = ${JOURNAL_KEPT_MAP} + 1; $jd = ${JOURNAL_KEEP}; }`,
    `    else { ${JOURNAL_SKIPPED_MAP} = count(); ${DIRTY_MAP} = 1; }`,
    `    ${d}[$jk] = $jd;`,
    '  }',
    `  if ($jd == ${JOURNAL_KEEP}) {`,
    `  ${line}`,
    '  }',
  ].join('\n');
}

/** Per probe: each label computed once, whatever number of updates use it (a message's type feeds two). */
type LabelVars = Map<string, string>;

/**
 * Statements that set `variable` to the index, in the metric's label values, of the value a known or
 * coded label gives this event, stopping at the first match. A known string is compared as integers:
 * bpftrace's string compares branch at every byte, and a few dozen of them are more paths than the
 * BPF verifier accepts (measured: 35 message types, or 6 connection types of 21 bytes).
 */
function labelIndex(
  variable: string,
  source: KnownLabel<string> | CodeLabel<string>,
  arg: string,
  universe: readonly string[],
  semantics: Semantics,
): string[] {
  const index = (value: string) => universe.indexOf(value);
  const cases: [string, number][] = [];
  const lines: string[] = [];
  if ('codes' in source) {
    // Read once: an argument in memory would be read again by every compare.
    lines.push(`  ${variable}v = ${arg};`);
    for (const [code, value] of Object.entries(codesOn(source, semantics.release)))
      cases.push([`${variable}v == ${code}`, index(value)]);
  } else {
    const values = valuesOn(source, semantics.release);
    const keys = Object.keys(values);
    const count = Math.ceil((Math.max(...keys.map((k) => Buffer.byteLength(k, 'latin1'))) + 1) / 8);
    lines.push(...wordsOf(variable, arg, count));
    for (const k of keys) {
      const test = packWords(k, count).map((w, i) => `${variable}w${i} == ${w}`);
      cases.push([test.join(' && '), index(values[k] as string)]);
    }
  }
  lines.push(`  ${variable} = ${index(source.otherwise)};`);
  if (cases.length) lines.push(`  ${cases.map(([c, i]) => `if (${c}) { ${variable} = ${i}; }`).join(' else ')}`);
  return lines;
}

/** A known value as the little-endian words its bytes and NUL padding make. */
function packWords(value: string, count: number): string[] {
  const bytes = Buffer.alloc(8 * count);
  bytes.write(value, 'latin1');
  // Printable ASCII: every word is under 2^63, which bpftrace's integer literals hold.
  return Array.from({ length: count }, (_, i) => bytes.readBigUInt64LE(8 * i).toString());
}

/**
 * Reads `count` words at a string pointer and zeroes every byte from the first NUL on (what follows a
 * short string's NUL is whatever its buffer held before). A zero byte is found without a loop:
 * (w - 0x01..01) & ~w & 0x80..80 has its lowest set bit in w's first zero byte. The words hold one
 * byte more than the longest known value, so a longer string keeps a nonzero last byte and matches
 * none. Reading past a short string stays within what bitcoind passes (a std::string's buffer, a
 * literal in .rodata); a read the kernel refuses gives zeros, which match no known value.
 */
function wordsOf(variable: string, pointer: string, count: number): string[] {
  const w = (i: number) => `${variable}w${i}`;
  const zero = (x: string) => `(${x} - 72340172838076673) & ~${x} & ~9187201950435737471`;
  const keepBelow = (t: string) => `(((${t} & -${t}) >> 7) - 1)`;
  const lines = [`  ${variable}p = (uint64)(${pointer});`];
  for (let i = 0; i < count; i++) lines.push(`  ${w(i)} = *(uint64*)(${variable}p + ${8 * i});`);
  // Word i is cut at its first NUL; when it has one, every later word is 0.
  const cut = (i: number): string => {
    const t = `${variable}t${i}`;
    const rest = Array.from({ length: count - i - 1 }, (_, j) => `${w(i + j + 1)} = 0;`).join(' ');
    const mask = `${t} = ${zero(w(i))}; ${w(i)} = ${w(i)} & ${keepBelow(t)};`;
    if (i === count - 1) return mask;
    return `${mask} if (${t} != 0) { ${rest} } else { ${cut(i + 1)} }`;
  };
  lines.push(`  ${cut(0)}`);
  return lines;
}

interface Written {
  maps: Set<string>;
}

/** One update of a probe, and what its statements share with the probe's others. */
interface KernelUpdateOptions {
  probe: PresentProbe;
  update: Update;
  /** The update's place among its probe's: it names the update's variables. */
  index: number;
  semantics: Semantics;
  written: Written;
  labelVars: LabelVars;
}

/** The statements of one update: its labels' indices, then the update's rules (probes/update-rules.ts). */
function kernelUpdate({ probe, update, index, semantics, written, labelVars }: KernelUpdateOptions): string[] {
  const t = probe.tracepoint;
  const arg = (name: string) => argExpression(probe, position(t, name));
  const pre: string[] = [];
  const keys: string[] = [];
  const bytesLabel = bytesLabelOf(update);
  for (const label of labelOrder(update)) {
    if (label === bytesLabel) continue;
    const source = (update.labels as Record<string, LabelSource<string>> | undefined)?.[label];
    if (!source || 'peer' in source)
      throw new ProgramError(`${t.probe}: ${update.metric} has no source for label ${label}`);
    const universe = labelValues(update.metric, label);
    if ('value' in source) {
      keys.push(String(universe.indexOf(source.value)));
      continue;
    }
    const id = JSON.stringify([source, universe]);
    let variable = labelVars.get(id);
    if (!variable) {
      variable = `$l${labelVars.size}`;
      labelVars.set(id, variable);
      pre.push(...labelIndex(variable, source, arg(source.arg), universe, semantics));
    }
    keys.push(variable);
  }
  const terms: KernelTerms = {
    arg,
    typeOf: (name) => (probe.args[position(t, name) - 1] as ReleaseArg).type,
    at: (extra = []) => {
      const all = [...(epochKeyed(update.metric) ? [EPOCH_VAR] : []), ...keys, ...extra];
      return all.length ? `[${all.join(', ')}]` : '';
    },
    value: `$v${index}`,
    per: `$d${index}`,
    bucket: `$b${index}`,
    writes: (map) => written.maps.add(map),
  };
  return [...pre, ...kernelStatements(update, terms).map((l) => `  ${l}`)];
}

export function buildProgram(probes: readonly PresentProbe[], options: ProgramOptions): string {
  const w: Written = { maps: new Set() };
  // The leading newline ends whatever line a killed bpftrace left unfinished in the shared pipe.
  const parts = [`BEGIN { printf("\\n${READY_WORD} ${options.attempt}\\n"); }`];
  for (const probe of probes) {
    const t = probe.tracepoint;
    const body: string[] = [];
    const vars: LabelVars = new Map();
    t.updates.forEach((u, n) => {
      if (options.aggregation === 'kernel')
        body.push(
          ...kernelUpdate({ probe, update: u, index: n, semantics: options.semantics, written: w, labelVars: vars }),
        );
    });
    if (options.aggregation === 'kernel') {
      // Counted here when the agent does not record the event from its line (it may still log it).
      body.push(`  ${EVENTS_MAP}[${EPOCH_VAR}, ${probe.index}] = count();`);
      w.maps.add(EVENTS_MAP);
      // Read once, before every update: all of one event's counts go to the same epoch.
      body.unshift(`  ${EPOCH_VAR} = ${EPOCH_MAP};`);
    }
    if (body.length) body.push(`  ${DIRTY_MAP} = 1;`);
    const [provider, name] = t.probe.split(':');
    const attach = `usdt:${options.binary}:${provider}:${name}`;
    let own: string | undefined;
    if (printsLine(t, options.aggregation, options.verbose, options.journal)) {
      // A line only the journal asked for is within its budget of blocks; --verbose and per-event
      // lines are not (with either, every journal probe prints every event: nothing is skipped).
      const journalOnly = !printsEvents(t, options.aggregation, options.verbose);
      const line = journalOnly ? journalLine(probe, eventLine(probe, options)) : eventLine(probe, options);
      if (journalOnly) w.maps.add(JOURNAL_SKIPPED_MAP);
      // Beside the counts the line gets a program of its own: each has 512 bytes of BPF stack, and a
      // journal line's strings (a hash, a 128-byte peer) do not fit beside counts keyed by the epoch
      // (a value read at run time, so their keys cannot be folded) or by a peer.
      if (options.aggregation === 'kernel' || t.updates.some((u) => bytesLabelOf(u) !== undefined)) own = line;
      else body.push(line);
    }
    // The line's program first: bpftrace 0.17 attaches the blocks last first (see probe-stats.ts),
    // and the probe's semaphore goes up with the first attachment, so the counts are attached before
    // any event can fire and a line never speaks of an event that was not counted.
    if (own) parts.push(`${attach}\n{\n${own}\n}`);
    if (body.length) parts.push(`${attach}\n{\n${body.join('\n')}\n}`);
  }
  if (w.maps.size) {
    const prints = [...w.maps].map((m) => `print(${m});`).join(' ');
    // The epoch at rest from here on is the one the probes wrote until now (see READ_WORD).
    const flip = `$rest = ${EPOCH_MAP}; ${EPOCH_MAP} = 1 - $rest;`;
    const read = `printf("${READ_WORD} %d\\n", $rest); ${prints} printf("${READ_END_WORD}\\n");`;
    parts.push(`interval:ms:${options.readIntervalMs} { if (${DIRTY_MAP}) { ${DIRTY_MAP} = 0; ${flip} ${read} } }`);
  }
  // The decisions are the program's own bookkeeping: not printed with the maps when bpftrace exits.
  if (w.maps.has(JOURNAL_SKIPPED_MAP))
    parts.push(`END { clear(${JOURNAL_DECISION_MAP}); clear(${JOURNAL_RING_MAP}); }`);
  return `${parts.join('\n')}\n`;
}
