/** bpftrace behind a delay, so the agent's state before attaching can be observed (or interrupted). */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A wrapper that sleeps before running bpftrace; with `listAtOnce`, probe listing (-l) is not delayed. */
export function slowBpftrace(seconds: number, listAtOnce = false): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fibre-slow-')), 'bpftrace');
  const list = listAtOnce ? 'case "$1" in -l) exec bpftrace "$@";; esac\n' : '';
  writeFileSync(path, `#!/bin/sh\n${list}sleep ${seconds}\nexec bpftrace "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
