/**
 * The one bpftrace program the agent runs, generated from the catalogue and from the stapsdt notes of
 * the binary being traced. Each probe computes its updates in BPF maps (counters, histogram buckets,
 * last values, peer-keyed counters: a microsecond or so inside bitcoind, and nothing queued), and
 * prints a line per event only for --verbose, --aggregation events, or the probes the journal joins. An interval probe prints the
 * maps while something changed; bpftrace prints them all once more when it exits.
 */

import {
  ARG_SIZE,
  type ArgSpec,
  type ArgType,
  type KnownLabel,
  TRACEPOINTS,
  type Tracepoint,
  type Update,
} from '../../probes/catalogue.js';
import { METRICS } from '../../probes/metrics.js';
import {
  type Aggregation,
  DIRTY_MAP,
  divisorOf,
  EVENTS_MAP,
  JOURNAL_LINES_MAP,
  JOURNAL_LINES_PER_SECOND,
  JOURNAL_SECOND_MAP,
  labelOrder,
  lineArgs,
  metricMaps,
  OUT_OF_RANGE_MAP,
  PEER_BYTES,
  peerLabelOf,
  printsEvents,
  printsLine,
  READY_WORD,
  rawBound,
} from '../../probes/protocol.js';
import { bpftraceArg, checkArgs, DIRECT_ARGS, type NoteSite } from './usdt-notes.js';

/** Strings are read with buf(str(...), 128): longer than the 64-byte default, which cuts Tor v3 peers. */
export const STRING_BYTES = 128;

export interface ProgramOptions {
  binary: string;
  /** Tells this attempt's counts from the previous one's: the agent carries totals across attempts. */
  attempt: number;
  aggregation: Aggregation;
  verbose: boolean;
  connectTimeDivisor: number;
  readIntervalMs: number;
  /** The per-block journal is on: the probes it joins print an event line each. */
  journal?: boolean;
}

/** A probe present in the binary: its catalogue entry and index, and its sites in the notes. */
export interface PresentProbe {
  index: number;
  tracepoint: Tracepoint;
  sites: readonly NoteSite[];
}

/** The catalogue's probes the binary has; an argument whose note disagrees with the catalogue is an error. */
export function presentProbes(notes: ReadonlyMap<string, readonly NoteSite[]>): PresentProbe[] {
  const present: PresentProbe[] = [];
  TRACEPOINTS.forEach((tracepoint, index) => {
    const sites = notes.get(tracepoint.probe);
    if (!sites || sites.length === 0) return;
    const problem = checkArgs(
      tracepoint.probe,
      sites,
      tracepoint.args.map((a) => ({ name: a.name, ...ARG_SIZE[a.type] })),
    );
    if (problem) throw new ProgramError(problem);
    present.push({ index, tracepoint, sites });
  });
  return present;
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
};

const FORMAT: Record<ArgType, string> = {
  bool: '%u',
  u32: '%u',
  i32: '%d',
  u64: '%llu',
  i64: '%lld',
  str: '%rx',
  hash32: '%rx',
};

/** The expression reading argument `position` (1-based) with its type's width and signedness. */
function argExpression(probe: PresentProbe, position: number): string {
  const spec = probe.tracepoint.args[position - 1] as ArgSpec;
  if (position <= DIRECT_ARGS) return `(${CAST[spec.type]})arg${position - 1}`;
  // Every site of a probe agrees on the note (checked in presentProbes), so the first one speaks for all.
  const note = probe.sites[0]?.args[position - 1];
  if (!note) throw new ProgramError(`${probe.tracepoint.probe}: its note has no argument ${position}`);
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
  for (const a of lineArgs(t, options.aggregation, options.verbose, options.journal)) {
    const x = argExpression(probe, position(t, a.name));
    formats.push(FORMAT[a.type]);
    const bytes = a.bytes ?? STRING_BYTES;
    if (a.type === 'str') values.push(`buf(str(${x}, ${bytes}), ${bytes})`);
    else if (a.type === 'hash32') values.push(`buf(${x}, 32)`);
    else values.push(x);
  }
  return `  printf("${formats.join(' ')}\\n"${values.map((v) => `, ${v}`).join('')});`;
}

/** The line, printed only while this second's journal budget lasts (racing CPUs may overspend a little). */
function withinJournalBudget(line: string): string {
  return [
    '  $sec = nsecs / 1000000000;',
    `  if (${JOURNAL_SECOND_MAP} != $sec) { ${JOURNAL_SECOND_MAP} = $sec; ${JOURNAL_LINES_MAP} = 0; }`,
    `  if (${JOURNAL_LINES_MAP} < ${JOURNAL_LINES_PER_SECOND}) {`,
    `    ${JOURNAL_LINES_MAP} = ${JOURNAL_LINES_MAP} + 1;`,
    `  ${line}`,
    '  }',
  ].join('\n');
}

/** Statements that set $kN to the index of a known label's value: string compares in the probe. */
function knownKey(variable: string, source: KnownLabel<string>, arg: string, bytes: number): string[] {
  const keys = Object.keys(source.values);
  // One read of the string, as short as its known values allow: BPF programs have 512 bytes of stack.
  const text = `${variable}s`;
  const lines = [`  ${text} = str(${arg}, ${bytes});`, `  ${variable} = ${keys.length};`];
  keys.forEach((k, i) => {
    lines.push(`  if (${text} == "${k.replace(/["\\]/g, '\\$&')}") { ${variable} = ${i}; }`);
  });
  return lines;
}

interface Written {
  maps: Set<string>;
}

function kernelUpdate(probe: PresentProbe, update: Update, n: number, options: ProgramOptions, w: Written): string[] {
  const t = probe.tracepoint;
  const out: string[] = [];
  const keys: string[] = [];
  const peer = peerLabelOf(update);
  for (const label of labelOrder(update)) {
    if (label === peer) continue;
    const source = (update.labels as Record<string, KnownLabel<string>> | undefined)?.[label];
    if (!source) throw new ProgramError(`${t.probe}: ${update.metric} has no source for label ${label}`);
    const variable = `$k${n}_${keys.length}`;
    const spec = t.args[position(t, source.arg) - 1] as ArgSpec;
    out.push(...knownKey(variable, source, argExpression(probe, position(t, source.arg)), spec.bytes ?? STRING_BYTES));
    keys.push(variable);
  }
  const maps = metricMaps(update.metric);
  const at = (extra: string[]) => {
    const all = [...keys, ...extra];
    return all.length ? `[${all.join(', ')}]` : '';
  };
  w.maps.add(maps.values);
  if ('add' in update) {
    const amount = update.add === 1 ? '1' : argExpression(probe, position(t, update.add));
    if (!peer) {
      out.push(`  ${maps.values}${at([])} = sum(${amount});`);
      return out;
    }
    // The peer's bytes, zero-padded, are the last key: bpftrace prints a buffer key escaped. The agent
    // keeps --peer-label-limit peers as labels and counts the rest as peer="other".
    const source = (update.labels as Record<string, { arg: string }>)[peer] as { arg: string };
    const read = `buf(str(${argExpression(probe, position(t, source.arg))}, ${PEER_BYTES}), ${PEER_BYTES})`;
    out.push(`  ${maps.values}${at([read])} = sum(${amount});`);
    return out;
  }
  const arg = 'observe' in update ? update.observe : update.set;
  const type = (t.args[position(t, arg) - 1] as ArgSpec).type;
  const v = `$v${n}`;
  out.push(`  ${v} = ${argExpression(probe, position(t, arg))};`);
  const signed = type === 'i32' || type === 'i64';
  const guards: string[] = [];
  if (signed && update.negative === 'out_of_range') {
    w.maps.add(OUT_OF_RANGE_MAP);
    out.push(`  if (${v} < 0) { ${OUT_OF_RANGE_MAP} = count(); }`);
  }
  if (signed && update.negative) guards.push(`${v} >= 0`);
  if ('zero' in update && update.zero === 'skip') guards.push(`${v} != 0`);
  const body: string[] = [];
  if ('set' in update) {
    body.push(`${maps.values}${at([])} = ${v};`);
  } else {
    const bounds = (METRICS[update.metric].buckets ?? []).map((b) =>
      rawBound(b, divisorOf(update, options.connectTimeDivisor)),
    );
    const b = `$b${n}`;
    // Highest bound first, so the last bound the value fits under sets the bucket.
    body.push(`${b} = ${bounds.length};`);
    for (let i = bounds.length - 1; i >= 0; i--) body.push(`if (${v} <= ${bounds[i]}) { ${b} = ${i}; }`);
    body.push(`${maps.values}${at([b])} = count();`, `${maps.sums}${at([])} = sum(${v});`);
    w.maps.add(maps.sums);
  }
  out.push(
    guards.length ? `  if (${guards.join(' && ')}) {\n    ${body.join('\n    ')}\n  }` : `  ${body.join('\n  ')}`,
  );
  return out;
}

export function buildProgram(probes: readonly PresentProbe[], options: ProgramOptions): string {
  const w: Written = { maps: new Set() };
  // The leading newline ends whatever line a killed bpftrace left unfinished in the shared pipe.
  const parts = [`BEGIN { printf("\\n${READY_WORD} ${options.attempt}\\n"); }`];
  for (const probe of probes) {
    const t = probe.tracepoint;
    const body: string[] = [];
    t.updates.forEach((u, n) => {
      if (options.aggregation === 'kernel') body.push(...kernelUpdate(probe, u, n, options, w));
    });
    if (options.aggregation === 'kernel') {
      // Counted here when the agent does not record the event from its line (it may still log it).
      body.push(`  ${EVENTS_MAP}[${probe.index}] = count();`);
      w.maps.add(EVENTS_MAP);
    }
    if (body.length) body.push(`  ${DIRTY_MAP} = 1;`);
    const [provider, name] = t.probe.split(':');
    const attach = `usdt:${options.binary}:${provider}:${name}`;
    let own: string | undefined;
    if (printsLine(t, options.aggregation, options.verbose, options.journal)) {
      // A line only the journal asked for is within its budget; --verbose and per-event lines are not.
      const line = printsEvents(options.aggregation, options.verbose)
        ? eventLine(probe, options)
        : withinJournalBudget(eventLine(probe, options));
      // Beside a peer-keyed map update the line gets a program of its own: each has 512 bytes of BPF
      // stack, and a journal line's strings (a hash, a 128-byte peer) do not fit beside that key. Only
      // there: every further program widens the moment at attach when a probe fires uncounted.
      if (t.updates.some((u) => peerLabelOf(u) !== undefined)) own = line;
      else body.push(line);
    }
    if (body.length) parts.push(`${attach}\n{\n${body.join('\n')}\n}`);
    // After the counting program: bpftrace attaches in this order, and the probe's semaphore goes up
    // with the first attachment, so no event can fire while only the line's program is attached.
    if (own) parts.push(`${attach}\n{\n${own}\n}`);
  }
  if (w.maps.size) {
    const prints = [...w.maps].map((m) => `print(${m});`).join(' ');
    parts.push(`interval:ms:${options.readIntervalMs} { if (${DIRTY_MAP}) { ${DIRTY_MAP} = 0; ${prints} } }`);
  }
  return `${parts.join('\n')}\n`;
}
