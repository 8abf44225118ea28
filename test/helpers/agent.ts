/** Runs the real CLI (dist/agent/cli.js) as a child process on free loopback ports. */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from './sim.js';

export const CLI = new URL('../../agent/cli.js', import.meta.url).pathname;

/** Ports freePort() has handed out in this process. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    // The kernel may offer a port again before the one it offered first is bound (a bitcoind's RPC
    // port once came back as its neighbour's P2P port): a port is handed out once per test process.
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * A journal file of its own for each agent a test starts (never the machine's /var/lib/fibre-agent), in
 * a directory that does not exist yet: the supervisor creates it for the metrics process's user.
 */
export function freshJournalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-journal-'));
  chmodSync(dir, 0o755);
  return join(dir, 'state', 'journal.sqlite');
}

export class AgentProc {
  output = '';
  private waiters: { re: RegExp; resolve: () => void }[] = [];
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private exitWaiters: (() => void)[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly healthPort: number,
    readonly journalPath: string,
  ) {
    const onData = (chunk: string) => {
      this.output += chunk;
      this.waiters = this.waiters.filter((w) => {
        if (!w.re.test(this.output)) return true;
        w.resolve();
        return false;
      });
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  /**
   * Starts the agent with these extra arguments on fresh ports (unless the arguments set them);
   * `program` is how the agent is run (the packaged tests pass the installed executable).
   */
  static async start(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    wrapper: string[] = [],
    program: string[] = [process.execPath, CLI],
  ): Promise<AgentProc> {
    const port = await freePort();
    const healthPort = await freePort();
    const base = [
      '--port',
      String(port),
      '--health-port',
      String(healthPort),
      '--metrics-address',
      '127.0.0.1',
      '--health-address',
      '127.0.0.1',
    ];
    const [command, ...pre] = [...wrapper, ...program];
    // A subcommand comes first; the port options then belong to it.
    const sub = args[0] === 'demo' ? ['demo'] : [];
    const rest = sub.length ? args.slice(1) : args;
    const journalPath = env.FIBRE_JOURNAL_PATH ?? freshJournalPath();
    const child = spawn(command as string, [...pre, ...sub, ...base, ...rest], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FIBRE_JOURNAL_PATH: journalPath, ...env },
    });
    return new AgentProc(child, port, healthPort, journalPath);
  }

  waitFor(re: RegExp, timeoutMs = 60_000): Promise<void> {
    if (re.test(this.output)) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push({ re, resolve }));
    return withTimeout(p, timeoutMs, `agent did not log ${re}; output so far:\n${this.output}\n`).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n--- agent output ---\n${this.output}`);
      },
    );
  }

  waitExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const done = () => this.exit as { code: number | null; signal: NodeJS.Signals | null };
    if (this.exit) return Promise.resolve(done());
    return withTimeout(new Promise<void>((r) => this.exitWaiters.push(r)), timeoutMs, 'agent did not exit').then(done);
  }

  async metrics(init: RequestInit = {}): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, init);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  async health(): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${this.healthPort}/health`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Sends a signal and waits for the exit; returns how long it took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    if (!this.exit) this.child.kill(signal);
    // bpftrace may take seconds to detach on a busy machine, and the agent waits for it.
    const { code } = await this.waitExit(30_000);
    return { code, ms: Date.now() - t0 };
  }
}

/** Polls until fn resolves without throwing, or the time is up. */
/** An agent given nothing but a real node's binary and process (and its node label): the release decides the rest. */
export function agentOnNode(binary: string, pid: number, node: string): Promise<AgentProc> {
  return AgentProc.start(['-b', binary, '-p', String(pid), '-n', node, '--map-read-interval', '0.2']);
}

export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
