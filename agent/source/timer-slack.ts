/**
 * bpftrace's timer slack. bpftrace 0.17 waits on its perf buffers with a fixed 100 ms timeout, only to
 * look whether its -p target still runs: an idle node woke it ten times a second, 1.5 to 1.9 ms/s on
 * this project's machine, several times the rest of the agent. The kernel's timer slack lets such a
 * timeout fire anywhere from its due time to the slack later, at once when the CPU wakes for something
 * else anyway. Events and reads are not timeouts (the perf buffer wakes bpftrace, a signal
 * interrupts its wait), so they come as promptly as before. Two things wait on the timeout: bitcoind's
 * exit, noticed up to the slack later, and bpftrace's last drain of its buffers as it exits, which the
 * supervisor spares the slack by giving bpftrace the kernel's default back just before it asks it to
 * stop (lowerTimerSlack).
 *
 * A process may set its own slack without any capability, and a child inherits it across fork and
 * exec: the supervisor takes the slack for the moment it spawns bpftrace, then goes back to its own.
 * Setting another process's slack needs CAP_SYS_NICE: without it a stop waits the slack once more.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * bpftrace's 100 ms timeout then fires at most this much later: every two seconds on an idle CPU, so
 * bitcoind's exit is noticed within two seconds. Measured on this machine, the whole agent idle: 0.90
 * and 0.91 ms/s with 1.9 s, 0.77 to 1.18 ms/s in four runs with 0.9 s, 1.8 to 2.3 ms/s with the
 * default 50 us. Until the supervisor gave the default back before a stop, each stop waited the slack
 * once more (3.9 s instead of 2.2 with 1.9 s, and CI 1,143 s instead of 995).
 */
export const BPFTRACE_TIMER_SLACK_NS = 1_900_000_000;

/** The kernel's default slack (50 us), which a process has unless it or its parent asked otherwise. */
export const DEFAULT_TIMER_SLACK_NS = 50_000;

const OWN = '/proc/self/timerslack_ns';

/**
 * Runs `spawn` (which must fork synchronously, as child_process.spawn does) with this process's timer
 * slack at `ns`, so the child starts with it; this process's own slack is restored before returning.
 * Where the kernel has no such file (before Linux 4.6) or refuses it, `spawn` runs as it would have;
 * `trouble` hears what went wrong, in words for the log.
 */
export function spawnWithTimerSlack<T>(ns: number, spawn: () => T, trouble: (line: string) => void): T {
  let before: string;
  try {
    before = readFileSync(OWN, 'utf8').trim();
    // /proc/self is the main thread's task, and this write runs on it: the task that forks.
    writeFileSync(OWN, String(ns));
  } catch (e) {
    trouble(`bpftrace keeps the default timer slack (${(e as Error).message}): idle, it wakes ten times a second`);
    return spawn();
  }
  try {
    return spawn();
  } finally {
    try {
      writeFileSync(OWN, before);
    } catch (e) {
      trouble(`the supervisor's timer slack stays ${ns} ns, not ${before} (${(e as Error).message})`);
    }
  }
}

/**
 * Sets process `pid`'s timer slack to the kernel's default. A timer already armed keeps the slack it
 * was armed with; the next one has the new. Throws what the kernel said (EPERM without CAP_SYS_NICE).
 */
export function lowerTimerSlack(pid: number): void {
  writeFileSync(`/proc/${pid}/timerslack_ns`, String(DEFAULT_TIMER_SLACK_NS));
}
