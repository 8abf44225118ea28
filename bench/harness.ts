/** What the end-to-end benchmarks share: the simulator, free ports, the agent as a child process, CPU from /proc. */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const CLI = join(root, 'dist/agent/cli.js');

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
export async function startAgent(
  sim: string,
  port: number,
  stdio: StdioOptions,
  extra: readonly string[] = [],
): Promise<ChildProcess> {
  const args = [
    '-b',
    sim,
    '--port',
    String(port),
    '--health-port',
    String(await freePort()),
    '--metrics-address',
    '127.0.0.1',
    ...extra,
  ];
  return spawn(process.execPath, [CLI, ...args], { stdio });
}

/** The agent attached to one simulator process, with its ports and its log kept for error reports. */
export class Agent {
  log = '';
  exited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly healthPort: number,
    /** performance.now() just before spawning: start-up is measured from here. */
    readonly spawnedAt: number,
  ) {
    const keep = (d: string) => {
      this.log += d;
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    child.once('exit', () => {
      this.exited = true;
    });
  }

  static async start(sim: string, pid: number, extra: readonly string[]): Promise<Agent> {
    const port = await freePort();
    const healthPort = await freePort();
    const args = ['-b', sim, '-p', String(pid), '--port', String(port), '--health-port', String(healthPort)];
    args.push('--metrics-address', '127.0.0.1', '--health-address', '127.0.0.1', ...extra);
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Agent(child, port, healthPort, spawnedAt);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Polls /health every 5 ms until it answers 200 (every probe attached); returns ms since spawning. */
  async attached(timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.exited) throw new Error(`the agent exited before attaching:\n${this.log}`);
      const status = await fetch(`http://127.0.0.1:${this.healthPort}/health`)
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        })
        .catch(() => 0);
      if (status === 200) return performance.now() - this.spawnedAt;
      await sleep(5);
    }
    throw new Error(`the agent did not attach within ${timeoutMs} ms:\n${this.log}`);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The sum of every sample of these metrics in a Prometheus exposition (labels or not). */
export function sumOf(text: string, names: readonly string[]): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    // The value is the last field: a label value (a peer) may hold spaces or braces.
    if (name && names.includes(name)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * The simulator with its stdout in a file rather than a pipe: reading 75,000 JSON lines a second in
 * this process would take CPU from the processes being measured on a small machine.
 */
export class SimRun {
  private constructor(
    readonly child: ChildProcess,
    readonly out: string,
  ) {}

  /**
   * `stopped`: SIGSTOPped at once, so nothing fires (and nothing runs) until resume(). `dir`: where its
   * stdout goes (a tmpfs such as /dev/shm: no disk writeback charged to the simulator's CPU).
   */
  static async start(binary: string, args: readonly string[], stopped: boolean, dir = tmpdir()): Promise<SimRun> {
    const out = join(mkdtempSync(join(dir, 'fibre-bench-out-')), 'stdout.jsonl');
    const fd = openSync(out, 'w');
    const child = spawn(binary, args, { stdio: ['ignore', fd, 'inherit'] });
    closeSync(fd);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    if (stopped) process.kill(child.pid as number, 'SIGSTOP');
    return new SimRun(child, out);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /** Waits for its {"done":N} line (polled every 20 ms). */
  async done(timeoutMs = 300_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const tail = Buffer.alloc(256);
    while (performance.now() < deadline) {
      const fd = openSync(this.out, 'r');
      try {
        const { size } = fstatSync(fd);
        const n = readSync(fd, tail, 0, tail.length, Math.max(0, size - tail.length));
        if (tail.subarray(0, n).includes('{"done":')) return;
      } finally {
        closeSync(fd);
      }
      if (this.child.exitCode !== null) throw new Error(`the simulator exited with ${this.child.exitCode}`);
      await sleep(20);
    }
    throw new Error('the simulator did not finish');
  }

  /** How many probes it fired: one {"probe":...} line each. */
  fired(): number {
    const text = readFileSync(this.out);
    let n = 0;
    for (let at = text.indexOf('{"probe":'); at !== -1; at = text.indexOf('{"probe":', at + 1)) n++;
    return n;
  }

  /** How many times it fired each probe. */
  firedByProbe(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of readFileSync(this.out, 'latin1').matchAll(/^\{"probe":"([^"]+)"/gm)) {
      counts.set(m[1] as string, (counts.get(m[1] as string) ?? 0) + 1);
    }
    return counts;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Sets the simulator's semaphores for these probes in its memory, as the kernel does when a tracer
 * attaches, but with no uprobe behind them: the probes' arguments are computed and the simulator
 * prints its JSON lines, but no trap and no BPF program run. The difference to a traced run is
 * what the tracer alone costs inside the traced process.
 */
export function enableSemaphores(binary: string, pid: number, probes: readonly string[]): void {
  const elf = readFileSync(binary);
  // ET_DYN (a PIE, gcc's default) is mapped at a load address; ET_EXEC at its link addresses.
  const pie = elf.readUInt16LE(16) === 3;
  const base = pie ? loadBase(binary, pid) : 0n;
  const symbols = execFileSync('nm', [binary], { encoding: 'utf8' });
  const fd = openSync(`/proc/${pid}/mem`, 'r+');
  try {
    for (const probe of probes) {
      const symbol = `${probe.replace(':', '_')}_semaphore`;
      const hex = new RegExp(`^([0-9a-f]+) \\S ${symbol}$`, 'm').exec(symbols)?.[1];
      if (!hex) throw new Error(`${binary} has no ${symbol}`);
      const one = Buffer.alloc(2);
      one.writeUInt16LE(1);
      writeSync(fd, one, 0, 2, Number(base + BigInt(`0x${hex}`)));
    }
  } finally {
    closeSync(fd);
  }
}

function loadBase(binary: string, pid: number): bigint {
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const [range, , offset, , , path] = line.split(/\s+/);
    if (path === binary && offset && /^0+$/.test(offset)) return BigInt(`0x${range?.split('-')[0]}`);
  }
  throw new Error(`${binary} is not mapped in process ${pid}`);
}

/** USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on every Linux architecture Node runs on. */
const TICK_MS = 10;

export interface ProcCpu {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime of every thread, exited ones included, in ms (10 ms steps). */
  ms: number;
  /** cutime + cstime: reaped children's, in ms. */
  childrenMs: number;
  /** sum_exec_runtime of the live threads, in ms to the ns: /proc/PID/stat rounds to 10 ms. */
  runMs: number;
}

/** The CPU a one-threaded process (the simulator) has used, ms to the ns: from its sched stats. */
export const simMs = (pid: number) => procCpu(pid)?.runMs ?? Number.NaN;

export function procCpu(pid: number): ProcCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const at = (i: number) => f[i] as number;
    let runMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const sched = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
      runMs += Number(/^se\.sum_exec_runtime\s*:\s*(\S+)/m.exec(sched)?.[1] ?? 0);
    }
    return { pid, ppid: at(1), comm, ms: (at(11) + at(12)) * TICK_MS, childrenMs: (at(13) + at(14)) * TICK_MS, runMs };
  } catch {
    return undefined;
  }
}

/** The CPU of a process and all its descendants, each by pid. */
export function treeCpu(rootPid: number): Map<number, ProcCpu> {
  const all = new Map<number, ProcCpu>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = procCpu(Number(name));
    if (p) all.set(p.pid, p);
  }
  const tree = new Map<number, ProcCpu>();
  const visit = (pid: number) => {
    const p = all.get(pid);
    if (!p || tree.has(pid)) return;
    tree.set(pid, p);
    for (const c of all.values()) if (c.ppid === pid) visit(c.pid);
  };
  visit(rootPid);
  return tree;
}

/** The agent's processes by what they do: setpriv execs its target, so its pid shows the target's name. */
export type Role = 'supervisor' | 'metrics' | 'bpftrace' | 'other';

function roleOf(p: ProcCpu, rootPid: number): Role {
  if (p.pid === rootPid) return 'supervisor';
  if (p.comm === 'bpftrace' || p.comm === 'setpriv') return 'bpftrace';
  if (p.comm === 'node' && p.ppid === rootPid) return 'metrics';
  return 'other';
}

export interface CpuDelta {
  /** utime + stime of the whole tree, reaped children included (/proc/PID/stat). */
  ms: number;
  /** The live threads' exact run time (/proc/PID/task/TID/sched), the same processes. */
  runMs: number;
  /** runMs by process. */
  byRole: Record<Role, number>;
}

/**
 * CPU the tree used between two snapshots. A process that ended in between is counted through its
 * parent's cutime/cstime (its whole life, less what the first snapshot already had of it).
 */
export function cpuBetween(before: Map<number, ProcCpu>, after: Map<number, ProcCpu>, rootPid: number): CpuDelta {
  const byRole: Record<Role, number> = { supervisor: 0, metrics: 0, bpftrace: 0, other: 0 };
  let ms = 0;
  let runMs = 0;
  for (const p of after.values()) {
    const b = before.get(p.pid);
    const own = p.ms - (b?.ms ?? 0);
    const reaped = p.childrenMs - (b?.childrenMs ?? 0);
    ms += own + reaped;
    const run = p.runMs - (b?.runMs ?? 0);
    runMs += run;
    byRole[roleOf(p, rootPid)] += run;
  }
  for (const b of before.values()) if (!after.has(b.pid)) ms -= b.ms + b.childrenMs;
  return { ms, runMs, byRole };
}

export const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** A Markdown table, the first column left-aligned and the others right-aligned, on stdout. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (i === 0 ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
