/** bpftrace behind a delay, so the agent's state before attaching can be observed (or interrupted). */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A wrapper that sleeps before running bpftrace. */
export function slowBpftrace(seconds: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fibre-slow-')), 'bpftrace');
  writeFileSync(path, `#!/bin/sh\nsleep ${seconds}\nexec bpftrace "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
