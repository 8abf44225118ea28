/** Wires the pipeline: bpftrace (source) -> decoder -> recorder -> exporters, plus the HTTP endpoints. */
import type { Server } from 'node:http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PROBES } from '../probes/catalogue.js';
import type { Target } from './config/load.js';
import type { AgentConfig } from './config/settings.js';
import { Decoder } from './decode/decoder.js';
import { createPullReader, Exposition } from './export/prometheus.js';
import { healthHandler } from './http/health-server.js';
import { close, listen, plainServer } from './http/listen.js';
import { metricsHandler } from './http/metrics-server.js';
import type { Logger } from './log.js';
import { Instruments } from './record/instruments.js';
import { Recorder } from './record/recorder.js';
import { Supervisor } from './source/supervisor.js';
import { VERSION } from './version.js';

/** bpftrace lines are under 1.2 KiB (two 128-byte strings at 4 characters a byte); anything far longer is not ours. */
const MAX_LINE_LENGTH = 4096;

export class Agent {
  private stopped?: Promise<void>;

  private constructor(
    private readonly provider: MeterProvider,
    readonly recorder: Recorder,
    readonly supervisor: Supervisor,
    private readonly servers: Server[],
    private readonly log: Logger,
  ) {}

  /** Starts serving, then attaches; throws (after closing what it opened) if nothing can be attached. */
  static async start(config: AgentConfig, target: Target, log: Logger): Promise<Agent> {
    log.info(`fibre-agent v${VERSION}`);
    log.info(
      `Configuration: bitcoind=${target.binary} pid=${target.pid} node=${config.nodeName} port=${config.metricsPort} health_port=${config.healthPort}`,
    );
    const reader = createPullReader();
    const provider = new MeterProvider({ readers: [reader] });
    const recorder = new Recorder(
      new Instruments(provider.getMeter('fibre-agent', VERSION)),
      {
        node: config.nodeName,
        connectTimeUnit: config.connectTimeUnit,
        peerLabelLimit: config.peerLabelLimit,
        verbose: config.verbose,
        version: VERSION,
        bitcoindPath: target.binary,
      },
      log,
    );
    const supervisor = new Supervisor(
      {
        bpftrace: config.bpftracePath,
        binary: target.binary,
        perfRbPages: config.perfBufferPages,
        maxLineLength: MAX_LINE_LENGTH,
        attachTimeoutMs: 60_000,
        pollMs: 250,
      },
      new Decoder(PROBES),
      recorder,
      log,
    );
    const exposition = new Exposition(reader);
    const servers: Server[] = [];
    const agent = new Agent(provider, recorder, supervisor, servers, log);
    try {
      servers.push(
        await listen(
          plainServer(metricsHandler(() => exposition.render(), log)),
          config.metricsAddress,
          config.metricsPort,
          '/metrics',
        ),
      );
      servers.push(
        await listen(
          plainServer(healthHandler(() => supervisor.health)),
          config.healthAddress,
          config.healthPort,
          '/health',
        ),
      );
      await supervisor.start(target.pid);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    log.info(`Prometheus metrics: http://${config.metricsAddress}:${config.metricsPort}/metrics`);
    log.info(`Health check: http://${config.healthAddress}:${config.healthPort}/health`);
    log.info('Waiting for FIBRE events...');
    return agent;
  }

  /** Detaches every probe, closes the endpoints and flushes the exporters; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.recorder.setUp(false);
      await this.supervisor.stop();
      await Promise.all(this.servers.map(close));
      await this.provider.shutdown().catch((err: Error) => this.log.warn(`metrics shutdown: ${err.message}`));
    })();
    return this.stopped;
  }
}
