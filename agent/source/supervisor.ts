/**
 * Keeps one bpftrace attached to the bitcoind process: attaches, notices when bitcoind restarts (bpftrace
 * -p exits with its target) or bpftrace dies on its own, and re-attaches. Decoded lines go to the recorder.
 */
import { PROBES } from '../../probes/catalogue.js';
import type { Decoder } from '../decode/decoder.js';
import type { Logger } from '../log.js';
import type { Recorder } from '../record/recorder.js';
import { BpftraceProcess, isBenignStderr } from './bpftrace.js';
import { buildProgram, listProbes, ProbeListError, presentProbes } from './program.js';
import { isRunning, processesOf } from './target.js';

export interface SupervisorOptions {
  bpftrace: string;
  /** The bitcoind binary, links resolved. */
  binary: string;
  perfRbPages: number;
  maxLineLength: number;
  /** How long to wait for bpftrace to attach before giving up on one attempt. */
  attachTimeoutMs: number;
  /** How often to look for a restarted bitcoind. */
  pollMs: number;
}

export interface AttachStatus {
  attached: boolean;
  probes: number;
  reason: string;
}

/** Attaching failed; the message says why in words an operator can act on. */
export class AttachError extends Error {}

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_RESET_MS = 60_000;
const STDERR_KEPT = 10;

export function troubleshoot(binary: string, pid: number, detail: string): string {
  const causes: string[] = [];
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    causes.push('fibre-agent is not running as root, which bpftrace needs (run it with sudo)');
  }
  if (!isRunning(pid)) causes.push(`process ${pid} is not running (wrong --pid?)`);
  if (causes.length === 0) causes.push(detail);
  return `No USDT probes could be attached to ${binary} (pid ${pid}): ${causes.join('; ')}`;
}

export class Supervisor {
  private readonly proc = new BpftraceProcess();
  private status: AttachStatus = { attached: false, probes: 0, reason: 'starting' };
  private stopping = false;
  private stderrTail: string[] = [];
  private pid = 0;
  private attachedAt = 0;
  private backoffMs = BACKOFF_START_MS;
  private onReady?: () => void;
  private decodeErrors = 0;
  private lastDecodeWarn = 0;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly decoder: Decoder,
    private readonly recorder: Recorder,
    private readonly log: Logger,
  ) {}

  get health(): AttachStatus {
    return this.status;
  }

  get bpftracePid(): number | undefined {
    return this.proc.pid;
  }

  /** First attachment: throws AttachError when no probe can be attached, so start-up can fail loudly. */
  async start(pid: number): Promise<void> {
    await this.attach(pid, true);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.status = { attached: false, probes: 0, reason: 'shutting down' };
    this.wake?.();
    await this.proc.stop();
    await this.loop;
    this.recorder.setProbesAttached(0);
  }

  private async attach(pid: number, first: boolean): Promise<void> {
    this.pid = pid;
    const { bpftrace, binary } = this.options;
    let found: Set<string>;
    try {
      found = await listProbes(bpftrace, binary);
    } catch (err) {
      throw new AttachError(err instanceof ProbeListError ? err.message : String(err));
    }
    const entries = presentProbes(found);
    if (entries.length === 0) {
      throw new AttachError(
        troubleshoot(
          binary,
          pid,
          `${binary} has none of the tracepoints fibre-agent reads; bitcoind must be built with USDT support (configure --enable-usdt); check with: readelf -n ${binary} | grep -A4 stapsdt`,
        ),
      );
    }
    if (first) {
      for (const e of PROBES) if (!entries.includes(e)) this.log.warn(`Probe not in binary, not attached: ${e.probe}`);
    }
    this.stderrTail = [];
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onReady = undefined;
        reject(new AttachError(`bpftrace did not attach within ${this.options.attachTimeoutMs / 1000}s`));
        void this.proc.stop();
      }, this.options.attachTimeoutMs);
      this.onReady = () => {
        clearTimeout(timer);
        this.onReady = undefined;
        resolve();
      };
      this.proc.start(
        {
          bpftrace,
          binary,
          pid,
          program: buildProgram(entries),
          perfRbPages: this.options.perfRbPages,
          maxLineLength: this.options.maxLineLength,
        },
        {
          line: (l) => this.onLine(l),
          tooLong: () => this.decodeError('line_too_long', 'line over the length limit'),
          stderr: (l) => this.onStderr(l),
          exit: (code, signal) => {
            if (this.onReady) {
              clearTimeout(timer);
              this.onReady = undefined;
              const why = this.stderrTail.filter((l) => !isBenignStderr(l)).pop() ?? `exit ${code ?? signal}`;
              reject(new AttachError(troubleshoot(binary, pid, `bpftrace failed: ${why}`)));
              return;
            }
            this.onExit(code, signal);
          },
        },
      );
    });
    await ready;
    for (const e of entries) this.log.info(`Attached probe: ${e.probe}`);
    this.log.info(`Attached ${entries.length}/${PROBES.length} probes successfully`);
    this.recorder.setProbesAttached(entries.length);
    this.status = { attached: true, probes: entries.length, reason: 'attached' };
    this.attachedAt = Date.now();
  }

  private onLine(line: string): void {
    // bpftrace ends its output with blank lines when it exits.
    if (line === '') return;
    const d = this.decoder.decode(line);
    switch (d.kind) {
      case 'event':
        this.recorder.record(d.entry, d.event as never);
        return;
      case 'ready':
        this.onReady?.();
        return;
      case 'lost':
        this.recorder.lost(d.count);
        this.log.warn(`bpftrace lost ${d.count} events (perf buffer full; raise --perf-buffer-pages)`);
        return;
      case 'invalid':
        this.decodeError('decode', d.reason);
    }
  }

  /** Counted every time, logged at most once a minute so a flood cannot fill the disk. */
  private decodeError(type: 'decode' | 'line_too_long', reason: string): void {
    this.recorder.error(type);
    this.decodeErrors++;
    const now = Date.now();
    if (now - this.lastDecodeWarn >= 60_000) {
      this.log.warn(`Unreadable bpftrace output (${reason}); ${this.decodeErrors} such lines so far`);
      this.lastDecodeWarn = now;
    }
  }

  private onStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_KEPT) this.stderrTail.shift();
    if (isBenignStderr(line)) {
      this.log.debug(`bpftrace: ${line}`);
      return;
    }
    this.recorder.error('bpftrace_stderr');
    this.log.warn(`bpftrace: ${line}`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.recorder.setProbesAttached(0);
    if (this.stopping) return;
    const targetGone = !isRunning(this.pid);
    const reason = targetGone ? `bitcoind (pid ${this.pid}) exited` : `bpftrace exited (${signal ?? `code ${code}`})`;
    this.status = { attached: false, probes: 0, reason: targetGone ? 'bitcoind exited' : 'bpftrace exited' };
    if (targetGone) {
      this.log.warn(`Detached: ${reason}; waiting for ${this.options.binary} to start again`);
    } else {
      this.recorder.error('bpftrace_exit');
      const tail = this.stderrTail.filter((l) => !isBenignStderr(l)).join(' | ');
      this.log.error(`Detached: ${reason}${tail ? `; last stderr: ${tail}` : ''}`);
    }
    this.loop = this.reattach(targetGone);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async reattach(targetGone: boolean): Promise<void> {
    const lostAt = Date.now();
    if (Date.now() - this.attachedAt >= HEALTHY_RESET_MS) this.backoffMs = BACKOFF_START_MS;
    let mustWait = !targetGone;
    while (!this.stopping) {
      if (mustWait) {
        this.status = { ...this.status, reason: `restarting bpftrace in ${this.backoffMs / 1000}s` };
        await this.sleep(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
        if (this.stopping) return;
      }
      mustWait = true;
      const pid = isRunning(this.pid) ? this.pid : await this.waitForProcess();
      if (pid === undefined) return;
      try {
        await this.attach(pid, false);
        this.log.info(`Re-attached to bitcoind pid ${pid} after ${((Date.now() - lostAt) / 1000).toFixed(1)}s`);
        return;
      } catch (err) {
        this.recorder.error('bpftrace_exit');
        this.log.error(`Re-attach failed: ${(err as Error).message}`);
      }
    }
  }

  private async waitForProcess(): Promise<number | undefined> {
    this.status = { attached: false, probes: 0, reason: 'waiting for bitcoind to start' };
    while (!this.stopping) {
      const pids = processesOf(this.options.binary);
      // The newest process is the restarted one; an old one still exiting is passed over.
      const pid = pids.filter((p) => p !== this.pid).pop();
      if (pid !== undefined) return pid;
      await this.sleep(this.options.pollMs);
    }
    return undefined;
  }
}
