/**
 * CPU seconds and resident memory of the agent's processes, as increments since the previous sample,
 * so the store only adds, and a restarted bpftrace (a new PID) carries on from where the last one was
 * last read. The metrics process samples them when a scrape or an OTLP export collects (sampling on a
 * timer or with each read woke a process that had nothing else to do; see docs/performance.md); the
 * supervisor samples only what /proc hides from the metrics process.
 */
import { AGENT_PROCESSES, type AgentProcess } from '../../probes/metrics.js';
import type { CostSample } from './downstream.js';
import { ProcessStatsReader } from './process-stats.js';

export type AgentPids = Partial<Record<AgentProcess, number>>;
export type ProcessSample = Pick<CostSample, 'cpuSeconds' | 'residentBytes'>;

export class ProcessCost {
  private readonly cpu = new Map<AgentProcess, { pid: number; seconds: number }>();
  private readonly readers = new Map<AgentProcess, ProcessStatsReader>();

  /** `pids` says each process's PID now (one not running is left out); `names` are the ones sampled here. */
  constructor(
    private readonly pids: () => AgentPids,
    readonly names: readonly AgentProcess[] = AGENT_PROCESSES,
  ) {}

  /** Increments since the previous sample: everything since its start for a process seen first. */
  sample(): ProcessSample {
    const sample: ProcessSample = { cpuSeconds: {}, residentBytes: {} };
    const pids = this.pids();
    for (const name of this.names) {
      const pid = pids[name];
      const stats = pid === undefined ? undefined : this.readerOf(name, pid).read();
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
    return sample;
  }

  close(): void {
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }

  /** The reader of a process's stat file, a new one when the process is another. */
  private readerOf(name: AgentProcess, pid: number): ProcessStatsReader {
    let reader = this.readers.get(name);
    if (reader?.pid !== pid) {
      reader?.close();
      reader = new ProcessStatsReader(pid);
      this.readers.set(name, reader);
    }
    return reader;
  }
}

/** Whether this process may read another's stat file: not where /proc hides other users' processes (hidepid). */
export function canSee(pid: number): boolean {
  const reader = new ProcessStatsReader(pid);
  try {
    return reader.read() !== undefined;
  } finally {
    reader.close();
  }
}
