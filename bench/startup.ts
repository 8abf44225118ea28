/**
 * Start-up to attached, with the default packs: from spawning the agent to /health answering 200 (every
 * probe attached), against the simulator (every pack's probes) and, when BITCOIND_EXE names one, a real
 * bitcoind in regtest. The median of RUNS starts each. Needs root and bpftrace; asserts nothing.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { selectedTracepoints } from '../probes/catalogue.js';
import { Agent, buildSimulator, fmt, SimRun } from './harness.js';
import { median } from './latency.js';
import { RegtestBitcoind } from './regtest.js';

const RUNS = 5;

async function startups(binary: string, pid: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const agent = await Agent.start(binary, pid, []);
    try {
      ms.push(await agent.attached());
    } finally {
      await agent.stop();
    }
  }
  return ms;
}

const line = (what: string, ms: readonly number[]) =>
  console.log(
    `start-up to attached, default packs, ${what}: median ${fmt(median(ms) / 1000, 2)} s (${ms.map((m) => fmt(m, 0)).join(' ')} ms)`,
  );

const sim = buildSimulator('startup');
const run = await SimRun.start(sim, ['-n', '0', '-r', '1', '-l'], false);
try {
  line(`simulator (${selectedTracepoints(undefined).length} probes)`, await startups(sim, run.pid));
} finally {
  await run.stop();
  rmSync(dirname(run.out), { recursive: true });
}
const real = process.env.BITCOIND_EXE;
if (real) {
  const node = await RegtestBitcoind.start(real);
  try {
    line(`real bitcoind (${real})`, await startups(real, node.pid));
  } finally {
    await node.stop();
  }
} else console.log('start-up on a real bitcoind: skipped (BITCOIND_EXE not set)');
