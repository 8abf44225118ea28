/**
 * Tests that need real eBPF (root, bpftrace, a C compiler with sys/sdt.h). Outside CI they skip with
 * the reason; with CI=true a missing piece fails them, so CI can never pass by skipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import test, { type TestContext } from 'node:test';

let cached: string | undefined | null = null;

export function ebpfUnavailable(): string | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  if (process.geteuid?.() !== 0) cached = 'needs root (bpftrace attaches uprobes)';
  else if (spawnSync('bpftrace', ['--version']).error) cached = 'bpftrace is not installed (apt-get install bpftrace)';
  else if (spawnSync('gcc', ['--version']).error) cached = 'gcc is not installed';
  else if (
    ![
      '/usr/include/sys/sdt.h',
      '/usr/include/x86_64-linux-gnu/sys/sdt.h',
      '/usr/include/aarch64-linux-gnu/sys/sdt.h',
    ].some(existsSync)
  ) {
    cached = 'sys/sdt.h is missing (apt-get install systemtap-sdt-dev)';
  }
  return cached;
}

/** `tools` are further commands the test runs, each checked with --version like bpftrace. */
export function ebpfTest(
  name: string,
  fn: (t: TestContext) => Promise<void>,
  timeoutMs = 120_000,
  tools: readonly string[] = [],
): void {
  const absent = tools.find((tool) => spawnSync(tool, ['--version']).error);
  const missing = ebpfUnavailable() ?? (absent && `${absent} is not installed`);
  if (missing && process.env.CI !== 'true') {
    test(name, { skip: `eBPF unavailable: ${missing}` }, () => {});
    return;
  }
  test(name, { timeout: timeoutMs }, async (t) => {
    if (missing) throw new Error(`CI=true but eBPF is unavailable: ${missing}`);
    await fn(t);
  });
}

/**
 * How many times the kernel has logged that it could not remove a uprobe (it then leaves the
 * breakpoint and the semaphore in the traced process until that process exits). Compare before and
 * after a stop: tests run one file at a time, so a new line is this test's.
 */
export function uprobeLeaks(): number {
  const r = spawnSync('dmesg', [], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dmesg failed: ${r.stderr || r.error}`);
  return r.stdout.split('\n').filter((l) => l.includes('failed to unregister, leaking uprobe')).length;
}
