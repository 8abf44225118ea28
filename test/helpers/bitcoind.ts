/**
 * The real bitcoind that tests read notes from, named by BITCOIND_EXE. Outside CI a missing one skips
 * with the reason; with CI=true it fails, so CI cannot pass without ever reading a real binary.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';

export function bitcoindTest(name: string, fn: (t: TestContext, bitcoind: string) => void | Promise<void>): void {
  const exe = process.env.BITCOIND_EXE;
  const missing = !exe ? 'BITCOIND_EXE is not set' : existsSync(exe) ? undefined : `BITCOIND_EXE=${exe} does not exist`;
  if (missing && process.env.CI !== 'true') {
    test(name, { skip: `no real bitcoind: ${missing} (CI=true makes this a failure)` }, () => {});
    return;
  }
  test(name, async (t) => {
    if (missing || !exe) throw new Error(`CI=true but there is no real bitcoind: ${missing}`);
    await fn(t, exe);
  });
}

/**
 * A copy of the binary in a directory of its own: the agent finds its node as the one process of a
 * path, which another bitcoind on the machine (an operator's, another test's) must not share.
 */
export function privateCopy(bitcoind: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fibre-bitcoind-')), 'bitcoind');
  copyFileSync(bitcoind, path);
  return path;
}
