/**
 * A real bitcoind in regtest for the benchmarks: its own data directory, loopback ports, no network,
 * its cookie for RPC (as a node left at its defaults has), and asked through the agent's own RPC
 * client, so a benchmark needs no bitcoin-cli and measures the client the agent ships.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batch, type RpcCredential } from '../agent/rpc/client.js';
import { freePort, sleep } from './harness.js';

/** How long bitcoind may take to start answering RPC, or to stop. */
const PATIENCE_MS = 60_000;

export class RegtestBitcoind {
  private constructor(
    private readonly child: ChildProcess,
    private readonly datadir: string,
    /** The P2P port (listening only with -listen=1 among the options). */
    readonly port: number,
    private readonly rpcport: number,
  ) {}

  /** A new node on a fresh chain; `options` come last, so they override the defaults here. */
  static async start(bitcoind: string, options: readonly string[] = []): Promise<RegtestBitcoind> {
    const datadir = mkdtempSync(join(tmpdir(), 'fibre-bench-regtest-'));
    const [port, rpcport] = [await freePort(), await freePort()];
    const defaults = ['-listen=0', '-dnsseed=0', '-fixedseeds=0', '-printtoconsole=0'];
    const where = [`-datadir=${datadir}`, `-port=${port}`, `-rpcport=${rpcport}`];
    const rpc = ['-rpcbind=127.0.0.1', '-rpcallowip=127.0.0.1'];
    const child = spawn(bitcoind, ['-regtest', ...where, ...rpc, ...defaults, ...options], { stdio: 'ignore' });
    const node = new RegtestBitcoind(child, datadir, port, rpcport);
    await node.answering();
    return node;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** The cookie bitcoind wrote at start-up, as the agent would read it. */
  credential(): RpcCredential {
    const [username, password] = readFileSync(join(this.datadir, 'regtest', '.cookie'), 'utf8')
      .trim()
      .split(':');
    return { url: `http://127.0.0.1:${this.rpcport}/`, username: username ?? '', password: password ?? '' };
  }

  async call(method: string, ...params: unknown[]): Promise<unknown> {
    const [result] = await batch(this.credential(), [{ method, params }], PATIENCE_MS);
    return result;
  }

  /** Mines n blocks paying an anyone-can-spend output. */
  async mine(n: number): Promise<void> {
    const { descriptor } = (await this.call('getdescriptorinfo', 'raw(51)')) as { descriptor: string };
    await this.call('generatetodescriptor', n, descriptor);
  }

  /** Stops bitcoind and removes its chain. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, sleep(PATIENCE_MS)]);
    }
    rmSync(this.datadir, { recursive: true, force: true });
  }

  /** Until the cookie exists and RPC answers (not refused, not warming up). */
  private async answering(): Promise<void> {
    const until = Date.now() + PATIENCE_MS;
    for (;;) {
      try {
        await this.call('getblockcount');
        return;
      } catch (err) {
        if (this.child.exitCode !== null) throw new Error(`bitcoind exited (${this.child.exitCode}) while starting`);
        if (Date.now() > until) throw new Error(`bitcoind did not answer RPC: ${(err as Error).message}`);
        await sleep(100);
      }
    }
  }
}
