/**
 * Soak: the agent against the simulated bitcoind for a while at a steady block rate, with the
 * simulator restarted and bpftrace killed at random moments. Prints what was fired, counted and lost,
 * how long re-attaching took, and the resident memory of both agent processes. Needs root.
 *   node dist/bench/soak.js [--seconds 600] [--rate 1000] [--restart-every 60] [--kill-every 90]
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { selectedTracepoints } from '../probes/catalogue.js';
import { buildSimulator, freePort, sleep, startAgent } from './harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    rate: { type: 'string', default: '1000' },
    'restart-every': { type: 'string', default: '60' },
    'kill-every': { type: 'string', default: '90' },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const RESTART_EVERY = Number(values['restart-every']);
const KILL_EVERY = Number(values['kill-every']);
/**
 * FIBRE's probes and block_connected only: the simulator also fires the other packs' probes (dozens a
 * block) when they are attached, which would make this a soak of the packs at many times the events
 * per block that --rate says. The agent runs with --packs fibre,validation and only these are counted.
 */
const PACKS = ['fibre', 'validation'] as const;
const ATTACHED = new Set(selectedTracepoints(PACKS).map((t) => t.probe));

const sim = buildSimulator('soak');

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const childrenOf = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([p, c]) => ({ pid: Number(p), comm: c ?? '' }));

let fired = 0;
let simRuns = 0;
function startSim(): ChildProcess {
  simRuns++;
  const child = spawn(sim, ['-n', '0', '-r', String(RATE), '-w', '60', '-s', String(simRuns), '-l'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^\{"probe":"([^"]+)"/.exec(l);
      if (m && ATTACHED.has(m[1] as string)) fired++;
    }
  });
  return child;
}

const port = await freePort();
let log = '';
const waiters: { re: RegExp; from: number; resolve: (t: number) => void }[] = [];
let current = startSim();
await sleep(200);
const agent = await startAgent(sim, port, ['ignore', 'pipe', 'pipe'], ['--packs', PACKS.join(',')]);
const onLog = (d: string) => {
  const from = log.length;
  log += d;
  for (const w of waiters.splice(0)) {
    if (w.re.test(log.slice(Math.max(w.from, from - 200)))) w.resolve(Date.now());
    else waiters.push(w);
  }
};
agent.stdout?.setEncoding('utf8').on('data', onLog);
agent.stderr?.setEncoding('utf8').on('data', onLog);
const waitLog = (re: RegExp) => new Promise<number>((resolve) => waiters.push({ re, from: log.length, resolve }));
await waitLog(/Waiting for events/);
await sleep(2000);
const worker = () => childrenOf(agent.pid as number).find((c) => c.comm === 'node')?.pid as number;
const rssStart = { supervisor: rssMiB(agent.pid as number), metrics: rssMiB(worker()) };
console.log(
  `soak: ${SECONDS}s at ${RATE} blocks/s; simulator restart every ~${RESTART_EVERY}s, bpftrace kill every ~${KILL_EVERY}s`,
);

const restartTimes: number[] = [];
const killTimes: number[] = [];
const end = Date.now() + SECONDS * 1000;
let nextRestart = Date.now() + Math.random() * 2 * RESTART_EVERY * 1000;
let nextKill = Date.now() + Math.random() * 2 * KILL_EVERY * 1000;
while (Date.now() < end) {
  await sleep(200);
  if (Date.now() >= nextRestart) {
    const exited = new Promise((r) => current.once('exit', r));
    current.kill('SIGTERM');
    await exited;
    await waitLog(/Detached: bitcoind/);
    const reattached = waitLog(/Re-attached to bitcoind/);
    const t0 = Date.now();
    current = startSim();
    restartTimes.push((await reattached) - t0);
    nextRestart = Date.now() + Math.random() * 2 * RESTART_EVERY * 1000;
  } else if (Date.now() >= nextKill) {
    const bpftrace = childrenOf(agent.pid as number).find((c) => c.comm === 'bpftrace');
    if (bpftrace) {
      const reattached = waitLog(/Re-attached to bitcoind/);
      const t0 = Date.now();
      process.kill(bpftrace.pid, 'SIGKILL');
      killTimes.push((await reattached) - t0);
    }
    nextKill = Date.now() + Math.random() * 2 * KILL_EVERY * 1000;
  }
}
const rssEnd = { supervisor: rssMiB(agent.pid as number), metrics: rssMiB(worker()) };
current.kill('SIGTERM');
await new Promise((r) => current.once('exit', r));
await sleep(3000);
const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const value = (re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
const counted = value(/^fibre_exporter_events_processed_total\{[^}]*\} (\S+)$/gm);
const lost = value(/^fibre_exporter_events_lost_total (\S+)$/gm);
const errors = [...text.matchAll(/^fibre_exporter_errors_total\{error_type="(\w+)"\} (\S+)$/gm)]
  .filter((m) => m[2] !== '0')
  .map((m) => `${m[1]}=${m[2]}`);
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));

const stats = (xs: number[]) => {
  if (xs.length === 0) return 'none';
  const s = [...xs].sort((a, b) => a - b);
  return `n=${s.length} min=${s[0]}ms median=${s[Math.floor(s.length / 2)]}ms max=${s.at(-1)}ms`;
};
console.log(`events fired (attached probes)  ${fired}`);
console.log(`events counted                  ${counted}  (${((counted / fired) * 100).toFixed(3)}%)`);
console.log(`events lost (bpftrace reports)  ${lost}`);
console.log(
  `unaccounted                     ${fired - counted - lost}  (${(((fired - counted - lost) / fired) * 100).toFixed(4)}%)`,
);
console.log(`simulator runs                  ${simRuns}`);
console.log(`re-attach after bitcoind restart ${stats(restartTimes)}`);
console.log(`re-attach after bpftrace killed  ${stats(killTimes)}`);
console.log(`errors                          ${errors.join(' ') || 'none'}`);
console.log(`RSS supervisor                  ${rssStart.supervisor.toFixed(1)} -> ${rssEnd.supervisor.toFixed(1)} MiB`);
console.log(`RSS metrics process             ${rssStart.metrics.toFixed(1)} -> ${rssEnd.metrics.toFixed(1)} MiB`);
