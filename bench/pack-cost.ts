/**
 * What each pack costs inside bitcoind per event: the simulated bitcoind fires a fixed number of
 * blocks at full speed with one pack's semaphores enabled, (c) set by hand with no tracer (the
 * simulator computes the arguments and prints its JSON line, as in every run, but nothing traps),
 * (a) under bpftrace with the same probes and empty bodies (the uprobe trap, which any tracer pays)
 * and (b) under the agent with --packs PACK (its generated program). The simulator's own CPU (sched
 * stats, to the ns) over its blocks, with the same seed in every run: (a - c) / events is the trap,
 * (b - a) / events the agent's probe bodies, (b - c) / events what the pack costs. Each pack is
 * measured --runs times, the three modes side by side in each round; medians and [min-max] of the
 * rounds. Needs root and bpftrace. Prints a table and the raw numbers; asserts nothing.
 *   node dist/bench/pack-cost.js [--runs 3] [--packs fibre,validation,net,mempool,utxocache,coin_selection] [--quick]
 */

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKS, type Pack, selectedTracepoints } from '../probes/catalogue.js';
import { Agent, buildSimulator, enableSemaphores, fmt, printTable, SimRun, simMs } from './harness.js';
import { median } from './latency.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    packs: { type: 'string', default: PACKS.join(',') },
    quick: { type: 'boolean', default: false },
  },
});
const MEASURED = values.packs.split(',') as Pack[];
const RUNS = Number(values.runs);
// --quick: a tenth of the blocks, to try the benchmark itself, not to quote.
const SCALE = values.quick ? 0.1 : 1;

/** Blocks per run: about 150,000 events each (the simulator fires 1 to 90 of a pack's probes a block). */
const BLOCKS: Record<Pack, number> = {
  fibre: 50_000,
  validation: 150_000,
  net: 8_000,
  mempool: 6_000,
  utxocache: 2_000,
  // A send is 2 to 5 events, 0 to 2 sends a block.
  coin_selection: 150_000,
};
const SEED = 9;
const MODES = ['untraced', 'trap', 'agent'] as const;
type Mode = (typeof MODES)[number];

/**
 * One copy of the simulator per mode, the three run at once and pinned to one CPU, taking turns every
 * few ms: whatever else the machine runs slows each of them alike. One after the other, runs of the
 * same blocks differed by up to 75% on a busy 2-core machine, more than the probes cost; at once but
 * on different CPUs, by a fifth (one shared a core with a busy process, another did not). Copies,
 * because a uprobe is set on the file: each tracer traps only in its own.
 */
const built = buildSimulator('pack-cost');
const SIMS = Object.fromEntries(
  MODES.map((m) => {
    const path = `${built}-${m}`;
    copyFileSync(built, path);
    chmodSync(path, 0o755);
    return [m, path];
  }),
) as Record<Mode, string>;
const CPU = String(cpus().length - 1);
/** The simulator's stdout on a tmpfs where there is one: no disk writeback charged to its CPU. */
const OUT_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

interface Run {
  /** The simulator's CPU over its blocks, µs. */
  us: number;
  fired: Map<string, number>;
}

type Detach = () => Promise<void>;

/** Readies each mode's tracer on its simulator (stopped), then lets the three fire. */
async function round(pack: Pack): Promise<Record<Mode, Run>> {
  const probes = selectedTracepoints([pack]).map((t) => t.probe);
  const waitFor = probes.filter((p) => p !== 'mempool:replaced');
  // -w -k: it fires only once every probe of the pack is enabled (-R: mempool:replaced too).
  const args = ['-n', String(BLOCKS[pack] * SCALE), '-s', String(SEED), '-w', '60', '-k', String(waitFor.length)];
  if (waitFor.length < probes.length) args.push('-R');
  const runs = {} as Record<Mode, SimRun>;
  const detach: Detach[] = [];
  try {
    for (const m of MODES) {
      runs[m] = await SimRun.start(SIMS[m], [...args, '-l'], true, OUT_DIR);
      execFileSync('taskset', ['-p', '-c', CPU, String(runs[m].pid)], { stdio: 'ignore' });
    }
    enableSemaphores(SIMS.untraced, runs.untraced.pid, probes);
    const attached = await Promise.allSettled([emptyTracer(runs.trap, probes), startAgent(runs.agent, pack)]);
    for (const a of attached) if (a.status === 'fulfilled') detach.push(a.value);
    for (const a of attached) if (a.status === 'rejected') throw a.reason;
    const before = MODES.map((m) => simMs(runs[m].pid));
    for (const m of MODES) runs[m].resume();
    // Its 0.3 s wait once the semaphores are on is a sleep: no CPU.
    const us = await Promise.all(
      MODES.map(async (m, i) => {
        await runs[m].done();
        return (simMs(runs[m].pid) - (before[i] as number)) * 1000;
      }),
    );
    return Object.fromEntries(
      MODES.map((m, i) => [m, { us: us[i] as number, fired: runs[m].firedByProbe() }]),
    ) as Record<Mode, Run>;
  } finally {
    for (const run of Object.values(runs)) {
      await run.stop();
      rmSync(dirname(run.out), { recursive: true });
    }
    for (const d of detach) await d();
  }
}

/** bpftrace attaching these probes with empty bodies; resolves once all are attached (BEGIN runs after). */
async function emptyTracer(run: SimRun, probes: readonly string[]): Promise<Detach> {
  const program = ['BEGIN { printf("attached\\n"); }', ...probes.map((p) => `usdt:${SIMS.trap}:${p} {}`)].join('\n');
  const child = spawn('bpftrace', ['-B', 'line', '-q', '-p', String(run.pid), '-e', program], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // -p: it ends when the simulator does; SIGINT in case it has not.
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT');
    await exited;
  };
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bpftrace did not attach:\n${log}`)), 60_000);
      const on = (d: Buffer) => {
        log += d.toString();
        if (log.includes('attached\n')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', on);
      child.stderr.on('data', on);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`bpftrace exited before attaching:\n${log}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

/** The agent with this pack alone, attached to the simulator's process. */
async function startAgent(run: SimRun, pack: Pack): Promise<Detach> {
  const agent = await Agent.start(SIMS.agent, run.pid, ['--packs', pack]);
  try {
    await agent.attached();
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return () => agent.stop();
}

const load1 = execFileSync('uptime', { encoding: 'utf8' }).trim();
const benchStart = performance.now();
console.log(`pack-cost: CPU inside the simulated bitcoind per event, by pack; simulator ${built}`);
console.log(`load before: ${load1}`);

const results = new Map<Pack, Record<Mode, Run>[]>();
for (const pack of MEASURED) {
  const rounds: Record<Mode, Run>[] = [];
  for (let i = 0; i < RUNS; i++) rounds.push(await round(pack));
  results.set(pack, rounds);
}
const load2 = execFileSync('uptime', { encoding: 'utf8' }).trim();

// ---- the numbers ----
const total = (fired: Map<string, number>) => [...fired.values()].reduce((a, b) => a + b, 0);
/** Median and [min-max] of one number per round. */
const spread = (xs: readonly number[], digits: number) =>
  `${fmt(median(xs), digits)} [${fmt(Math.min(...xs), digits)}-${fmt(Math.max(...xs), digits)}]`;

const rows: string[][] = [];
for (const pack of MEASURED) {
  const rounds = results.get(pack) as Record<Mode, Run>[];
  const events = total((rounds[0] as Record<Mode, Run>).untraced.fired);
  const per = (r: Record<Mode, Run>, hi: Mode, lo: Mode) => (r[hi].us - r[lo].us) / events;
  const trap = rounds.map((r) => per(r, 'trap', 'untraced'));
  const bodies = rounds.map((r) => per(r, 'agent', 'trap'));
  const all = rounds.map((r) => per(r, 'agent', 'untraced'));
  const ratio = rounds.map((r) => (r.agent.us - r.untraced.us) / (r.trap.us - r.untraced.us));
  const label = pack === 'utxocache' ? 'utxocache (with add/spent/uncache)' : pack;
  rows.push([label, String(events), spread(trap, 2), spread(bodies, 2), spread(all, 2), `${spread(ratio, 1)}x`]);
}
console.log('');
console.log(`us per event inside the traced process, median [min-max] of ${RUNS} rounds`);
printTable(['pack', 'events per run', 'uprobe trap', 'agent bodies', 'agent total', 'total / trap'], rows);

console.log('\nraw (simulator CPU over its blocks, ms, by round: untraced / empty bodies / agent):');
for (const pack of MEASURED) {
  const rounds = results.get(pack) as Record<Mode, Run>[];
  const first = (rounds[0] as Record<Mode, Run>).untraced.fired;
  const probes = [...first].map(([p, n]) => `${p} ${n}`).join(', ');
  console.log(`${pack}, ${BLOCKS[pack] * SCALE} blocks: ${probes}`);
  for (const [i, r] of rounds.entries()) {
    // Every run has the same seed: the same blocks, the same probes fired.
    const same = MODES.every((m) => total(r[m].fired) === total(first));
    const ms = MODES.map((m) => fmt(r[m].us / 1000, 1)).join(' / ');
    console.log(`  round ${i + 1}: ${ms}${same ? '' : ` (fired ${MODES.map((m) => total(r[m].fired)).join(' / ')})`}`);
  }
}
console.log(`load after: ${load2}`);
console.log(`pack-cost: ${fmt((performance.now() - benchStart) / 1000, 0)} s`);
