/**
 * The agent as a whole: the privileged source (bpftrace, supervised) feeding the unprivileged pipeline
 * (decode, record, export), either in a separate process as --user or, with --user root, in this one.
 */
import type { Target } from './config/load.js';
import { securityOf } from './config/security.js';
import type { AgentConfig } from './config/settings.js';
import type { ConsoleLogger } from './log.js';
import { Pipeline } from './pipeline.js';
import { checkPrivileges } from './privileges.js';
import { WorkerHandle } from './privsep/worker-handle.js';
import { Supervisor } from './source/supervisor.js';
import { VERSION } from './version.js';

type MetricsSide = Pipeline | WorkerHandle;

export class Agent {
  private stopped?: Promise<void>;

  private constructor(
    readonly side: MetricsSide,
    readonly supervisor: Supervisor,
  ) {}

  /** Starts the metrics side, then attaches; throws (after closing what it opened) if either fails. */
  static async start(
    config: AgentConfig,
    target: Target,
    log: ConsoleLogger,
    onCrash: (why: string) => void,
    onCreated: (agent: Agent) => void = () => {},
  ): Promise<Agent> {
    log.info(`fibre-agent v${VERSION}`);
    log.info(
      `Configuration: bitcoind=${target.binary} pid=${target.pid} node=${config.nodeName} port=${config.metricsPort} health_port=${config.healthPort}`,
    );
    const privileges = checkPrivileges(config.user, log);
    let side: MetricsSide;
    if (privileges.account) {
      // The password file is read here, as root, so it may also be a systemd credential (readable by
      // root only); the metrics process gets the password over IPC, never on a command line.
      const password = securityOf(config).auth?.password;
      const workerConfig = { ...config, metricsAuthPassword: password, metricsAuthPasswordFile: undefined };
      const worker = await WorkerHandle.start(
        privileges.account,
        privileges.dropWorkerBounding,
        workerConfig,
        target.binary,
        log,
      );
      worker.onCrash = (why) => onCrash(`the metrics process (user ${privileges.account?.name}) stopped: ${why}`);
      log.info(`Metrics side runs as ${privileges.account.name} (uid ${privileges.account.uid}), pid ${worker.pid}`);
      side = worker;
    } else {
      side = await Pipeline.start(config, securityOf(config), target.binary, log);
    }
    const supervisor = new Supervisor(
      {
        bpftrace: config.bpftracePath,
        binary: target.binary,
        perfRbPages: config.perfBufferPages,
        attachTimeoutMs: 60_000,
        pollMs: 250,
        boundTo: privileges.bpftraceBoundTo,
      },
      side,
      log,
    );
    side.onReady = () => supervisor.ready();
    const agent = new Agent(side, supervisor);
    // From here a signal can stop the agent, even while it waits for bpftrace to attach.
    onCreated(agent);
    try {
      await supervisor.start(target.pid);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    log.info(`Prometheus metrics: ${side.urls.metrics}`);
    log.info(`Health check: ${side.urls.health}`);
    log.info('Waiting for FIBRE events...');
    return agent;
  }

  reloadTls(): void {
    this.side.reloadTls();
  }

  /** Detaches every probe, then closes the endpoints and flushes the exporters; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.supervisor.stop();
      await this.side.stop();
    })();
    return this.stopped;
  }
}
