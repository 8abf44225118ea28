/**
 * What the per-block journal costs on top of the counts: the same blocks at 1,000 blocks/s, the agent
 * with the journal on and off, its CPU (every process) measured once settled, from 30 s after the
 * events start over 40 s. Also the blocks journaled and skipped. Needs root and bpftrace; asserts nothing.
 *   node dist/bench/journal-cost.js [--quick]
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { selectedTracepoints } from '../probes/catalogue.js';
import { Agent, buildSimulator, cpuBetween, fmt, printTable, SimRun, sleep, sumOf, treeCpu } from './harness.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const RATE = 1000;
const SETTLE_S = values.quick ? 5 : 30;
const WINDOW_S = values.quick ? 10 : 40;
const BLOCKS = RATE * (SETTLE_S + WINDOW_S + 5);
const PACKS = ['--packs', 'fibre,validation'] as const;
const WAIT_FOR = String(selectedTracepoints(['fibre', 'validation']).length);
const COUNTED = ['fibre_exporter_events_processed_total'];

interface Run {
  name: string;
  events: number;
  windowEvents: number;
  ms: number;
  byRole: Record<string, number>;
  journaled: number;
  skipped: number;
}

const sim = buildSimulator('journal-cost');

/** Blocks the journal holds: every one it kept, as --journal-blocks is left at its default. */
function journaledBlocks(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM blocks').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function run(name: string, extra: readonly string[], journalPath?: string): Promise<Run> {
  const sr = await SimRun.start(
    sim,
    ['-n', String(BLOCKS), '-r', String(RATE), '-s', '7', '-w', '60', '-k', WAIT_FOR, '-l'],
    true,
  );
  const agent = await Agent.start(sim, sr.pid, [...PACKS, ...extra]);
  try {
    await agent.attached();
    await sleep(3000);
    sr.resume();
    await sleep(SETTLE_S * 1000);
    const e0 = sumOf(await agent.metrics(), COUNTED);
    const c0 = treeCpu(agent.pid);
    await sleep(WINDOW_S * 1000);
    const c1 = treeCpu(agent.pid);
    const e1 = sumOf(await agent.metrics(), COUNTED);
    await sr.done();
    // The last blocks' lines come with the next read, then wait out the grace and the next write.
    await sleep(5000);
    const text = await agent.metrics();
    const cpu = cpuBetween(c0, c1, agent.pid);
    return {
      name,
      events: sr.fired(),
      windowEvents: e1 - e0,
      ms: cpu.runMs,
      byRole: cpu.byRole,
      journaled: journalPath ? journaledBlocks(journalPath) : 0,
      skipped: sumOf(text, ['fibre_journal_blocks_skipped_total']),
    };
  } finally {
    await agent.stop();
    await sr.stop();
    rmSync(dirname(sr.out), { recursive: true });
  }
}

const journalPath = join(tmpdir(), `fibre-journal-cost-${process.pid}.sqlite`);
const runs = [
  await run('journal off', ['--no-journal']),
  await run('journal on', ['--journal-path', journalPath], journalPath),
];
rmSync(journalPath, { force: true });
console.log(`journal cost: ${RATE} blocks/s, settled ${SETTLE_S} s, window ${WINDOW_S} s, simulator ${sim}`);
printTable(
  ['run', 'ms/s', 'supervisor', 'metrics', 'bpftrace', 's per 100k events', 'journaled', 'skipped'],
  runs.map((r) => [
    r.name,
    fmt(r.ms / WINDOW_S, 2),
    fmt((r.byRole.supervisor ?? 0) / WINDOW_S, 2),
    fmt((r.byRole.metrics ?? 0) / WINDOW_S, 2),
    fmt((r.byRole.bpftrace ?? 0) / WINDOW_S, 2),
    fmt(r.ms / 1000 / (r.windowEvents / 100_000), 3),
    String(r.journaled),
    String(r.skipped),
  ]),
);
/**
 * The Python exporter this agent replaces, measured settled on the same simulator at 1,000 blocks/s
 * (the cost issue's figure; its code is not in this repository to run beside the agent here).
 */
const SEED_S_PER_100K = 2.47;
for (const r of runs) {
  const per100k = r.ms / 1000 / (r.windowEvents / 100_000);
  console.log(
    `${r.name}: ${fmt(per100k / SEED_S_PER_100K, 2)}x the Python exporter's ${SEED_S_PER_100K} s per 100k events`,
  );
}
