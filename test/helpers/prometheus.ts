/** A real Prometheus (Debian's) on a free loopback port, with a config the test writes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from './agent.js';

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export class Prometheus {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
    private log: string[],
  ) {}

  /** Starts Prometheus with this YAML config (written to its own temp dir, which `dir` names). */
  static async start(config: (dir: string) => string): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'fibre-prom-'));
    const port = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), config(dir));
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
    const prom = new Prometheus(child, port, dir, log);
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/-/ready`);
      if (res.status !== 200) throw new Error(`not ready: ${res.status}`);
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${log.join('')}`);
    });
    return prom;
  }

  get output(): string {
    return this.log.join('');
  }

  async query(expr: string, time?: number): Promise<PromResult[]> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const res = await fetch(`http://127.0.0.1:${this.port}/api/v1/query?${params}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data?.result ?? [];
  }

  /** Scrape targets with their health and last error, as /api/v1/targets reports them. */
  async targets(): Promise<
    { scrapePool: string; health: string; lastError: string; labels: Record<string, string> }[]
  > {
    const res = await fetch(`http://127.0.0.1:${this.port}/api/v1/targets`);
    const body = (await res.json()) as {
      data: {
        activeTargets: { scrapePool: string; health: string; lastError: string; labels: Record<string, string> }[];
      };
    };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
