/**
 * The one bpftrace program the agent runs, generated from the catalogue and from the stapsdt notes of
 * the binary being traced (the probes: probe-selection.ts). Each probe computes its updates in BPF
 * maps (kernel-update.ts: counters, histogram buckets, last values, peer-keyed counters: a
 * microsecond or so inside bitcoind, and nothing queued), and prints a line per event
 * (event-lines.ts) only for --verbose, --aggregation events, or the probes the journal joins. An
 * interval probe prints the maps while something changed; bpftrace prints them all once more when it
 * exits.
 */

import {
  type Aggregation,
  bytesLabelOf,
  DIRTY_MAP,
  EPOCH_MAP,
  EVENTS_MAP,
  epochMap,
  inEpoch,
  JOURNAL_DECISION_MAP,
  JOURNAL_RING_MAP,
  JOURNAL_SKIPPED_MAP,
  keptPerEpoch,
  lineArgs,
  printsEvents,
  printsLine,
  READ_END_WORD,
  READ_WORD,
  READY_WORD,
  timedLine,
} from '../../probes/protocol.js';
import type { Semantics } from '../../probes/semantics.js';
import { eventLine, journalLine } from './event-lines.js';
import { type ArgVars, kernelUpdate, type Written } from './kernel-update.js';
import type { LabelVars } from './label-index.js';
import type { PresentProbe } from './probe-selection.js';

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

export function buildProgram(probes: readonly PresentProbe[], options: ProgramOptions): string {
  const w: Written = { maps: new Set() };
  // The leading newline ends whatever line a killed bpftrace left unfinished in the shared pipe;
  // print() flushes bpftrace's output (outputBuffering in probes/protocol.ts), printf() does not.
  const parts = [`BEGIN { print("\\n${READY_WORD} ${options.attempt}"); }`];
  for (const probe of probes) {
    const t = probe.tracepoint;
    const body: string[] = [];
    const vars: LabelVars = new Map();
    const argVars: ArgVars = new Map();
    if (options.aggregation === 'kernel')
      t.updates.forEach((update, index) => {
        body.push(
          ...kernelUpdate({ probe, update, index, semantics: options.semantics, written: w, labelVars: vars, argVars }),
        );
      });
    if (options.aggregation === 'kernel') {
      // Counted here when the agent does not record the event from its line (it may still log it).
      body.push(`  ${EVENTS_MAP}[${probe.index}] = count();`);
      w.maps.add(EVENTS_MAP);
      // The epoch is read once, before every update: all of one event's counts go to the same epoch's
      // maps (see READ_WORD). The branches differ only in the maps they name.
      const counting = body.splice(0).map((l) => `  ${l}`);
      const each = (e: 0 | 1) => inEpoch(counting.join('\n'), e);
      const reads = [...argVars].map(([variable, expression]) => `  ${variable} = ${expression};`);
      body.push(...reads, `  if (${EPOCH_MAP} == 0) {`, each(0), '  } else {', each(1), '  }');
    }
    if (body.length) body.push(`  ${DIRTY_MAP} = 1;`);
    const [provider, name] = t.probe.split(':');
    const attach = `usdt:${options.binary}:${provider}:${name}`;
    let own: string | undefined;
    if (printsLine(t, options.aggregation, options.verbose, options.journal)) {
      // A line only the journal asked for is within its budget of blocks; --verbose and per-event
      // lines are not (with either, every journal probe prints every event: nothing is skipped).
      const journalOnly = !printsEvents(t, options.aggregation, options.verbose);
      const args = lineArgs(t, options.aggregation, options.verbose, options.journal);
      const printed = eventLine(probe, args, timedLine(t, options.journal ?? false));
      const line = journalOnly ? journalLine(probe, printed) : printed;
      if (journalOnly) w.maps.add(JOURNAL_SKIPPED_MAP);
      // Beside the counts the line gets a program of its own: each has 512 bytes of BPF stack, and a
      // journal line's strings (a hash, a 128-byte peer) did not fit beside counts keyed by the epoch
      // (a value read at run time, so their keys could not be folded), nor do they beside counts keyed
      // by a peer. Not tried again since each epoch has its own maps.
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
    const once = [...w.maps].filter((m) => !keptPerEpoch(m));
    const perEpoch = [...w.maps].filter(keptPerEpoch);
    const printAll = (maps: readonly string[]) => maps.map((m) => `print(${m});`).join(' ');
    // The epoch at rest from here on is the one the probes wrote until now: only its maps are printed.
    const flip = `$rest = ${EPOCH_MAP}; ${EPOCH_MAP} = 1 - $rest;`;
    const resting = perEpoch.length
      ? ` if ($rest == 0) { ${printAll(perEpoch.map((m) => epochMap(m, 0)))} } else { ${printAll(perEpoch.map((m) => epochMap(m, 1)))} }`
      : '';
    const read = `printf("${READ_WORD} %d\\n", $rest);${resting} ${printAll(once)} print("${READ_END_WORD}");`;
    parts.push(`interval:ms:${options.readIntervalMs} { if (${DIRTY_MAP}) { ${DIRTY_MAP} = 0; ${flip} ${read} } }`);
  }
  // The decisions are the program's own bookkeeping: not printed with the maps when bpftrace exits.
  if (w.maps.has(JOURNAL_SKIPPED_MAP))
    parts.push(`END { clear(${JOURNAL_DECISION_MAP}); clear(${JOURNAL_RING_MAP}); }`);
  return `${parts.join('\n')}\n`;
}
