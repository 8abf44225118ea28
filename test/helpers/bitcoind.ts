/**
 * The real bitcoinds tests run or read notes from, each named by an environment variable that .ci/run
 * sets. Outside CI a missing one skips with the reason; with CI=true it fails, so CI cannot pass
 * without ever using a real binary.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import type { Release } from '../../probes/releases.js';

export interface RealNode {
  /** The release the agent must tell it as. */
  readonly release: Release;
  readonly exeEnv: string;
  readonly cliEnv: string;
  readonly wallet: boolean;
  readonly semaphores: boolean;
}

/** v30 from the FIBRE fork's public tree (no wallet), and Bitcoin Core's v31.0 and v28.0 releases. */
export const REAL_NODES: readonly RealNode[] = [
  { release: 'v30', exeEnv: 'BITCOIND_EXE', cliEnv: 'BITCOIN_CLI_EXE', wallet: false, semaphores: true },
  { release: 'v31', exeEnv: 'BITCOIND_V31_EXE', cliEnv: 'BITCOIN_CLI_V31_EXE', wallet: true, semaphores: true },
  { release: 'v28', exeEnv: 'BITCOIND_V28_EXE', cliEnv: 'BITCOIN_CLI_V28_EXE', wallet: true, semaphores: false },
];

export interface RealBinaries {
  bitcoind: string;
  cli: string;
}

function binariesOf(node: RealNode): RealBinaries | string {
  const exe = process.env[node.exeEnv];
  const cli = process.env[node.cliEnv];
  if (!exe) return `${node.exeEnv} is not set`;
  if (!existsSync(exe)) return `${node.exeEnv}=${exe} does not exist`;
  return { bitcoind: exe, cli: cli ?? join(exe, '..', 'bitcoin-cli') };
}

/** A test of one real node (v30 by default): skipped with the reason outside CI when it is missing. */
export function realNodeTest(
  node: RealNode,
  name: string,
  fn: (t: TestContext, b: RealBinaries) => void | Promise<void>,
): void {
  const found = binariesOf(node);
  if (typeof found === 'string' && process.env.CI !== 'true') {
    test(name, { skip: `no real bitcoind ${node.release}: ${found} (CI=true makes this a failure)` }, () => {});
    return;
  }
  test(name, async (t) => {
    if (typeof found === 'string') throw new Error(`CI=true but there is no real bitcoind ${node.release}: ${found}`);
    await fn(t, found);
  });
}

export function bitcoindTest(name: string, fn: (t: TestContext, bitcoind: string) => void | Promise<void>): void {
  realNodeTest(REAL_NODES[0] as RealNode, name, (t, b) => fn(t, b.bitcoind));
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
