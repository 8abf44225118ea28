/** What the end-to-end benchmarks share: the simulator, free ports, and the agent as a child process. */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** Compiles probes/simulator/bitcoind-sim.c into a fresh directory. */
export function buildSimulator(name: string): string {
  const sim = join(mkdtempSync(join(tmpdir(), `fibre-${name}-`)), 'bitcoind-sim');
  execFileSync('gcc', ['-O2', '-o', sim, join(root, 'probes/simulator/bitcoind-sim.c'), '-lm']);
  return sim;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent (dist/agent/cli.js) attached to `sim`, serving /metrics on 127.0.0.1:port. */
export async function startAgent(sim: string, port: number, stdio: StdioOptions): Promise<ChildProcess> {
  const args = [
    '-b',
    sim,
    '--port',
    String(port),
    '--health-port',
    String(await freePort()),
    '--metrics-address',
    '127.0.0.1',
  ];
  return spawn(process.execPath, [join(root, 'dist/agent/cli.js'), ...args], { stdio });
}
