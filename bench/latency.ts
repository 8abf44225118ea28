/**
 * From tracepoint to /metrics: how long after the simulated bitcoind fires validation:block_connected
 * the agent's /metrics shows it (through bpftrace, the privilege boundary and the recorder). Needs
 * root and bpftrace. Prints the distribution; asserts nothing.
 *   node dist/bench/latency.js [--blocks 100]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildSimulator, freePort, startAgent } from './harness.js';

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '100' } } });
const BLOCKS = Number(values.blocks);
const sim = buildSimulator('latency');

const port = await freePort();
const simProc = spawn(sim, ['-n', String(BLOCKS), '-r', '5', '-w', '60', '-s', '77', '-l'], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
await new Promise((r) => setTimeout(r, 200));
const agent = await startAgent(sim, port, ['ignore', 'ignore', 'inherit']);

const firedAt: number[] = [];
let buf = '';
simProc.stdout.setEncoding('utf8').on('data', (d: string) => {
  const now = performance.now();
  buf += d;
  const lines = buf.split('\n');
  buf = lines.pop() ?? '';
  for (const l of lines) if (l.startsWith('{"probe":"validation:block_connected"')) firedAt.push(now);
});

const seenAt: number[] = [];
while (seenAt.length < BLOCKS) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const now = performance.now();
  const count = Number(/^bitcoin_blocks_connected_total\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
  while (seenAt.length < count) seenAt.push(now);
  await new Promise((r) => setTimeout(r, 1));
}
const latencies = seenAt.map((t, i) => t - (firedAt[i] as number)).sort((a, b) => a - b);
const at = (q: number) =>
  (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number).toFixed(1);
console.log(`${BLOCKS} blocks, one every 200 ms; fire -> visible on /metrics (ms, polled every ~1 ms):`);
console.log(`min ${at(0)}  median ${at(0.5)}  p95 ${at(0.95)}  max ${at(1)}`);
console.log(`within 100 ms: ${latencies.filter((l) => l <= 100).length}/${BLOCKS}`);
agent.kill('SIGTERM');
simProc.kill('SIGTERM');
