/**
 * What the generated bpftrace program prints and the agent reads: the contract between the program
 * generator (agent/source/program.ts) and the decoder (agent/decode/). Everything bpftrace prints is
 * one of:
 *
 *   ready ATTEMPT               the BEGIN block: every probe of this attempt is attached; counts in
 *                               the maps start again from 0
 *   @MAP[K, K]: V  or  @MAP: V  a BPF map entry, printed every read interval while something changed,
 *                               and all of them once more when bpftrace exits; keys and values are
 *                               integers, never strings
 *   PROVIDER:NAME FIELD...      one event: the arguments lineArgs() names, in catalogue order; integers
 *                               in decimal, strings as \xNN for every byte (%rx), so no byte of a
 *                               string can be a separator
 *   Lost N events               bpftrace's own report of perf buffer overruns
 */
import { type ArgSpec, hasPerEventUpdates, type KnownLabel, type Tracepoint, type Update } from './catalogue.js';
import { METRICS, type MetricKey } from './metrics.js';

export const READY_WORD = 'ready';

/** Set by every probe, cleared when the maps are printed: an idle node costs no printing at all. */
export const DIRTY_MAP = '@dirty';
/** Events counted in the kernel, keyed by the tracepoint's index in the catalogue. */
export const EVENTS_MAP = '@ev';
/** Values no real measurement can have (a negative duration), counted in the kernel. */
export const OUT_OF_RANGE_MAP = '@oor';

/** The maps a metric lives in. Keys: the index of each known label's value, then (histograms) the bucket. */
export function metricMaps(metric: MetricKey): { values: string; sums: string } {
  const def = METRICS[metric];
  if (def.kind === 'histogram') return { values: `@h_${metric}`, sums: `@s_${metric}` };
  return { values: `@${def.kind === 'counter' ? 'c' : 'g'}_${metric}`, sums: '' };
}

/** A known label's value for a string, and its index in the map key (`otherwise` comes last). */
export function knownIndex(source: KnownLabel<string>, text: string): number {
  const keys = Object.keys(source.values);
  const i = keys.indexOf(text);
  return i === -1 ? keys.length : i;
}

export function knownValue(source: KnownLabel<string>, index: number): string {
  const keys = Object.keys(source.values);
  return index < keys.length ? (source.values[keys[index] as string] as string) : source.otherwise;
}

/** Label names of an update in map-key order: the metric's own order, `node` left out. */
export function labelOrder(update: Update): string[] {
  return METRICS[update.metric].labels.filter((l) => l !== 'node');
}

/** What an observed argument is divided by to give the metric's unit. */
export function divisorOf(update: Update, connectTimeDivisor: number): number {
  if (!('observe' in update)) return 1;
  if (update.divisor === 'connect_time') return connectTimeDivisor;
  return update.divisor ?? 1;
}

/**
 * A bucket bound in the argument's own integer unit: an integer v is at most bound * divisor exactly
 * when it is at most the floor of it. Products a rounding error away from an integer are that integer.
 */
export function rawBound(bound: number, divisor: number): number {
  const raw = bound * divisor;
  const near = Math.round(raw);
  return Math.abs(raw - near) <= 1e-9 * Math.max(1, Math.abs(near)) ? near : Math.floor(raw);
}

/** Where each metric is computed: in the kernel, or in the agent from one line per event. */
export type Aggregation = 'kernel' | 'events';

/** True when this update is computed in the kernel: never one with a peer label (free text). */
export function inKernel(update: Update, aggregation: Aggregation): boolean {
  return aggregation === 'kernel' && !Object.values(update.labels ?? {}).some((l) => 'peer' in l);
}

/** True when the agent records this tracepoint's events from their lines (and so counts them). */
export function recordsEvents(t: Tracepoint, aggregation: Aggregation): boolean {
  return aggregation === 'events' || hasPerEventUpdates(t);
}

/** True when this tracepoint's events are printed as lines: recorded, or logged with --verbose. */
export function printsEvents(t: Tracepoint, aggregation: Aggregation, verbose: boolean): boolean {
  return verbose || recordsEvents(t, aggregation);
}

/** validation:block_connected's connect time unit: ns since bitcoind v25, us in v23 and v24. */
export type ConnectTimeUnit = 'ns' | 'us';

export function connectTimeDivisor(unit: ConnectTimeUnit): number {
  return unit === 'us' ? 1e6 : 1e9;
}

/** The arguments an update reads: its value and its labels' sources. */
function argsOf(update: Update): string[] {
  const value =
    'add' in update ? (update.add === 1 ? [] : [update.add]) : ['observe' in update ? update.observe : update.set];
  return [...value, ...Object.values(update.labels ?? {}).map((l) => l.arg)];
}

/**
 * The arguments an event line carries, in catalogue order: those the agent's own updates read, and
 * with --verbose those the log line shows. Nothing more: every string costs BPF stack and CPU.
 */
export function lineArgs(t: Tracepoint, aggregation: Aggregation, verbose: boolean): ArgSpec[] {
  const needed = new Set<string>();
  for (const u of t.updates) if (!inKernel(u, aggregation)) for (const a of argsOf(u)) needed.add(a);
  if (verbose) for (const a of t.shows ?? []) needed.add(a);
  return t.args.filter((a) => needed.has(a.name));
}
