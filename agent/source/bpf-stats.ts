/**
 * The kernel's BPF run statistics (sysctl kernel.bpf_stats_enabled), on for --probe-stats: without
 * them every program's run_cnt and run_time_ns stay 0. The setting is the whole host's, so the agent
 * remembers what it found and puts it back when it stops.
 *
 * The sysctl rather than the BPF_ENABLE_STATS command (statistics held on by a file descriptor, off
 * again when its holder dies, even by SIGKILL): that command needs a bpf() system call, which Node.js
 * cannot make without a native addon, and bpftrace does not make it. The price: a SIGKILLed agent
 * leaves the statistics on (docs/performance.md says how to turn them off).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const BPF_STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

export class BpfStatsError extends Error {}

export class BpfStats {
  private constructor(
    private readonly previous: string,
    private readonly path: string,
  ) {}

  /** Turns the statistics on; throws BpfStatsError, saying why, when the kernel does not let us. */
  static enable(path = BPF_STATS_SYSCTL): BpfStats {
    try {
      const previous = readFileSync(path, 'utf8').trim();
      if (previous !== '1') writeFileSync(path, '1\n');
      return new BpfStats(previous, path);
    } catch (err) {
      throw new BpfStatsError(
        `--probe-stats: cannot turn on the kernel's BPF statistics (${path}): ${(err as Error).message}`,
      );
    }
  }

  /** Puts back what enable() found; safe to call twice. */
  restore(): void {
    if (this.previous === '1') return;
    try {
      writeFileSync(this.path, `${this.previous}\n`);
    } catch {
      // The agent is stopping; nothing better can be done than what docs/performance.md says.
    }
  }
}
