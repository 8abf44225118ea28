/**
 * A real bitcoind in regtest for the tests: its own data directory, loopback ports, no network, and
 * bitcoin-cli (BITCOIN_CLI_EXE) to drive it and to ask it what it did.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './agent.js';
import { withTimeout } from './sim.js';

export class RegtestNode {
  private constructor(
    /** The P2P port (listening only with -listen=1 in `extra`). */
    readonly port: number,
    readonly child: ChildProcess,
    private readonly cliArgs: string[],
    private readonly cli: string,
    readonly datadir: string,
    readonly rpcport: number,
  ) {}

  /**
   * A new node, or (with `datadir`) the same node started again on its chain; `extra`: more options.
   * With `cookie`, RPC takes bitcoind's cookie (as a node left at its defaults does), not a password;
   * `conf` is a -conf both bitcoind and bitcoin-cli are given; `rpcport` keeps a port across restarts.
   */
  static async start(
    bitcoind: string,
    datadir = mkdtempSync(join(tmpdir(), 'fibre-regtest-')),
    extra: readonly string[] = [],
    cli = process.env.BITCOIN_CLI_EXE,
    o: { cookie?: boolean; conf?: string; rpcport?: number } = {},
  ): Promise<RegtestNode> {
    if (!cli) throw new Error('BITCOIN_CLI_EXE is not set (.ci/run sets it beside BITCOIND_EXE)');
    const rpcport = o.rpcport ?? (await freePort());
    const port = await freePort();
    const auth = [...(o.cookie ? [] : ['-rpcuser=test', '-rpcpassword=test']), ...(o.conf ? [`-conf=${o.conf}`] : [])];
    const child = spawn(
      bitcoind,
      [
        '-regtest',
        `-datadir=${datadir}`,
        `-port=${port}`,
        `-rpcport=${rpcport}`,
        '-rpcbind=127.0.0.1',
        '-rpcallowip=127.0.0.1',
        '-listen=0',
        '-dnsseed=0',
        '-fixedseeds=0',
        '-printtoconsole=0',
        ...auth,
        ...extra,
      ],
      { stdio: 'ignore' },
    );
    const node = new RegtestNode(
      port,
      child,
      ['-regtest', `-datadir=${datadir}`, `-rpcport=${rpcport}`, ...auth],
      cli,
      datadir,
      rpcport,
    );
    await withTimeout(node.rpc('-rpcwait', 'getblockcount'), 60_000, 'bitcoind did not answer RPC');
    return node;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** bitcoin-cli with these arguments; the parsed JSON answer, or the plain text. */
  rpc(...args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      execFile(this.cli, [...this.cliArgs, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`bitcoin-cli ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else {
          try {
            resolve(JSON.parse(stdout));
          } catch {
            resolve(stdout.trim());
          }
        }
      });
    });
  }

  /** Mines n blocks paying an anyone-can-spend output; returns their hashes. */
  async mine(n: number): Promise<string[]> {
    const info = (await this.rpc('getdescriptorinfo', 'raw(51)')) as { descriptor: string };
    return (await this.rpc('generatetodescriptor', String(n), info.descriptor)) as string[];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await withTimeout(exited, 60_000, 'bitcoind did not stop');
  }
}
