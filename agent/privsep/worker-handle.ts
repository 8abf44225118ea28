/**
 * The supervisor's end of the privilege separation: starts the metrics process as the agent's user
 * through setpriv (new uid and gid, no supplementary groups, no new privileges, and, where the
 * supervisor may, an empty bounding set), feeds it bpftrace's bytes on stdin and talks to it over IPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { AgentProcess } from '../../probes/metrics.js';
import type { Security, TlsMaterial } from '../config/security.js';
import type { AgentConfig } from '../config/settings.js';
import { LineSplitter } from '../line-splitter.js';
import type { ConsoleLogger } from '../log.js';
import type { PipelineUrls } from '../pipeline.js';
import type { RpcEndpoint } from '../rpc/endpoint.js';
import { metricsProcessCommand } from '../runtime.js';
import type { Account } from '../shared/account.js';
import { ConfigError } from '../shared/errors.js';
import type { AttachStatus, CostSample, Downstream, SourceError } from '../source/downstream.js';
import type { FromWorker, ToWorker } from './messages.js';

const STOP_WAIT_MS = 2000;
const START_WAIT_MS = 30_000;

/** The metrics process failed to start for a reason other than its configuration (exit 1). */
export class WorkerStartError extends Error {}

/** What the metrics process inherits: locale, time zone and the OpenTelemetry resource variables. */
function workerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (['PATH', 'LANG', 'LC_ALL', 'TZ'].includes(k) || k === 'OTEL_RESOURCE_ATTRIBUTES' || k === 'OTEL_SERVICE_NAME') {
      env[k] = v;
    }
  }
  return env;
}

export class WorkerHandle implements Downstream {
  onReady: (attempt: number) => void = () => {};
  onRead: () => void = () => {};
  onRpcRefused: () => void = () => {};
  onUnseen: (processes: readonly AgentProcess[]) => void = () => {};
  /** The metrics process ended without being asked to. */
  onCrash: (why: string) => void = () => {};
  private stopping = false;
  private waiters: ((m: FromWorker) => void)[] = [];
  urls: PipelineUrls = { metrics: '', health: '' };

  /** Resolves once the metrics process listens; rejects (ConfigError, WorkerStartError) if it cannot. */
  started: Promise<void> = Promise.resolve();

  private constructor(private readonly child: ChildProcess) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Starts the metrics process and returns at once: it loads while bpftrace compiles and attaches,
   * which take about as long. `started` says when it listens, or why it could not.
   */
  static spawn(
    account: Account,
    dropBounding: boolean,
    config: AgentConfig,
    security: Security,
    bitcoindPath: string,
    log: ConsoleLogger,
  ): WorkerHandle {
    const args = [
      `--reuid=${account.uid}`,
      `--regid=${account.gid}`,
      '--clear-groups',
      '--no-new-privs',
      ...(dropBounding ? ['--inh-caps=-all', '--bounding-set=-all'] : []),
      '--',
      ...metricsProcessCommand(),
    ];
    const child = spawn('setpriv', args, { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], cwd: '/', env: workerEnv() });
    const handle = new WorkerHandle(child);
    // The worker's log lines, and anything it prints if it crashes, end up in the agent's log.
    for (const stream of [child.stdout, child.stderr]) {
      const forward = new LineSplitter(
        64 * 1024,
        (l) => l && log.raw(l),
        () => log.raw('(overlong worker output)'),
      );
      stream?.on('data', (c: Buffer) => forward.push(c));
    }
    child.stdin?.on('error', () => {});
    child.on('message', (m: FromWorker) => handle.onMessage(m));
    const exited = new Promise<string>((resolve) => {
      child.on('error', (err) => resolve(`cannot start it: ${err.message}`));
      child.on('exit', (code, signal) => resolve(`it exited (${signal ?? `code ${code}`})`));
    });
    void exited.then((why) => {
      if (!handle.stopping) handle.onCrash(why);
    });
    // The secrets travel in the message, read by the supervisor: none is on a command line, and the
    // metrics process needs no access to the files.
    const secretless = {
      ...config,
      metricsAuthPassword: undefined,
      metricsAuthPasswordFile: undefined,
      rpcUrl: undefined,
      rpcPasswordFile: undefined,
    };
    handle.send({ t: 'init', config: secretless, security, bitcoindPath });
    const fatal = (message: string): FromWorker => ({ t: 'fatal', message, usage: false });
    const timeout = new Promise<FromWorker>((resolve) =>
      setTimeout(() => resolve(fatal(`no answer within ${START_WAIT_MS / 1000}s`)), START_WAIT_MS).unref(),
    );
    handle.started = Promise.race([handle.next(), exited.then(fatal), timeout]).then((first) => {
      if (first.t === 'fatal') {
        handle.stopping = true;
        child.kill('SIGKILL');
        throw first.usage
          ? new ConfigError(first.message)
          : new WorkerStartError(`the metrics process failed: ${first.message}`);
      }
      if (first.t === 'listening') handle.urls = first.urls;
    });
    return handle;
  }

  private next(): Promise<FromWorker> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'ready') {
      this.onReady(m.attempt);
      return;
    }
    if (m.t === 'read') {
      this.onRead();
      return;
    }
    if (m.t === 'unseen') {
      this.onUnseen(m.processes);
      return;
    }
    if (m.t === 'rpcRefused') {
      this.onRpcRefused();
      return;
    }
    const w = this.waiters.shift();
    w?.(m);
  }

  private send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }

  /** bpftrace writes into the metrics process's stdin itself: no event passes through this process. */
  stdout(): Writable {
    return this.child.stdin as Writable;
  }

  endStream(): void {
    this.child.stdin?.write('\n');
  }

  status(status: AttachStatus): void {
    this.send({ t: 'status', status });
  }

  error(type: SourceError): void {
    this.send({ t: 'error', type });
  }

  cost(sample: CostSample): void {
    this.send({ t: 'cost', sample });
  }

  /** The RPC credential travels in an IPC message, as the TLS key does: never on a command line. */
  rpc(endpoint: RpcEndpoint): void {
    this.send({ t: 'rpc', endpoint });
  }

  reloadTls(tls: TlsMaterial): void {
    this.send({ t: 'reload', tls });
  }

  /** Asks the worker to close its endpoints and flush; kills it if it does not exit in time. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ t: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }
}
