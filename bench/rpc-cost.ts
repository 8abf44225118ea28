/**
 * What one poll of the rpc pack costs: the agent's CPU for a poll (the batch request, reading the
 * answers, setting the gauges: what the metrics process does every --rpc-interval) and bitcoind's CPU
 * answering it (every thread's time on CPU from /proc/PID/task/TID/schedstat, to the ns, less the
 * same stretch of time idle), on a real bitcoind in regtest with 200 blocks, a peer and a ban. Needs BITCOIND_EXE; prints a table, asserts nothing.
 *   node dist/bench/rpc-cost.js [--polls 300]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NodeStateRecorder } from '../agent/record/node-state-recorder.js';
import { MetricStore } from '../agent/record/store.js';
import { batch } from '../agent/rpc/client.js';
import { POLL, readNodeState } from '../agent/rpc/node-state.js';
import { sleep } from './harness.js';
import { median } from './latency.js';
import { RegtestBitcoind } from './regtest.js';

const { values } = parseArgs({ options: { polls: { type: 'string', default: '300' } } });
const POLLS = Number(values.polls);

/** Nanoseconds every thread of the process has spent on a CPU. */
function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return total;
}

async function main(): Promise<void> {
  const exe = process.env.BITCOIND_EXE;
  if (!exe) {
    console.log('rpc poll cost: skipped (set BITCOIND_EXE)');
    return;
  }
  const peer = await RegtestBitcoind.start(exe, ['-listen=1', '-bind=127.0.0.1']);
  const node = await RegtestBitcoind.start(exe);
  try {
    await node.call('addnode', `127.0.0.1:${peer.port}`, 'onetry');
    await node.mine(200);
    await node.call('setban', '192.0.2.0/24', 'add');
    const credential = node.credential();
    const recorder = new NodeStateRecorder(new MetricStore('bench'));
    const poll = async () => recorder.answered(readNodeState(await batch(credential, POLL, 10_000)), 0);
    for (let i = 0; i < 20; i++) await poll();

    const idleWall = 2000;
    const idle0 = cpuNs(node.pid);
    await sleep(idleWall);
    const idleNsPerMs = (cpuNs(node.pid) - idle0) / idleWall;

    const walls: number[] = [];
    const agentCpu: number[] = [];
    const t0 = performance.now();
    const node0 = cpuNs(node.pid);
    for (let i = 0; i < POLLS; i++) {
      const c = process.cpuUsage();
      const w = performance.now();
      await poll();
      walls.push(performance.now() - w);
      const d = process.cpuUsage(c);
      agentCpu.push((d.user + d.system) / 1000);
    }
    const elapsed = performance.now() - t0;
    const nodeMs = (cpuNs(node.pid) - node0 - idleNsPerMs * elapsed) / 1e6 / POLLS;
    const sorted = [...walls].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] as number;
    console.log(
      `rpc poll cost, ${POLLS} polls of ${POLL.length} methods in one batch (real bitcoind, regtest, 200 blocks, 1 peer):`,
    );
    console.log('| measure | per poll |');
    console.log('|---|--:|');
    console.log(
      `| agent CPU (request, reading the answers, setting the gauges), median | ${median(agentCpu).toFixed(2)} ms |`,
    );
    console.log(`| bitcoind CPU answering (all threads, idle subtracted), mean | ${nodeMs.toFixed(2)} ms |`);
    console.log(`| wall time, median / p95 | ${median(walls).toFixed(2)} / ${p95.toFixed(2)} ms |`);
    console.log(
      `| at the default --rpc-interval 15 s, agent CPU | ${((median(agentCpu) / 15000) * 1000).toFixed(3)} ms/s |`,
    );
  } finally {
    await node.stop();
    await peer.stop();
  }
}

await main();
