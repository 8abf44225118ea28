/** The bpftrace child process: spawn, line output, stderr, and a shutdown that checks it happened. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { type OutputBuffering, STRING_BYTES } from '../../probes/protocol.js';
import { LineSplitter } from '../line-splitter.js';
import { boundingArg, type CapName } from './capabilities.js';
import { lowerTimerSlack, spawnWithTimerSlack } from './timer-slack.js';

export interface BpftraceSpec {
  bpftrace: string;
  binary: string;
  pid: number;
  program: string;
  perfRbPages: number;
  /** 'pipe' (read here, passed to the data handler) or a stream with a descriptor bpftrace writes to itself. */
  stdout: 'pipe' | Writable;
  /** Entries each BPF map may hold. */
  mapKeysMax: number;
  /** -B: written at each flush the program asks for, or line by line (outputBuffering in probes/protocol.ts). */
  buffering: OutputBuffering;
  /** Run through setpriv with only these capabilities left in the bounding set (needs CAP_SETPCAP). */
  boundTo?: readonly CapName[];
  /** bpftrace's timer slack (timer-slack.ts); left as this process's own if omitted. */
  timerSlackNs?: number;
}

export interface BpftraceHandlers {
  /** stdout with 'pipe', as it comes: decoding is the unprivileged side's job. */
  data(chunk: Buffer): void;
  stderr(line: string): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** The timer slack could not be given to bpftrace, taken back from this process, or lowered for a stop: a line for the log. */
  slackTrouble?(line: string): void;
}

/**
 * bpftrace 0.17 prints these on stderr although nothing is wrong: the memlock rlimit warning on
 * kernels that account BPF memory by cgroup, and "failed to detach" at exit when tracefs is not
 * mounted although the kernel does detach (the semaphores go back to 0).
 */
const BENIGN_STDERR = [/RLIMIT_MEMLOCK/, /failed to detach probe/, /uprobe_events\): No such file/];

export function isBenignStderr(line: string): boolean {
  return BENIGN_STDERR.some((re) => re.test(line));
}

/**
 * SIGINT, then a long wait: bpftrace detaches its probes one by one as it exits (2.5 s measured for 24
 * probes on a busy machine), and a SIGKILL that lands while it is inside one of those detaches makes
 * the kernel give up on that probe ("failed to unregister, leaking uprobe" in dmesg): its breakpoint
 * and semaphore then stay in bitcoind until bitcoind restarts. SIGKILL is only for a bpftrace that is
 * stuck.
 */
export const BPFTRACE_STOP_WAIT_MS = 20_000;
const STOP_STEPS: readonly [NodeJS.Signals, number][] = [
  ['SIGINT', BPFTRACE_STOP_WAIT_MS],
  ['SIGKILL', 500],
];

/**
 * The stdout buffer bpftrace gets when fully buffered. glibc sizes it by the pipe's block, 4 KiB, so
 * the journal's lines were still written (and woke the metrics process) every 4 KiB between reads.
 * With this much, they wait for the read's print(), which flushes: one burst a read. A read and a
 * second of journal at 1,000 blocks/s are about 45 kB; more than this is written when it fills.
 */
export const STDOUT_BUFFER_BYTES = 1 << 20;

/** The executable `name` runs (a path as it is, a bare name looked up on PATH), or null if there is none. */
export function executable(name: string): string | null {
  const runnable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return runnable(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir.startsWith('/') && runnable(join(dir, name))) return join(dir, name);
  }
  return null;
}

let stdbufFound: string | null | undefined;

/**
 * coreutils' stdbuf, or null: it preloads a library that sets stdout's buffer before bpftrace's main
 * runs, and bpftrace's -B full keeps that buffer (glibc's setvbuf without a buffer of its own keeps
 * the one the stream has). Without it, or for a static bpftrace, the buffer stays 4 KiB.
 */
function stdbuf(): string | null {
  if (stdbufFound === undefined) stdbufFound = executable('stdbuf');
  return stdbufFound;
}

/**
 * bpftrace, through stdbuf when fully buffered and stdbuf is there (STDOUT_BUFFER_BYTES), and through
 * setpriv when its bounding set is to be narrowed (which needs CAP_SETPCAP). Each execs the next, so
 * the process is bpftrace's from its start: the cost metrics and the probe statistics follow its PID.
 */
export function bpftraceCommand(
  bpftrace: string,
  args: string[],
  boundTo?: readonly CapName[],
  buffering: OutputBuffering = 'line',
): [string, string[]] {
  // A bpftrace that is not there is left to fail as itself, with the agent's own message for it.
  const wrap = buffering === 'full' && executable(bpftrace) !== null ? stdbuf() : null;
  const command = wrap ? [wrap, `--output=${STDOUT_BUFFER_BYTES}`, bpftrace, ...args] : [bpftrace, ...args];
  if (boundTo) command.unshift('setpriv', `--bounding-set=${boundingArg(boundTo)}`, '--');
  return [command[0] as string, command.slice(1)];
}

/** Only what bpftrace needs from our environment: no secret of the agent's reaches it. */
export function bpftraceEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('BPFTRACE_')) env[k] = v;
  return { ...env, ...extra };
}

export class BpftraceProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  /** Set when bpftrace was given a timer slack: its stop lowers it, and says so here if it cannot. */
  private slackTrouble?: (line: string) => void;

  start(spec: BpftraceSpec, on: BpftraceHandlers): void {
    // -B: see outputBuffering in probes/protocol.ts.
    // -p: enables the semaphores in that process and ends bpftrace when it exits.
    // --no-warnings: the generated program's string compares draw an address-space warning that
    // says nothing an operator can act on; errors still arrive.
    const args = ['-B', spec.buffering, '-q', '--no-warnings', '-p', String(spec.pid), '-e', spec.program, spec.binary];
    const [command, argv] = bpftraceCommand(spec.bpftrace, args, spec.boundTo, spec.buffering);
    const run = () =>
      spawn(command, argv, {
        stdio: ['ignore', spec.stdout, 'pipe'],
        env: bpftraceEnv({
          BPFTRACE_STRLEN: String(STRING_BYTES),
          BPFTRACE_PERF_RB_PAGES: String(spec.perfRbPages),
          BPFTRACE_MAP_KEYS_MAX: String(spec.mapKeysMax),
        }),
      });
    const slack = spec.timerSlackNs;
    const trouble = (line: string) => on.slackTrouble?.(line);
    this.slackTrouble = slack === undefined ? undefined : trouble;
    const child = slack === undefined ? run() : spawnWithTimerSlack(slack, run, trouble);
    this.child = child;
    const err = new LineSplitter(
      4096,
      (l) => l.trim() && on.stderr(l),
      () => on.stderr('(overlong stderr line)'),
    );
    child.stdout?.on('data', on.data);
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    this.exited = new Promise((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        this.child = undefined;
        on.exit(code, signal);
        resolve();
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        on.stderr(e.code === 'ENOENT' ? `bpftrace not found at "${spec.bpftrace}"` : e.message);
        finish(null, null);
      });
      // 'close' waits for stdout to drain, so no line printed before exit is lost.
      child.on('close', finish);
    });
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * SIGINT, then SIGKILL only if bpftrace has not exited after BPFTRACE_STOP_WAIT_MS. Before the
   * SIGINT bpftrace gets the kernel's default timer slack back: its last drain of its buffers ends on
   * its 100 ms timeout, which the slack would stretch by as much again (timer-slack.ts).
   */
  async stop(): Promise<void> {
    const exited = this.exited;
    for (const [signal, wait] of STOP_STEPS) {
      const child = this.child;
      if (!child || !exited) return;
      if (signal === 'SIGINT' && child.pid !== undefined && this.slackTrouble) {
        try {
          lowerTimerSlack(child.pid);
        } catch (e) {
          this.slackTrouble(
            `bpftrace keeps its timer slack as it stops (${(e as Error).message}): its stop takes up to that much longer`,
          );
        }
      }
      child.kill(signal);
      const ended = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), wait).unref()),
      ]);
      if (ended) return;
    }
  }
}
