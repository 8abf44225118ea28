/**
 * From tracepoint to /metrics: how long after the simulated bitcoind fires validation:block_connected
 * the agent's /metrics shows it (through bpftrace, the privilege boundary and the recorder; on the
 * kernel path also the wait for the next map read). Needs root and bpftrace.
 */
import { spawn } from 'node:child_process';
import { Agent } from './harness.js';

export interface Latency {
  /** ms from each block_connected fired to the first /metrics that counts it, ascending. */
  sorted: number[];
  startupMs: number;
}

/** `blocks` blocks at 5 a second, /metrics polled every ~1 ms. */
export async function measureLatency(sim: string, agentArgs: readonly string[], blocks: number): Promise<Latency> {
  const simProc = spawn(sim, ['-n', String(blocks), '-r', '5', '-w', '60', '-k', '4', '-s', '77', '-l'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => simProc.once('spawn', r));
  const firedAt: number[] = [];
  let buf = '';
  simProc.stdout.setEncoding('utf8').on('data', (d: string) => {
    const now = performance.now();
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('{"probe":"validation:block_connected"')) firedAt.push(now);
  });
  const agent = await Agent.start(sim, simProc.pid as number, agentArgs);
  try {
    const startupMs = await agent.attached();
    const seenAt: number[] = [];
    while (seenAt.length < blocks) {
      const text = await agent.metrics().catch(() => '');
      const now = performance.now();
      const count = Number(/^bitcoin_blocks_connected_total\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
      while (seenAt.length < count) seenAt.push(now);
      await new Promise((r) => setTimeout(r, 1));
    }
    return { sorted: seenAt.map((t, i) => t - (firedAt[i] as number)).sort((a, b) => a - b), startupMs };
  } finally {
    await agent.stop();
    simProc.kill('SIGTERM');
  }
}

/** The q-quantile of ascending numbers (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
