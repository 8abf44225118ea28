/** Wires the pipeline: bpftrace (source) -> decoder -> recorder -> exporters, plus the HTTP endpoints. */
import type { Server } from 'node:http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PROBES } from '../probes/catalogue.js';
import type { Target } from './config/load.js';
import type { Security } from './config/security.js';
import type { AgentConfig } from './config/settings.js';
import { Decoder } from './decode/decoder.js';
import { agentResource, createPushReader, redactUrl } from './export/otlp.js';
import { createPullReader, Exposition } from './export/prometheus.js';
import { BasicAuth } from './http/auth.js';
import { healthHandler } from './http/health-server.js';
import { close, listen, plainServer } from './http/listen.js';
import { MetricsServer } from './http/metrics-server.js';
import type { Logger } from './log.js';
import { Instruments } from './record/instruments.js';
import { Recorder } from './record/recorder.js';
import { Supervisor } from './source/supervisor.js';
import { VERSION } from './version.js';

/** bpftrace lines are under 1.2 KiB (two 128-byte strings at 4 characters a byte); anything far longer is not ours. */
const MAX_LINE_LENGTH = 4096;

export class Agent {
  private stopped?: Promise<void>;

  private metricsServer?: MetricsServer;
  private healthServer?: Server;

  private constructor(
    private readonly provider: MeterProvider,
    readonly recorder: Recorder,
    readonly supervisor: Supervisor,
    private readonly log: Logger,
  ) {}

  /** Starts serving, then attaches; throws (after closing what it opened) if nothing can be attached. */
  static async start(config: AgentConfig, target: Target, security: Security, log: Logger): Promise<Agent> {
    log.info(`fibre-agent v${VERSION}`);
    log.info(
      `Configuration: bitcoind=${target.binary} pid=${target.pid} node=${config.nodeName} port=${config.metricsPort} health_port=${config.healthPort}`,
    );
    const reader = createPullReader();
    let countOtlpFailure = () => {};
    const push = config.otlpEndpoint
      ? createPushReader(
          {
            endpoint: config.otlpEndpoint,
            protocol: config.otlpProtocol,
            headers: config.otlpHeaders ?? {},
            intervalSeconds: config.otlpIntervalSeconds,
            caFile: config.otlpCa,
          },
          () => countOtlpFailure(),
          log,
        )
      : undefined;
    // One provider for pull and push: both read the same cumulative instruments.
    const provider = new MeterProvider({
      resource: agentResource(config.nodeName, VERSION),
      readers: push ? [reader, push] : [reader],
    });
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
    countOtlpFailure = () => recorder.error('otlp_export');
    if (push) {
      log.info(
        `OTLP push: ${config.otlpProtocol} to ${redactUrl(config.otlpEndpoint as string)} every ${config.otlpIntervalSeconds}s`,
      );
    }
    const exposition = new Exposition(reader);
    const agent = new Agent(provider, recorder, supervisor, log);
    try {
      agent.metricsServer = await MetricsServer.start({
        host: config.metricsAddress,
        port: config.metricsPort,
        render: () => exposition.render(),
        log,
        auth: security.auth && new BasicAuth(security.auth),
        tls: security.tls,
      });
      // /health stays plain HTTP without auth: local liveness checks (systemd, load balancers) must
      // reach it without credentials or certificates, and it says nothing but the status.
      agent.healthServer = await listen(
        plainServer(healthHandler(() => supervisor.health)),
        config.healthAddress,
        config.healthPort,
        '/health',
      );
      logSecurity(config, security, log);
      await supervisor.start(target.pid);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    log.info(`Prometheus metrics: ${agent.metricsServer.url}`);
    log.info(`Health check: http://${config.healthAddress}:${config.healthPort}/health`);
    log.info('Waiting for FIBRE events...');
    return agent;
  }

  /** SIGHUP: new certificate and key from the same paths; a broken pair leaves the current one serving. */
  reloadTls(): void {
    if (!this.metricsServer?.tlsEnabled) {
      this.log.info('SIGHUP received: no TLS configured, nothing to reload');
      return;
    }
    try {
      this.metricsServer?.reloadTls();
      this.log.info('TLS certificate and key reloaded');
    } catch (err) {
      this.log.error(`TLS reload refused, still serving the previous certificate: ${(err as Error).message}`);
    }
  }

  /** Detaches every probe, closes the endpoints and flushes the exporters; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.recorder.setUp(false);
      await this.supervisor.stop();
      await Promise.all([this.metricsServer?.close(), this.healthServer && close(this.healthServer)]);
      // The final OTLP push gets a moment, not the whole export timeout: shutdown must stay under 5 s.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1500).unref());
      await Promise.race([
        this.provider.shutdown().catch((err: Error) => this.log.warn(`metrics shutdown: ${err.message}`)),
        grace,
      ]);
    })();
    return this.stopped;
  }
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

function logSecurity(config: AgentConfig, security: Security, log: Logger): void {
  log.info(`Metrics endpoint basic auth: ${security.auth ? 'enabled' : 'disabled'}`);
  if (!security.auth && !LOOPBACK.test(config.metricsAddress)) {
    log.warn(
      `/metrics listens on ${config.metricsAddress} without authentication: anyone who can reach port ${config.metricsPort} can read it (set --metrics-auth-username and --metrics-auth-password-file, or --metrics-address 127.0.0.1)`,
    );
  }
  if (security.tls)
    log.info(`TLS enabled: cert=${security.tls.cert}${security.tls.clientCa ? ' (client certificates required)' : ''}`);
}
