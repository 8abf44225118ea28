/**
 * The privileged half of the agent: keeps one bpftrace attached to the bitcoind process. It attaches,
 * notices when bitcoind restarts (bpftrace -p exits with its target) or bpftrace dies on its own, and
 * re-attaches, with backoff for a bpftrace that keeps failing. It passes bpftrace's output on without
 * reading it; the downstream pipeline decodes it and says when the probes are ready.
 *
 * Each attempt has its own bpftrace process; events from an attempt that was given up (timed out, or
 * superseded) are ignored, so there is never more than one bpftrace feeding the pipeline.
 */
import { type Pack, TRACEPOINTS } from '../../probes/catalogue.js';
import { type Aggregation, type ConnectTimeUnit, mapKeysMax, outputBuffering } from '../../probes/protocol.js';
import type { BuildInfo } from '../../probes/releases.js';
import { type Semantics, unitOn } from '../../probes/semantics.js';
import type { Logger } from '../log.js';
import { attachReport } from './attach-report.js';
import { BpftraceProcess, isBenignStderr } from './bpftrace.js';
import type { CapName } from './capabilities.js';
import type { BpftraceRun } from './cost-watch.js';
import type { AttachStatus, Downstream } from './downstream.js';
import { ElfError } from './elf.js';
import { presentProbes, type Selection } from './probe-selection.js';
import { loadOrder } from './probe-stats.js';
import { buildProgram } from './program.js';
import { ProgramError } from './program-error.js';
import { readMarkers, tellRelease } from './release.js';
import { isRunning, processesOf, startTimeOf } from './target.js';
import { BPFTRACE_TIMER_SLACK_NS } from './timer-slack.js';
import { type NoteSite, readUsdtNotes, UsdtNoteError } from './usdt-notes.js';

export interface SupervisorOptions {
  bpftrace: string;
  /** The bitcoind binary, links resolved. */
  binary: string;
  perfRbPages: number;
  /** How long to wait for bpftrace to attach before giving up on one attempt. */
  attachTimeoutMs: number;
  /** How often to look for a restarted bitcoind. */
  pollMs: number;
  /** The bounding set bpftrace runs with, when the agent may narrow it. */
  boundTo?: readonly CapName[];
  aggregation: Aggregation;
  verbose: boolean;
  connectTimeUnit: ConnectTimeUnit;
  /** How often bpftrace prints the maps that changed. */
  readIntervalMs: number;
  peerLabelLimit: number;
  packs: readonly Pack[] | undefined;
  /** The per-block journal is on: its probes print an event line each. */
  journal?: boolean;
}

/** Attaching failed; the message says why in words an operator can act on. */
export class AttachError extends Error {}

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_RESET_MS = 60_000;
const STDERR_KEPT = 10;

export function troubleshoot(binary: string, pid: number, detail: string): string {
  const cause = isRunning(pid) ? detail : `process ${pid} is not running (wrong --pid?)`;
  return `No USDT probes could be attached to ${binary} (pid ${pid}): ${cause}`;
}

/** The process we are attached to: a PID alone could be reused by an unrelated process later. */
interface Target {
  pid: number;
  start: number;
}

export class Supervisor {
  private proc?: BpftraceProcess;
  private stopping = false;
  private stderrTail: string[] = [];
  private target: Target = { pid: 0, start: 0 };
  private attachedAt = 0;
  /** Trouble with the timer slack is said once: it would be the same at each attach, and costs only wakes. */
  private slackTold = false;
  private backoffMs = BACKOFF_START_MS;
  private onReady?: (attempt: number) => void;
  /** Numbers the bpftrace runs, so the pipeline can tell one run's map counts from the next. */
  private attempt = 0;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** The process last told to onTarget. */
  private followed = 0;
  /** Called with each bitcoind process the supervisor attaches to (the first, and every restart). */
  onTarget: (pid: number) => void = () => {};
  /** What the log last said of the binary: said again only when it changes (an upgrade in place). */
  private told?: { release: string; refused: string };
  /** The bpftrace whose probes are attached, for the probes' run statistics. */
  private run?: BpftraceRun;
  /** The named packs the binary lacks, as last warned: warned again only when they change. */
  private warnedLacking?: string;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly downstream: Downstream,
    private readonly log: Logger,
  ) {}

  /** The PID of bpftrace while one runs, attached or attaching. */
  get bpftracePid(): number | undefined {
    return this.proc?.pid;
  }

  /** The bpftrace whose probes are attached, and which probe each of its programs runs. */
  attached(): BpftraceRun | undefined {
    return this.run;
  }

  /** The downstream saw bpftrace's ready line for an attempt: every probe of it is attached. */
  ready(attempt: number): void {
    this.onReady?.(attempt);
  }

  /**
   * First attachment: throws AttachError when no probe can be attached, so start-up can fail loudly.
   * Without a PID (no bitcoind runs yet, as at a boot where the agent starts first) it waits for one.
   */
  async start(pid: number | undefined): Promise<void> {
    let target = pid;
    if (target === undefined) {
      this.log.info(`No process runs ${this.options.binary} yet: serving metrics and waiting for bitcoind to start`);
      target = await this.waitForNewProcess();
      if (target === undefined) throw new AttachError('shutting down');
      this.log.info(`bitcoind started (pid ${target})`);
    }
    await this.attach(target);
  }

  /** Detaches: stops bpftrace (and any attempt in flight) and waits until it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.run = undefined;
    this.setStatus({ attached: false, probes: 0, reason: 'shutting down' });
    this.wake?.();
    await this.proc?.stop();
    await this.loop;
    // An attempt that was between its awaits when stop() began has been refused, but check.
    await this.proc?.stop();
  }

  private setStatus(status: AttachStatus): void {
    this.downstream.status(status);
  }

  private isTarget(t: Target): boolean {
    return isRunning(t.pid) && (startTimeOf(t.pid) ?? -1) === t.start;
  }

  /** The bpftrace stderr lines that say something, newest last. */
  private problems(): string[] {
    return this.stderrTail.filter((l) => !isBenignStderr(l));
  }

  private async attach(pid: number): Promise<void> {
    // Keep the previous start time if the process is already gone: 0 would make every older
    // process of the binary look like a restart of it.
    this.target = { pid, start: startTimeOf(pid) ?? this.target.start };
    if (pid !== this.followed) {
      this.followed = pid;
      this.onTarget(pid);
    }
    const { bpftrace, binary, boundTo } = this.options;
    // The probes, their argument locations and the release come from the binary itself: no `bpftrace
    // -l` run, and bitcoind is never executed.
    let selection: Selection;
    let build: BuildInfo;
    let notes: ReadonlyMap<string, readonly NoteSite[]>;
    try {
      notes = readUsdtNotes(binary);
      build = tellRelease(notes, readMarkers(binary));
      selection = presentProbes(notes, this.options.packs, this.semanticsOf(build));
    } catch (err) {
      if (err instanceof UsdtNoteError || err instanceof ElfError || err instanceof ProgramError)
        throw new AttachError(err.message);
      throw err;
    }
    if (this.stopping) throw new AttachError('shutting down');
    this.tell(build, selection.refused);
    const probes = selection.present;
    if (probes.length === 0 && selection.refused.length > 0) {
      throw new AttachError(troubleshoot(binary, pid, `every probe was refused: ${selection.refused.join('; ')}`));
    }
    if (probes.length === 0) {
      throw new AttachError(
        troubleshoot(
          binary,
          pid,
          `${binary} has none of the tracepoints fibre-agent reads; bitcoind must be built with USDT support (CMake -DWITH_USDT=ON for v29 and later, configure --enable-usdt before); check with: readelf -n ${binary} | grep -A4 stapsdt`,
        ),
      );
    }
    const report = attachReport(
      binary,
      this.options.packs,
      (probe) => notes.has(probe),
      probes.map((p) => p.tracepoint.probe),
    );
    this.warnLacking(report.warnings);
    const attempt = ++this.attempt;
    const program = buildProgram(probes, {
      binary,
      attempt,
      aggregation: this.options.aggregation,
      verbose: this.options.verbose,
      semantics: this.semanticsOf(build),
      readIntervalMs: this.options.readIntervalMs,
      journal: this.options.journal,
    });
    this.stderrTail = [];
    const proc = new BpftraceProcess();
    this.proc = proc;
    const current = () => this.proc === proc;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.onReady = undefined;
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(new AttachError(`bpftrace did not attach within ${this.options.attachTimeoutMs / 1000}s`));
        void proc.stop();
      }, this.options.attachTimeoutMs);
      this.onReady = (ready) => ready === attempt && settle();
      proc.start(
        {
          bpftrace,
          binary,
          pid,
          program,
          perfRbPages: this.options.perfRbPages,
          boundTo,
          stdout: this.downstream.stdout(),
          mapKeysMax: mapKeysMax(this.options.peerLabelLimit),
          buffering: outputBuffering(this.options.aggregation),
          timerSlackNs: BPFTRACE_TIMER_SLACK_NS,
        },
        {
          slackTrouble: (line) => {
            if (this.slackTold) return;
            this.slackTold = true;
            this.log.info(line);
          },
          data: (chunk) => current() && this.downstream.write?.(chunk),
          stderr: (l) => current() && this.onStderr(l),
          exit: (code, signal) => {
            if (!current()) return;
            this.downstream.endStream();
            if (!settled) {
              const why = this.problems().pop() ?? `exit ${code ?? signal}`;
              settle(new AttachError(troubleshoot(binary, pid, `bpftrace failed: ${why}`)));
              return;
            }
            this.onExit(code, signal);
          },
        },
      );
    });
    if (proc.pid !== undefined) {
      this.run = { pid: proc.pid, layout: loadOrder(program, (probe) => notes.get(probe)?.length ?? 0) };
    }
    for (const p of probes) this.log.debug(`Attached probe: ${p.tracepoint.probe}`);
    this.log.info(report.summary);
    this.setStatus({
      attached: true,
      probes: probes.length,
      reason: 'attached',
      build,
      refused: selection.refused.length,
      bpftracePid: proc.pid,
    });
    this.attachedAt = Date.now();
  }

  /** The release's semantics, with the operator's --connect-time-unit where one was given. */
  private semanticsOf(build: BuildInfo): Semantics {
    const unit = this.options.connectTimeUnit;
    return { release: build.semantics, connectTimeUnit: unit === 'auto' ? undefined : unit };
  }

  /** The release and the refused probes, logged at the first attach and again when they change. */
  private tell(build: BuildInfo, refused: readonly string[]): void {
    const before = this.told;
    this.told = { release: build.release, refused: refused.join('\n') };
    if (before?.release !== build.release) {
      const told = `told from ${build.toldFrom}`;
      if (build.verified) {
        this.log.info(
          before
            ? `bitcoind is now release ${build.release} (was ${before.release}), ${told}`
            : `bitcoind release ${build.release}, ${told}`,
        );
      } else {
        this.log.warn(
          `bitcoind release ${build.release} (${told}): its probes are read as ${build.semantics} passes them; their units, codes and label values were not verified on this release`,
        );
      }
      this.warnUnitOverride(build);
    }
    if (before?.refused !== this.told.refused) {
      for (const line of refused) this.log.warn(`Probe refused, not attached: ${line}`);
    }
  }

  /** Named packs the binary lacks: at the first attach, and again only if an upgrade in place changes them. */
  private warnLacking(warnings: readonly string[]): void {
    const said = warnings.join('\n');
    if (said === this.warnedLacking) return;
    this.warnedLacking = said;
    for (const w of warnings) this.log.warn(w);
  }

  /** An explicit --connect-time-unit that disagrees with the release: connect times come out 1000 times off. */
  private warnUnitOverride(build: BuildInfo): void {
    const unit = this.options.connectTimeUnit;
    if (unit === 'auto') return;
    const spec = TRACEPOINTS.flatMap((t) => t.args).find((a) => a.unitSetting === 'connect-time-unit');
    const releaseUnit = spec && unitOn(spec, { release: build.semantics });
    if (releaseUnit && releaseUnit !== unit) {
      this.log.warn(
        `--connect-time-unit ${unit} overrides ${build.semantics}, which passes the connect time in ${releaseUnit}: leave it unset (auto) unless this bitcoind is patched`,
      );
    }
  }

  private onStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_KEPT) this.stderrTail.shift();
    if (isBenignStderr(line)) {
      this.log.debug(`bpftrace: ${line}`);
      return;
    }
    this.downstream.error('bpftrace_stderr');
    this.log.warn(`bpftrace: ${line}`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.run = undefined;
    if (this.stopping) return;
    const targetGone = !this.isTarget(this.target);
    const reason = targetGone
      ? `bitcoind (pid ${this.target.pid}) exited`
      : `bpftrace exited (${signal ?? `code ${code}`})`;
    this.setStatus({ attached: false, probes: 0, reason: targetGone ? 'bitcoind exited' : 'bpftrace exited' });
    if (targetGone) {
      this.log.warn(`Detached: ${reason}; waiting for ${this.options.binary} to start again`);
    } else {
      this.downstream.error('bpftrace_exit');
      const tail = this.problems().join(' | ');
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

  /** The one re-attach loop: runs until attached or stopping; a failed attempt never starts another loop. */
  private async reattach(targetGone: boolean): Promise<void> {
    const lostAt = Date.now();
    if (Date.now() - this.attachedAt >= HEALTHY_RESET_MS) this.backoffMs = BACKOFF_START_MS;
    let mustWait = !targetGone;
    while (!this.stopping) {
      if (mustWait) {
        this.setStatus({ attached: false, probes: 0, reason: `restarting bpftrace in ${this.backoffMs / 1000}s` });
        await this.sleep(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
        if (this.stopping) return;
      }
      mustWait = true;
      const pid = this.isTarget(this.target) ? this.target.pid : await this.waitForNewProcess();
      if (pid === undefined || this.stopping) return;
      try {
        await this.attach(pid);
        this.log.info(`Re-attached to bitcoind pid ${pid} after ${((Date.now() - lostAt) / 1000).toFixed(1)}s`);
        return;
      } catch (err) {
        if (this.stopping) return;
        this.downstream.error('bpftrace_exit');
        this.log.error(`Re-attach failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The restarted bitcoind: a process of the binary that started after the one we were attached to.
   * Older ones (another instance on the same binary) are never taken for it.
   */
  private async waitForNewProcess(): Promise<number | undefined> {
    this.setStatus({ attached: false, probes: 0, reason: 'waiting for bitcoind to start' });
    let warned = false;
    while (!this.stopping) {
      const fresh = processesOf(this.options.binary).filter(
        (p) => p !== this.target.pid && (startTimeOf(p) ?? 0) >= this.target.start,
      );
      if (fresh.length === 1) return fresh[0];
      if (fresh.length > 1 && !warned) {
        this.log.warn(
          `Several new processes run ${this.options.binary} (PIDs ${fresh.join(', ')}); waiting until one remains`,
        );
        warned = true;
      }
      await this.sleep(this.options.pollMs);
    }
    return undefined;
  }
}
