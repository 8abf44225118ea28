/**
 * The agent as a whole: the privileged source (bpftrace, supervised) feeding the unprivileged pipeline
 * (decode, record, export), either in a separate process as --user or, with --user root, in this one.
 */

import { rpcSelected, tracepointPacks } from '../probes/packs.js';
import { checkSecurity, readTls, type Security, securityOf } from './config/security.js';
import { type AgentConfig, journalOn } from './config/settings.js';
import { checkJournalWritable, checkThresholds, prepareJournalDir } from './journal/setup.js';
import type { ConsoleLogger } from './log.js';
import type { Pipeline } from './pipeline.js';
import { checkPrivileges } from './privileges.js';
import { WorkerHandle } from './privsep/worker-handle.js';
import { checkRpcSettings, RpcAccess } from './rpc/access.js';
import { BpfStats } from './source/bpf-stats.js';
import { CostWatch } from './source/cost-watch.js';
import { Supervisor } from './source/supervisor.js';
import { checkBinary, findTarget } from './source/target.js';
import { VERSION } from './version.js';

type MetricsSide = Pipeline | WorkerHandle;

export class Agent {
  private stopped?: Promise<void>;

  private constructor(
    readonly side: MetricsSide,
    readonly supervisor: Supervisor,
    private readonly security: Security,
    private readonly log: ConsoleLogger,
    private readonly cost: CostWatch,
    private readonly bpfStats?: BpfStats,
    private readonly rpcAccess?: RpcAccess,
  ) {}

  /**
   * Checks everything in the order a user fixes it (settings, then privileges, then the files they
   * name, then the process), starts the metrics side, then attaches, waiting for bitcoind if none runs
   * yet; throws (after closing what it opened) if any of it fails.
   */
  static async start(
    config: AgentConfig,
    log: ConsoleLogger,
    onCrash: (why: string) => void,
    onCreated: (agent: Agent) => void = () => {},
  ): Promise<Agent> {
    log.info(`fibre-agent v${VERSION}`);
    const binary = checkBinary(config);
    checkSecurity(config);
    checkThresholds(config);
    checkRpcSettings(config);
    // Before any search for bitcoind: an agent started without sudo would otherwise wait forever.
    const privileges = checkPrivileges(config.user, log);
    // Read here, as root, so the password file, TLS key and certificate may be root's alone (or systemd
    // credentials); the metrics process gets their contents over IPC, never on a command line.
    const security = securityOf(config);
    // As root, before the metrics process starts: it runs as --user and must be able to write there.
    if (journalOn(config)) {
      prepareJournalDir(config.journalPath, privileges.account);
      checkJournalWritable(config.journalPath, privileges.account);
    }
    const pid = findTarget(binary, config.pid);
    log.info(
      `Configuration: bitcoind=${binary} pid=${pid ?? '(not running yet)'} node=${config.nodeName} port=${config.metricsPort} health_port=${config.healthPort}`,
    );
    let side: MetricsSide;
    if (privileges.account) {
      const worker = WorkerHandle.spawn(
        privileges.account,
        privileges.dropWorkerBounding,
        config,
        security,
        binary,
        log,
      );
      worker.onCrash = (why) => onCrash(`the metrics process (user ${privileges.account?.name}) stopped: ${why}`);
      log.info(`Metrics side runs as ${privileges.account.name} (uid ${privileges.account.uid}), pid ${worker.pid}`);
      side = worker;
    } else {
      // Loaded only here: the supervisor of a separated agent never loads the decoding and recording code.
      const { Pipeline } = await import('./pipeline.js');
      side = await Pipeline.start(config, security, binary, { supervisor: process.pid }, log);
    }
    const supervisor = new Supervisor(
      {
        bpftrace: config.bpftracePath,
        binary,
        perfRbPages: config.perfBufferPages,
        attachTimeoutMs: 60_000,
        pollMs: 250,
        boundTo: privileges.bpftraceBoundTo,
        aggregation: config.aggregation,
        verbose: config.verbose,
        connectTimeUnit: config.connectTimeUnit,
        readIntervalMs: Math.round(config.mapReadIntervalSeconds * 1000),
        peerLabelLimit: config.peerLabelLimit,
        packs: tracepointPacks(config.packs),
        journal: journalOn(config),
      },
      side,
      log,
    );
    side.onReady = (attempt) => supervisor.ready(attempt);
    const bpfStats = config.probeStats ? enableBpfStats(log) : undefined;
    // The metrics side samples what the processes cost; this watch only what it cannot see.
    const cost = new CostWatch(
      {
        // Only root's processes: the metrics process always sees itself.
        pids: () => ({ supervisor: process.pid, bpftrace: supervisor.bpftracePid }),
        attached: () => supervisor.attached(),
      },
      (sample) => side.cost(sample),
      log,
      { intervalMs: config.mapReadIntervalSeconds * 1000, probeStats: bpfStats !== undefined },
    );
    side.onRead = () => cost.busy();
    side.onUnseen = (names) => {
      log.info(`/proc hides ${names.join(' and ')} from the metrics process: the supervisor samples their cost`);
      cost.watch(names);
    };
    cost.start();
    const rpcAccess = rpcSelected(config.packs)
      ? new RpcAccess(config, (e) => side.rpc(e), log, config.rpcIntervalSeconds * 1000)
      : undefined;
    if (rpcAccess) {
      supervisor.onTarget = (target) => rpcAccess.follow(target);
      side.onRpcRefused = () => rpcAccess.lookAgain();
    }
    const agent = new Agent(side, supervisor, security, log, cost, bpfStats, rpcAccess);
    // From here a signal can stop the agent, even while it waits for bitcoind or for bpftrace to attach.
    onCreated(agent);
    // With bitcoind running, bpftrace compiles and attaches while the metrics process loads: start-up
    // takes the longer of the two, not their sum; a metrics process that cannot start (its
    // configuration) stops both before anything is reported attached. Without it, the metrics process
    // comes first, so a configuration error is said before the agent settles down to wait.
    const started = side instanceof WorkerHandle ? side.started : Promise.resolve();
    const attaching = pid === undefined ? started.then(() => supervisor.start(pid)) : supervisor.start(pid);
    attaching.catch(() => {});
    try {
      await started;
      log.info(`Prometheus metrics: ${side.urls.metrics}`);
      log.info(`Health check: ${side.urls.health}`);
      await attaching;
    } catch (err) {
      await agent.stop();
      throw err;
    }
    log.info('Waiting for events...');
    return agent;
  }

  /** SIGHUP: the files are read again here, as root; a file that cannot be read keeps the current pair. */
  reloadTls(): void {
    if (!this.security.tls) {
      this.log.info('SIGHUP received: no TLS configured, nothing to reload');
      return;
    }
    try {
      this.side.reloadTls(readTls(this.security.tls.files));
    } catch (err) {
      this.log.error(`TLS reload refused, still serving the previous certificate: ${(err as Error).message}`);
    }
  }

  /** Detaches every probe, then closes the endpoints and flushes the exporters; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.rpcAccess?.stop();
      await this.supervisor.stop();
      this.cost.stop();
      // Once no program of ours runs: the statistics are the whole host's.
      this.bpfStats?.restore();
      await this.side.stop();
    })();
    return this.stopped;
  }
}

/** --probe-stats without the kernel's consent (a read-only /proc/sys in a container): said, and the rest runs. */
function enableBpfStats(log: ConsoleLogger): BpfStats | undefined {
  try {
    return BpfStats.enable();
  } catch (err) {
    log.warn(`${(err as Error).message}; probe run counts are not reported`);
    return undefined;
  }
}
