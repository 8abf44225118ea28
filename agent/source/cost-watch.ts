/**
 * What watching costs, sampled by the supervisor, which as root and parent may read every process of
 * the agent, with each read of the maps (at most once a second) and every IDLE_COST_INTERVAL_MS while
 * nothing is read. Sampling on a fixed second tick woke two node processes every second on an idle
 * node, and that was most of what an idle agent cost. It samples CPU seconds and resident memory of
 * the supervisor, the metrics process and bpftrace, and with --probe-stats each probe's runs and run
 * time inside bitcoind. It sends increments, so the metrics side only adds, and a restarted bpftrace
 * (new PID, programs counting from 0) carries on from where the last one was last read.
 */
import type { AgentProcess } from '../../probes/metrics.js';
import type { Logger } from '../log.js';
import type { CostSample } from './downstream.js';
import { LayoutMismatch, type ProbeRuns, ProbeStatsReader, type ProgramSlot } from './probe-stats.js';
import { ProcessStatsReader } from './process-stats.js';

/** The running bpftrace once its probes are attached, and which probe each of its programs is. */
export interface BpftraceRun {
  pid: number;
  layout: readonly ProgramSlot[];
}

export interface CostSources {
  /** The PID of each process of the agent now; a process not running is left out. */
  pids(): Partial<Record<AgentProcess, number>>;
  /** Undefined while bpftrace is not attached. */
  attached(): BpftraceRun | undefined;
}

export const MIN_COST_INTERVAL_MS = 1000;
/** While nothing is read the cost still moves a little (bpftrace polls, V8 collects): a scrape sees it this late at most. */
export const IDLE_COST_INTERVAL_MS = 10_000;

export class CostWatch {
  private readonly cpu = new Map<AgentProcess, { pid: number; seconds: number }>();
  private readonly stats = new Map<AgentProcess, ProcessStatsReader>();
  private reader?: ProbeStatsReader;
  private runs = new Map<string, ProbeRuns>();
  private warned?: ProbeStatsReader;
  private timer?: NodeJS.Timeout;
  private lastMs = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly sources: CostSources,
    private readonly send: (sample: CostSample) => void,
    private readonly log: Logger,
    private readonly options: { intervalMs: number; probeStats: boolean },
  ) {}

  start(): void {
    this.tick();
  }

  /**
   * A read of the maps was applied: sampled with it, so the cost keeps pace with the counts while events
   * flow. Reads come once a read interval at most; half of it is the floor that still lets each one in.
   */
  busy(): void {
    if (this.stopped) return;
    if (performance.now() - this.lastMs >= Math.max(this.options.intervalMs, MIN_COST_INTERVAL_MS) / 2) this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const r of this.stats.values()) r.close();
    this.reader?.close();
  }

  /** Samples now and sets the idle tick from now. */
  private tick(): void {
    this.lastMs = performance.now();
    this.send(this.sample());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), IDLE_COST_INTERVAL_MS);
    this.timer.unref();
  }

  /** One sample: increments since the previous one (everything since its start for a process seen first). */
  sample(): CostSample {
    const sample: CostSample = { cpuSeconds: {}, residentBytes: {} };
    const pids = this.sources.pids();
    for (const name of ['supervisor', 'metrics', 'bpftrace'] as const) {
      const pid = pids[name];
      const stats = pid === undefined ? undefined : this.statsOf(name, pid).read();
      if (pid === undefined || !stats) {
        // Only bpftrace comes and goes; its memory while detached is none.
        if (name === 'bpftrace') sample.residentBytes[name] = 0;
        continue;
      }
      const last = this.cpu.get(name);
      const before = last && last.pid === pid ? last.seconds : 0;
      sample.cpuSeconds[name] = Math.max(0, stats.cpuSeconds - before);
      sample.residentBytes[name] = stats.residentBytes;
      this.cpu.set(name, { pid, seconds: stats.cpuSeconds });
    }
    if (this.options.probeStats) sample.probes = this.probes();
    return sample;
  }

  /** The reader of a process's stat file, a new one when the process is another. */
  private statsOf(name: AgentProcess, pid: number): ProcessStatsReader {
    let reader = this.stats.get(name);
    if (reader?.pid !== pid) {
      reader?.close();
      reader = new ProcessStatsReader(pid);
      this.stats.set(name, reader);
    }
    return reader;
  }

  private probes(): CostSample['probes'] {
    const run = this.sources.attached();
    if (!run) return undefined;
    if (this.reader?.pid !== run.pid) {
      this.reader?.close();
      this.reader = new ProbeStatsReader(run.pid, run.layout);
      this.runs = new Map();
    }
    let totals: Map<string, ProbeRuns>;
    try {
      totals = this.reader.read();
    } catch (err) {
      // A bpftrace that exited since attached() said otherwise is no news: the supervisor reports it.
      if (err instanceof LayoutMismatch && this.warned !== this.reader) {
        this.warned = this.reader;
        this.log.warn(`--probe-stats: per-probe run counts not reported: ${(err as Error).message}`);
      }
      return undefined;
    }
    const out: NonNullable<CostSample['probes']> = {};
    for (const [probe, now] of totals) {
      const last = this.runs.get(probe) ?? { runs: 0, runNs: 0 };
      out[probe] = { runs: now.runs - last.runs, seconds: (now.runNs - last.runNs) / 1e9 };
      this.runs.set(probe, now);
    }
    return out;
  }
}
