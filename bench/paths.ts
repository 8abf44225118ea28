/**
 * The per-event path (--aggregation events) against the in-kernel path (the default), end to end on
 * the simulated bitcoind with real bpftrace: CPU of every agent process per 100k events at three
 * rates, events lost, CPU inside the traced process per fired probe, tracepoint to /metrics, idle CPU
 * and start-up. Needs root and bpftrace. Prints a table and the raw numbers; asserts nothing.
 *   node dist/bench/paths.js [--quick]
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { selectedTracepoints } from '../probes/catalogue.js';
import {
  Agent,
  buildSimulator,
  type CpuDelta,
  cpuBetween,
  enableSemaphores,
  fmt,
  type ProcCpu,
  printTable,
  SimRun,
  simMs,
  sleep,
  sumOf,
  treeCpu,
} from './harness.js';
import { measureLatency, median, quantile } from './latency.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
// --quick: a tenth of the blocks and a short idle, to try the benchmark itself, not to quote.
const SCALE = values.quick ? 0.1 : 1;

/**
 * FIBRE's probes and block_connected only: the simulator also fires the other packs' probes (dozens a
 * block) when they are attached, which would change what these numbers mean (their cost is
 * bench/pack-cost.ts's). The agents here run with --packs fibre,validation, and the baselines set
 * these probes' semaphores.
 */
const PACKS = ['--packs', 'fibre,validation'] as const;
const ATTACHED = selectedTracepoints(['fibre', 'validation']).map((t) => t.probe);
/** -k: the simulator fires once every one of them is enabled (mempool:replaced is not among them). */
const WAIT_FOR = String(ATTACHED.length);
/**
 * Every event the agent counted, by event type: udp:block_race_time has no count of its own (it
 * observes a margin only when both paths delivered), so per-metric counts missed one event a block.
 */
const COUNTED = ['fibre_exporter_events_processed_total'];

interface Path {
  name: 'events' | 'kernel';
  args: readonly string[];
}
const PATHS: readonly Path[] = [
  { name: 'events', args: [...PACKS, '--aggregation', 'events'] },
  { name: 'kernel', args: [...PACKS] },
];

interface Rate {
  label: string;
  /** Simulator -r: blocks per second, 0 = as fast as it fires. */
  rate: number;
  blocks: number;
  /** Blocks of each baseline run: per-block costs need fewer blocks than the traced runs. */
  baselineBlocks: number;
}
const RATES: readonly Rate[] = [
  { label: '3,750 ev/s', rate: 1000, blocks: 30_000 * SCALE, baselineBlocks: 10_000 * SCALE },
  { label: '75,000 ev/s', rate: 20_000, blocks: 200_000 * SCALE, baselineBlocks: 40_000 * SCALE },
  { label: 'max rate', rate: 0, blocks: 100_000 * SCALE, baselineBlocks: 100_000 * SCALE },
];
/** The settled idle window, as the cost target reads: 60 s from IDLE_SETTLED_S after attaching. */
const IDLE_S = values.quick ? 10 : 60;
/** Both node processes keep collecting garbage for about 20 s after start-up; idle is measured after it. */
const IDLE_SETTLED_S = values.quick ? 10 : 30;
const LATENCY_BLOCKS = values.quick ? 10 : 40;
/**
 * After attaching, before measuring a load: the agent runs for months, so what a load costs is
 * measured once start-up work (JIT, the garbage collection of about 30 s after loading) is over;
 * start-up and its first seconds are measured on their own (start-up, idle from 3 s).
 */
const SETTLE_MS = IDLE_SETTLED_S * 1000;

const sim = buildSimulator('paths');
const simArgs = (r: Rate, blocks: number, seed: number) => [
  '-n',
  String(blocks),
  '-r',
  String(r.rate),
  '-s',
  String(seed),
];

interface Baseline {
  /** The simulator's CPU per block with no tracer: semaphores 0, nothing fired or printed. */
  idleUsPerBlock: number;
  /** ... with the six semaphores set by hand but no uprobe: arguments computed and JSON printed. */
  printUsPerBlock: number;
  firedPerBlock: number;
}

async function baseline(r: Rate, seed: number): Promise<Baseline> {
  const quiet = await SimRun.start(sim, [...simArgs(r, r.baselineBlocks, seed), '-l'], false);
  const q0 = simMs(quiet.pid);
  await quiet.done();
  const idleUsPerBlock = ((simMs(quiet.pid) - q0) * 1000) / r.baselineBlocks;
  await quiet.stop();
  rmSync(dirname(quiet.out), { recursive: true });

  const printing = await SimRun.start(
    sim,
    [...simArgs(r, r.baselineBlocks, seed), '-w', '60', '-k', WAIT_FOR, '-l'],
    true,
  );
  enableSemaphores(sim, printing.pid, ATTACHED);
  const p0 = simMs(printing.pid);
  printing.resume();
  await printing.done();
  const printUsPerBlock = ((simMs(printing.pid) - p0) * 1000) / r.baselineBlocks;
  const firedPerBlock = printing.fired() / r.baselineBlocks;
  await printing.stop();
  rmSync(dirname(printing.out), { recursive: true });
  return { idleUsPerBlock, printUsPerBlock, firedPerBlock };
}

interface Load {
  fired: number;
  counted: number;
  /** Counted once the simulator had exited and bpftrace had printed its maps on the way out. */
  countedAtExit: number;
  lost: number;
  /** Events per second the simulator achieved while firing. */
  achieved: number;
  cpu: CpuDelta;
  simUs: number;
  scrapes: number;
  startupMs: number;
}

/** Waits for /metrics to hold what was fired: the next map read, or the per-event backlog, drained. */
async function drain(agent: Agent, fired: number, readIntervalMs: number) {
  // Every scrape costs the metrics process CPU inside the measured window: wait first, then scrape seldom.
  await sleep(readIntervalMs + 500);
  let last = -1;
  let unchanged = 0;
  let scrapes = 0;
  for (;;) {
    const text = await agent.metrics();
    scrapes++;
    const counted = sumOf(text, COUNTED);
    const lost = sumOf(text, ['fibre_exporter_events_lost_total']);
    if (counted + lost >= fired || unchanged >= 3 || scrapes >= 60) return { counted, lost, scrapes };
    unchanged = counted + lost === last ? unchanged + 1 : 0;
    last = counted + lost;
    await sleep(500);
  }
}

async function load(path: Path, r: Rate, seed: number): Promise<Load> {
  // -w: fire only once all six probes are attached. Stopped until then, so start-up is not measured.
  const run = await SimRun.start(sim, [...simArgs(r, r.blocks, seed), '-w', '60', '-k', WAIT_FOR, '-l'], true);
  const agent = await Agent.start(sim, run.pid, path.args);
  try {
    const startupMs = await agent.attached();
    await sleep(SETTLE_MS);
    const cpu0 = treeCpu(agent.pid);
    const sim0 = simMs(run.pid);
    const t0 = performance.now();
    run.resume();
    await run.done();
    // The simulator waits 0.3 s after seeing its semaphores before it fires (bitcoind-sim.c).
    const firingS = (performance.now() - t0) / 1000 - 0.3;
    const sim1 = simMs(run.pid);
    const fired = run.fired();
    const { counted, lost, scrapes } = await drain(agent, fired, 1000);
    const cpu = cpuBetween(cpu0, treeCpu(agent.pid), agent.pid);
    // bitcoind exiting ends bpftrace (-p), which then prints every map: what the kernel counted but
    // /metrics did not show while it ran (a map print dropped with the events when the buffer was full).
    await run.stop();
    await sleep(2000);
    const countedAtExit = sumOf(await agent.metrics(), COUNTED);
    const simUs = (sim1 - sim0) * 1000;
    return { fired, counted, countedAtExit, lost, achieved: fired / firingS, cpu, simUs, scrapes, startupMs };
  } finally {
    await agent.stop();
    await run.stop();
    rmSync(dirname(run.out), { recursive: true });
  }
}

interface Idle {
  /** The first IDLE_SETTLED_S after attaching: the tail of start-up (V8 shrinking both heaps) is in it. */
  early: CpuDelta;
  /** From IDLE_SETTLED_S after attaching: what an idle node costs from then on. */
  settled: CpuDelta;
  /** bpftrace's wakes a second in the settled window (voluntary context switches): its timeout's. */
  bpftraceWakes: number;
  startupMs: number;
}

/** Voluntary context switches of bpftrace in an agent's tree, now, or NaN without one. */
function bpftraceSwitches(tree: Map<number, ProcCpu>): number {
  const bpftrace = [...tree.values()].find((p) => p.comm === 'bpftrace');
  if (!bpftrace) return Number.NaN;
  const status = readFileSync(`/proc/${bpftrace.pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? Number.NaN);
}

async function idle(args: readonly string[]): Promise<Idle> {
  // One block once attached, then nothing: the agent has seen an event and has nothing left to do.
  const run = await SimRun.start(sim, ['-n', '1', '-w', '60', '-k', WAIT_FOR, '-l'], false);
  const agent = await Agent.start(sim, run.pid, args);
  try {
    const startupMs = await agent.attached();
    const cpu0 = treeCpu(agent.pid);
    await sleep(IDLE_SETTLED_S * 1000);
    const cpu1 = treeCpu(agent.pid);
    const switches1 = bpftraceSwitches(cpu1);
    await sleep(IDLE_S * 1000);
    const cpu2 = treeCpu(agent.pid);
    return {
      early: cpuBetween(cpu0, cpu1, agent.pid),
      settled: cpuBetween(cpu1, cpu2, agent.pid),
      bpftraceWakes: (bpftraceSwitches(cpu2) - switches1) / IDLE_S,
      startupMs,
    };
  } finally {
    await agent.stop();
    await run.stop();
    rmSync(dirname(run.out), { recursive: true });
  }
}

const load1 = execFileSync('uptime', { encoding: 'utf8' }).trim();
const benchStart = performance.now();
console.log(`paths: events (--aggregation events) against kernel (default), simulator ${sim}`);
console.log(`load before: ${load1}`);

const baselines: Baseline[] = [];
for (const [i, r] of RATES.entries()) baselines.push(await baseline(r, 100 + i));

const loads: Record<Path['name'], Load[]> = { events: [], kernel: [] };
const startups: Record<Path['name'], number[]> = { events: [], kernel: [] };
for (const [i, r] of RATES.entries()) {
  for (const path of PATHS) {
    // The same seed on both paths: the same blocks, the same probes fired.
    const l = await load(path, r, 100 + i);
    loads[path.name].push(l);
    startups[path.name].push(l.startupMs);
  }
}
/** The kernel path once more without the journal, at the rates a journal can keep up with: what it adds. */
const noJournal: Load[] = [];
for (const [i, r] of RATES.entries()) {
  if (r.rate) noJournal.push(await load({ name: 'kernel', args: [...PACKS, '--no-journal'] }, r, 100 + i));
}
const idles: Partial<Record<Path['name'], Idle>> = {};
for (const path of PATHS) {
  const i = await idle(path.args);
  idles[path.name] = i;
  startups[path.name].push(i.startupMs);
}
/**
 * Idle as an operator runs it: every default pack, the rpc pack's credential watch included (the
 * simulator has no RPC, so the agent waits for a cookie that never comes, as for a bitcoind starting).
 */
const defaultIdle = await idle([]);
const latencies: Record<string, number[]> = {};
for (const [name, args] of [
  ['events', [...PACKS, '--aggregation', 'events']],
  ['kernel', [...PACKS]],
  ['kernel 0.1 s', [...PACKS, '--map-read-interval', '0.1']],
] as const) {
  const l = await measureLatency(sim, args, LATENCY_BLOCKS);
  latencies[name] = l.sorted;
  if (name !== 'kernel 0.1 s') startups[name].push(l.startupMs);
}
const load2 = execFileSync('uptime', { encoding: 'utf8' }).trim();

// ---- the numbers ----
const per100k = (l: Load) => l.cpu.ms / 1000 / (l.fired / 100_000);
const per100kRun = (l: Load) => l.cpu.runMs / 1000 / (l.fired / 100_000);
/** µs per fired probe inside the simulator, over a baseline per block. */
const simPerProbe = (l: Load, r: Rate, usPerBlock: number) => (l.simUs - r.blocks * usPerBlock) / l.fired;
const lat = (name: string) => {
  const s = latencies[name] ?? [];
  return `${fmt(quantile(s, 0.5), 0)} / ${fmt(quantile(s, 0.95), 0)} / ${fmt(quantile(s, 1), 0)}`;
};

const rows: [string, string, string, string][] = [];
const row = (what: string, e: number, k: number, digits: number) =>
  rows.push([what, fmt(e, digits), fmt(k, digits), k > 0 ? `${fmt(e / k, 1)}x` : 'n/a']);
for (const [i, r] of RATES.entries()) {
  const e = loads.events[i] as Load;
  const k = loads.kernel[i] as Load;
  const at = r.rate ? r.label : `max rate (${fmt(e.achieved / 1000, 0)}k / ${fmt(k.achieved / 1000, 0)}k ev/s)`;
  row(`agent CPU, s per 100k events, ${at}`, per100k(e), per100k(k), 3);
}
for (const [i, off] of noJournal.entries()) {
  const r = RATES[i] as Rate;
  const on = loads.kernel[i] as Load;
  rows.push([`  kernel, --no-journal, ${r.label}`, '', fmt(per100k(off), 3), '']);
  // Both runs fired the same blocks (one seed): the difference is the journal's.
  const perBlock = ((on.cpu.ms - off.cpu.ms) * 1000) / r.blocks;
  rows.push([`  the journal's cost, agent CPU us per block, ${r.label}`, '', fmt(perBlock, 1), '']);
}
for (const [i, r] of RATES.entries()) {
  const e = loads.events[i] as Load;
  const k = loads.kernel[i] as Load;
  // Lost: fired but not on /metrics; bpftrace's own count of what it dropped, in brackets, says where.
  const lost = (l: Load) => `${l.fired - l.counted} of ${l.fired} (${l.lost})`;
  rows.push([`events lost of fired (bpftrace reported), ${r.label}`, lost(e), lost(k), '']);
  const atExit = (l: Load) => `${l.fired - l.countedAtExit} of ${l.fired}`;
  rows.push([`  same, after bitcoind exited, ${r.label}`, atExit(e), atExit(k), '']);
}
for (const [i, r] of RATES.entries()) {
  const b = baselines[i] as Baseline;
  const e = loads.events[i] as Load;
  const k = loads.kernel[i] as Load;
  row(
    `in bitcoind, us per fired probe, ${r.label}`,
    simPerProbe(e, r, b.idleUsPerBlock),
    simPerProbe(k, r, b.idleUsPerBlock),
    2,
  );
}
for (const [i, r] of RATES.entries()) {
  const b = baselines[i] as Baseline;
  const e = loads.events[i] as Load;
  const k = loads.kernel[i] as Load;
  row(
    `  of it the uprobe and BPF, ${r.label}`,
    simPerProbe(e, r, b.printUsPerBlock),
    simPerProbe(k, r, b.printUsPerBlock),
    2,
  );
}
rows.push(['fired to /metrics, ms median / p95 / max', lat('events'), lat('kernel'), '']);
rows.push(['  same, --map-read-interval 0.1', '', lat('kernel 0.1 s'), '']);
const idleMsPerS = (c: CpuDelta | undefined, s = IDLE_S) => (c ? c.runMs / s : Number.NaN);
row(
  `idle, agent CPU ms per s, ${IDLE_S} s from ${IDLE_SETTLED_S} s after attaching`,
  idleMsPerS(idles.events?.settled),
  idleMsPerS(idles.kernel?.settled),
  2,
);
row(
  `  same, the first ${IDLE_SETTLED_S} s after attaching`,
  idleMsPerS(idles.events?.early, IDLE_SETTLED_S),
  idleMsPerS(idles.kernel?.early, IDLE_SETTLED_S),
  2,
);
rows.push([
  `  same, kernel, default packs (rpc included), settled / first ${IDLE_SETTLED_S} s`,
  '',
  `${fmt(idleMsPerS(defaultIdle.settled), 2)} / ${fmt(idleMsPerS(defaultIdle.early, IDLE_SETTLED_S), 2)}`,
  '',
]);
row(
  `start-up to attached, s (median of ${startups.events.length})`,
  median(startups.events) / 1000,
  median(startups.kernel) / 1000,
  3,
);

console.log('');
printTable(['measure', 'events', 'kernel', 'ratio'], rows);

console.log('\nraw:');
for (const [i, r] of RATES.entries()) {
  const b = baselines[i] as Baseline;
  console.log(
    `baseline ${r.label} (-r ${r.rate}, ${r.baselineBlocks} blocks): simulator ${fmt(b.idleUsPerBlock, 2)} us/block untraced, ` +
      `${fmt(b.printUsPerBlock, 2)} us/block with semaphores set by hand (${fmt(b.firedPerBlock, 3)} probes/block, no uprobe)`,
  );
  for (const path of PATHS) {
    const l = loads[path.name][i] as Load;
    const roles = Object.entries(l.cpu.byRole)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
    console.log(
      `  ${path.name.padEnd(6)} ${r.blocks} blocks: fired ${l.fired} at ${fmt(l.achieved, 0)} ev/s, counted ${l.counted}, ` +
        `lost (bpftrace) ${l.lost}, counted after exit ${l.countedAtExit}; agent ${l.cpu.ms} ms (stat) ${fmt(l.cpu.runMs, 1)} ms (sched) = ` +
        `${fmt(per100k(l), 3)} / ${fmt(per100kRun(l), 3)} s per 100k [${roles} ms]; ` +
        `simulator ${fmt(l.simUs / 1000, 1)} ms; ${l.scrapes} scrapes`,
    );
  }
}
for (const [name, i] of [
  ...PATHS.map((p) => [p.name, idles[p.name]] as const),
  ['default packs', defaultIdle] as const,
]) {
  for (const [when, c] of [
    [`the first ${IDLE_SETTLED_S} s`, i?.early],
    [`${IDLE_S} s from ${IDLE_SETTLED_S} s`, i?.settled],
  ] as const) {
    if (!c) continue;
    const roles = Object.entries(c.byRole)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
    console.log(`idle ${name}, ${when} after attaching: ${c.ms} ms (stat) ${fmt(c.runMs, 1)} ms (sched) [${roles} ms]`);
  }
  if (i) console.log(`idle ${name}: bpftrace woke ${fmt(i.bpftraceWakes, 1)} times a second once settled`);
}
for (const path of PATHS) {
  console.log(`start-up ${path.name}: ${startups[path.name].map((s) => fmt(s, 0)).join(' ')} ms`);
}
for (const [name, s] of Object.entries(latencies)) {
  console.log(
    `latency ${name}: min ${fmt(quantile(s, 0), 1)} median ${fmt(quantile(s, 0.5), 1)} ms, ${s.length} blocks`,
  );
}
console.log(`load after: ${load2}`);
console.log(`paths: ${fmt((performance.now() - benchStart) / 1000, 0)} s`);
