/**
 * bpftrace's timer slack. bpftrace 0.17 waits on its perf buffers with a fixed 100 ms timeout, only to
 * look whether its -p target still runs: an idle node woke it ten times a second, 1.5 to 1.9 ms/s on
 * this project's machine, several times the rest of the agent. The kernel's timer slack lets such a
 * timeout fire anywhere from its due time to the slack later, at once when the CPU wakes for something
 * else anyway. Events and reads are not timeouts (the perf buffer wakes bpftrace, a signal
 * interrupts its wait), so they come as promptly as before; only bitcoind's exit is noticed up to the
 * slack later.
 *
 * A process may set its own slack without any capability (another's needs CAP_SYS_NICE, which the
 * service unit does not grant), and a child inherits it across fork and exec: the supervisor takes the
 * slack for the moment it spawns bpftrace, then goes back to its own.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * bpftrace's 100 ms timeout then fires at most this much later: every second on an idle CPU, so
 * bitcoind's exit is noticed within a second, and bpftrace's last drain of its buffers as it exits
 * (which ends on the same timeout) takes up to a second more. Measured on this machine, the whole
 * agent idle: 0.77 to 1.18 ms/s in four runs with 0.9 s, 0.90 and 0.91 ms/s with 1.9 s, 1.8 to 2.3
 * ms/s with the default 50 us. 1.9 s doubled those delays: a stop took 3.9 s instead of 3.0 (2.2
 * before), and CI, whose tests each stop an agent, 1,143 s instead of 995, near its 20-minute limit.
 */
export const BPFTRACE_TIMER_SLACK_NS = 900_000_000;

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
