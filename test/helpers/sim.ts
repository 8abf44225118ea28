/** Builds and drives probes/simulator/bitcoind-sim.c, and reads back what it fired. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUsdtNotes } from '../../agent/source/usdt-notes.js';
import { selectedTracepoints } from '../../probes/catalogue.js';

const SOURCE = new URL('../../../probes/simulator/bitcoind-sim.c', import.meta.url).pathname;
const built = new Map<string, string>();
let dir: string | undefined;

/** Bitcoin Core release line `n` as bitcoind from the public tree (no udp:* probes), with the wallet. */
const release = (n: number) => [`-DSIM_RELEASE=${n}`, '-DNO_UDP_PROBES'];

const FLAGS = {
  full: [],
  noudp: ['-DNO_UDP_PROBES'],
  wideheight: ['-DWIDE_RECONSTRUCTED_HEIGHT'],
  v23: release(23),
  v24: release(24),
  v25: release(25),
  v26: release(26),
  v27: release(27),
  v28: release(28),
  v29: release(29),
  v30: release(30),
  v31: release(31),
} as const;

export type SimVariant = keyof typeof FLAGS;

/**
 * The variants built as one Bitcoin Core release line each, and that line: its notes (probe set,
 * semaphores from v29 only, argument sizes and counts) and .rodata markers are that release's, so a
 * test iterates over them to cover every line. 'v30' is 'noudp' under the name of its line. Before
 * v29 a build has no semaphores: start it with -S and call go() once the tracer is attached.
 */
export const RELEASE_SIMS = {
  v23: 'v23',
  v24: 'v24',
  v25: 'v25',
  v26: 'v26',
  v27: 'v27',
  v28: 'v28',
  v29: 'v29',
  v30: 'v30',
  v31: 'v31',
} as const satisfies Partial<Record<SimVariant, string>>;

/**
 * 'full' (the simulator's default build, release 30) has every FIBRE probe and Bitcoin Core v30's
 * net:*, mempool:*, utxocache:* and coin_selection:* ones; 'noudp' is like bitcoind from the public
 * tree: all but the udp:* probes; 'wideheight' passes udp:block_reconstructed's height as 8 bytes,
 * against the catalogue's i32; 'v23' to 'v31': see RELEASE_SIMS.
 */
export function buildSim(variant: SimVariant = 'full', name?: string): string {
  const key = `${variant}/${name ?? ''}`;
  const hit = built.get(key);
  if (hit) return hit;
  dir ??= mkdtempSync(join(tmpdir(), 'fibre-sim-'));
  const out = join(dir, name ?? `bitcoind-${variant}`);
  execFileSync('gcc', ['-O2', ...FLAGS[variant], '-o', out, SOURCE, '-lm']);
  built.set(key, out);
  return out;
}

export interface SimEvent {
  probe: string;
  height: number;
  [field: string]: string | number;
}

/** The probes of the default selection this binary has, but mempool:replaced. */
function defaultProbes(binary: string): number {
  const notes = readUsdtNotes(binary);
  return selectedTracepoints(undefined).filter((t) => t.probe !== 'mempool:replaced' && notes.has(t.probe)).length;
}

/** Whether the binary's probes are guarded by semaphores (bitcoind from v29), as its notes say. */
function hasSemaphores(binary: string): boolean {
  return [...readUsdtNotes(binary).values()].some((sites) => sites.some((s) => s.semaphore !== 0n));
}

export class Sim {
  readonly events: SimEvent[] = [];
  private semaphoreWaiters: ((s: Record<string, number>) => void)[] = [];
  private doneWaiters: (() => void)[] = [];
  private exitWaiters: ((code: number | null) => void)[] = [];
  private started = false;
  private goPending = false;
  done = false;
  exitCode: number | null | undefined;
  private buf = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.onLine(JSON.parse(line) as Record<string, unknown>);
      }
    });
    child.on('exit', (code) => {
      this.exitCode = code;
      for (const w of this.exitWaiters.splice(0)) w(code);
    });
  }

  /**
   * With -w and no -k, the simulator waits until every probe an agent attaches by default is enabled
   * (mempool:replaced is not among those -k counts): firing before the last one is attached would
   * lose events no tracer saw. A test that attaches fewer (--packs) gives -k itself. A build without
   * semaphores gets no -k: it has nothing to count, and refuses -w (exit 2); it waits with -S for go().
   */
  static async start(binary: string, args: string[]): Promise<Sim> {
    if (args.includes('-w') && !args.includes('-k') && hasSemaphores(binary)) {
      args = [...args, '-k', String(defaultProbes(binary))];
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return new Sim(child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  private onLine(msg: Record<string, unknown>): void {
    // When the test saw it fired (lines are flushed once per block), for checks about time windows.
    if ('probe' in msg) this.events.push({ ...(msg as SimEvent), at: Date.now() });
    else if ('semaphores' in msg) {
      // null from a build without semaphores: none to report, so none left enabled.
      const semaphores = (msg.semaphores ?? {}) as Record<string, number>;
      for (const w of this.semaphoreWaiters.splice(0)) w(semaphores);
    } else if ('started' in msg) {
      this.started = true;
      if (this.goPending) this.go();
    } else if ('done' in msg) {
      this.done = true;
      for (const w of this.doneWaiters.splice(0)) w();
    }
  }

  waitDone(timeoutMs = 60_000): Promise<void> {
    if (this.done) return Promise.resolve();
    return withTimeout(new Promise<void>((r) => this.doneWaiters.push(r)), timeoutMs, 'simulator did not finish');
  }

  waitExit(timeoutMs = 30_000): Promise<number | null> {
    if (this.exitCode !== undefined) return Promise.resolve(this.exitCode);
    return withTimeout(new Promise((r) => this.exitWaiters.push(r)), timeoutMs, 'simulator did not exit');
  }

  /**
   * Lets a simulator started with -S fire its first block (SIGUSR2): on a build without semaphores,
   * once the tracer is attached. Sent when the simulator has said it started, as its handler is in
   * place by then and SIGUSR2 would otherwise end it.
   */
  go(): void {
    this.goPending = !this.started;
    if (this.started) this.child.kill('SIGUSR2');
  }

  /** The semaphore values right now, as the simulator reads them from its own memory ({} without semaphores). */
  semaphores(): Promise<Record<string, number>> {
    const p = new Promise<Record<string, number>>((r) => this.semaphoreWaiters.push(r));
    this.child.kill('SIGUSR1');
    return withTimeout(p, 5000, 'simulator did not report its semaphores');
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    await this.waitExit();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms}ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function hexBytes(hex: string | number | undefined): Buffer {
  return Buffer.from(String(hex ?? ''), 'hex');
}
