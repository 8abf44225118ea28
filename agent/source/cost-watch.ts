/**
 * What watching costs, as only the root supervisor can see it: with --probe-stats each probe's runs and
 * run time inside bitcoind, and the CPU and memory of the supervisor and bpftrace where /proc hides
 * them from the metrics process (hidepid), which otherwise samples every process itself (ProcessCost,
 * at each scrape). Sampled with each read of the maps (at most once a second) and every
 * IDLE_COST_INTERVAL_MS while nothing is read; with nothing to sample it sets no timer and asks for no
 * reads, so a default agent's supervisor sleeps while events flow. Increments, as ProcessCost sends.
 */
import type { AgentProcess } from '../../probes/metrics.js';
import type { Logger } from '../log.js';
import type { CostSample } from './downstream.js';
import { LayoutMismatch, type ProbeRuns, ProbeStatsReader, type ProgramSlot } from './probe-stats.js';
import { type AgentPids, ProcessCost } from './process-cost.js';

/** The running bpftrace once its probes are attached, and which probe each of its programs is. */
export interface BpftraceRun {
  pid: number;
  layout: readonly ProgramSlot[];
}

export interface CostSources {
  /** The PID of each process of the agent now; a process not running is left out. */
  pids(): AgentPids;
  /** Undefined while bpftrace is not attached. */
  attached(): BpftraceRun | undefined;
}

export const MIN_COST_INTERVAL_MS = 1000;
/** While nothing is read the cost still moves a little (bpftrace polls, V8 collects): a scrape sees it this late at most. */
export const IDLE_COST_INTERVAL_MS = 10_000;

export class CostWatch {
  private processes?: ProcessCost;
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
    if (this.active) this.tick();
  }

  /** The metrics process cannot read these processes' /proc entries: sampled here from now on. */
  watch(names: readonly AgentProcess[]): void {
    if (this.stopped || names.length === 0) return;
    this.processes?.close();
    this.processes = new ProcessCost(() => this.sources.pids(), names);
    this.tick();
  }

  /** Whether there is anything to sample here: reads and the idle tick matter only then. */
  get active(): boolean {
    return this.options.probeStats || this.processes !== undefined;
  }

  /**
   * A read of the maps was applied: sampled with it, so the cost keeps pace with the counts while events
   * flow. Reads come once a read interval at most; half of it is the floor that still lets each one in.
   */
  busy(): void {
    if (this.stopped || !this.active) return;
    if (performance.now() - this.lastMs >= Math.max(this.options.intervalMs, MIN_COST_INTERVAL_MS) / 2) this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.processes?.close();
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

  /** One sample: increments since the previous one. */
  sample(): CostSample {
    const sample: CostSample = this.processes?.sample() ?? { cpuSeconds: {}, residentBytes: {} };
    if (this.options.probeStats) sample.probes = this.probes();
    return sample;
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
