/**
 * The unprivileged half of the agent set up: the ingest loop (bpftrace's output -> decoded items ->
 * the metric store) and the exporters that read the store (/metrics, /health, OTLP push). Everything here handles input
 * from outside (bpftrace output, HTTP clients, the collector's answers, certificate files), which is
 * why it runs as the agent's own user, without capabilities, when the agent starts as root.
 */

import type { Server } from 'node:http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { rpcSelected, tracepointPacks } from '../probes/packs.js';
import type { Security, TlsMaterial } from './config/security.js';
import { type AgentConfig, journalOn } from './config/settings.js';
import { agentResource, createPushReader, readCa, redactUrl } from './export/otlp.js';
import { StoreProducer } from './export/producer.js';
import { createPullReader, Exposition } from './export/prometheus.js';
import { BasicAuth } from './http/auth.js';
import { blocksHandler } from './http/blocks.js';
import { healthHandler } from './http/health-server.js';
import { close, listen, plainServer } from './http/listen.js';
import { MetricsServer } from './http/metrics-server.js';
import { Ingest } from './ingest.js';
import { Journal } from './journal/journal.js';
import { JournalLogs } from './journal/otlp-logs.js';
import { SkipLog } from './journal/skipped.js';
import { JournalStore } from './journal/store.js';
import { WEBHOOK_DEFAULTS, Webhook } from './journal/webhook.js';
import type { Logger } from './log.js';
import { recordCost } from './record/cost.js';
import { NodeStateRecorder } from './record/node-state-recorder.js';
import { Recorder } from './record/recorder.js';
import { MetricStore } from './record/store.js';
import type { RpcEndpoint } from './rpc/endpoint.js';
import { RpcPoller } from './rpc/poller.js';
import type { AttachStatus, CostSample, Downstream, SourceError } from './source/downstream.js';
import { VERSION } from './version.js';

export interface PipelineUrls {
  metrics: string;
  health: string;
}

export class Pipeline implements Downstream {
  private metricsServer?: MetricsServer;
  private healthServer?: Server;
  private health: AttachStatus = { attached: false, probes: 0, reason: 'starting' };
  private stopped?: Promise<void>;
  private journal?: Journal;
  private skipLog?: SkipLog;
  private rpcPoller?: RpcPoller;
  readonly ingest: Ingest;
  /** Called when bpftrace says every probe of this attempt is attached. */
  onReady: (attempt: number) => void = () => {};
  /** Called when a read of the in-kernel maps has been applied. */
  onRead: () => void = () => {};

  private constructor(
    private readonly provider: MeterProvider,
    private readonly store: MetricStore,
    readonly recorder: Recorder,
    private readonly log: Logger,
    config: AgentConfig,
  ) {
    this.ingest = new Ingest(recorder, log, { ...config, journal: journalOn(config) });
    this.ingest.onReady = (attempt) => this.onReady(attempt);
    this.ingest.onRead = () => this.onRead();
  }

  /** Creates the instruments and starts the endpoints; throws (after cleaning up) if one cannot start. */
  static async start(config: AgentConfig, security: Security, bitcoindPath: string, log: Logger): Promise<Pipeline> {
    const store = new MetricStore(config.nodeName);
    const producer = new StoreProducer(store, VERSION);
    const reader = createPullReader(producer);
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
          producer,
        )
      : undefined;
    // One provider for pull and push: both read the same cumulative instruments.
    const provider = new MeterProvider({
      resource: agentResource(config.nodeName, VERSION),
      readers: push ? [reader, push] : [reader],
    });
    const recorder = new Recorder(
      store,
      {
        node: config.nodeName,
        peerLabelLimit: config.peerLabelLimit,
        packs: tracepointPacks(config.packs),
        verbose: config.verbose,
        version: VERSION,
        bitcoindPath,
        aggregation: config.aggregation,
      },
      log,
    );
    countOtlpFailure = () => recorder.error('otlp_export');
    const pipeline = new Pipeline(provider, store, recorder, log, config);
    if (rpcSelected(config.packs))
      pipeline.rpcPoller = new RpcPoller(config.rpcIntervalSeconds * 1000, new NodeStateRecorder(store), log);
    const exposition = new Exposition(reader);
    const journalStore = journalOn(config) ? openJournal(config) : undefined;
    try {
      if (journalStore) pipeline.startJournal(config, journalStore, log);
      pipeline.metricsServer = await MetricsServer.start({
        host: config.metricsAddress,
        port: config.metricsPort,
        render: () => exposition.render(),
        log,
        auth: security.auth && new BasicAuth(security.auth),
        tls: security.tls,
        blocks: blocksHandler(journalStore, config.nodeName),
      });
      // /health stays plain HTTP without auth: local liveness checks (systemd, load balancers) must
      // reach it without credentials or certificates, and it says nothing but the status.
      pipeline.healthServer = await listen(
        plainServer(healthHandler(() => pipeline.health)),
        config.healthAddress,
        config.healthPort,
        '/health',
      );
    } catch (err) {
      await pipeline.stop();
      throw err;
    }
    logSecurity(config, security, log);
    if (config.otlpEndpoint) {
      log.info(
        `OTLP push: ${config.otlpProtocol} to ${redactUrl(config.otlpEndpoint)} every ${config.otlpIntervalSeconds}s`,
      );
    }
    return pipeline;
  }

  /** Events into the journal; completed records to the store, the log, the webhook and OTLP logs. */
  private startJournal(config: AgentConfig, store: JournalStore, log: Logger): void {
    const recorder = this.recorder;
    const webhook = config.alertWebhookUrl
      ? new Webhook(
          {
            url: config.alertWebhookUrl,
            shownUrl: redactUrl(config.alertWebhookUrl),
            node: config.nodeName,
            ...WEBHOOK_DEFAULTS,
          },
          (hash, attempt) => {
            try {
              store.addAlert(hash, attempt);
            } catch {
              // Closed at shutdown while an attempt was in flight: the history loses that attempt only.
            }
          },
          () => recorder.error('webhook'),
          log,
        )
      : undefined;
    const logs = config.otlpEndpoint
      ? new JournalLogs(
          {
            endpoint: config.otlpEndpoint,
            protocol: config.otlpProtocol,
            headers: config.otlpHeaders ?? {},
            intervalSeconds: config.otlpIntervalSeconds,
          },
          agentResource(config.nodeName, VERSION),
          () => recorder.error('otlp_export'),
          config.otlpCa ? readCa(config.otlpCa) : undefined,
        )
      : undefined;
    const journal = new Journal(
      {
        keep: config.journalBlocks,
        slowReconstructionMs: config.slowReconstructionMs,
        verySlowReconstructionMs: config.verySlowReconstructionMs,
        slowConnectMs: config.slowConnectMs,
      },
      {
        store,
        log,
        slow: (severity) => recorder.slowBlock(severity),
        storeFailed: () => recorder.error('journal'),
        webhook,
        logs,
      },
    );
    this.journal = journal;
    this.ingest.onEvent = (t, e) => journal.event(t, e);
    const skipLog = new SkipLog(log);
    this.skipLog = skipLog;
    recorder.onJournalSkipped = (total) => skipLog.total(total);
    log.info(`Per-block journal: ${config.journalPath} (newest ${config.journalBlocks} blocks)`);
    if (config.alertWebhookUrl) log.info(`Slow-block alerts to ${redactUrl(config.alertWebhookUrl)}`);
  }

  get urls(): PipelineUrls {
    return {
      metrics: this.metricsServer?.url ?? '',
      health: this.healthServer ? `http://${addressOf(this.healthServer)}/health` : '',
    };
  }

  /** In this process (--user root): bpftrace's stdout comes through the supervisor's handlers. */
  stdout(): 'pipe' {
    return 'pipe';
  }

  write(chunk: Buffer): void {
    this.ingest.write(chunk);
  }

  endStream(): void {
    this.ingest.endStream();
  }

  status(status: AttachStatus): void {
    this.health = status;
    this.recorder.setProbesAttached(status.probes);
    if (status.build) {
      this.recorder.setBuild(status.build);
      this.rpcPoller?.setBuild(status.build.release);
    }
    if (status.refused !== undefined) this.recorder.setProbesRefused(status.refused);
  }

  error(type: SourceError): void {
    this.recorder.error(type);
  }

  cost(sample: CostSample): void {
    recordCost(this.store, sample);
  }

  rpc(endpoint: RpcEndpoint): void {
    this.rpcPoller?.setEndpoint(endpoint);
  }

  /** SIGHUP: the certificate and key the supervisor read again; a broken pair leaves the current one serving. */
  reloadTls(material: TlsMaterial): void {
    if (!this.metricsServer?.tlsEnabled) return;
    try {
      this.metricsServer.reloadTls(material);
      this.log.info('TLS certificate and key reloaded');
    } catch (err) {
      this.log.error(`TLS reload refused, still serving the previous certificate: ${(err as Error).message}`);
    }
  }

  /** fibre_exporter_up goes to 0, the endpoints close, the push exporter gets a last moment; safe twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.recorder.setUp(false);
      this.rpcPoller?.stop();
      this.status({ attached: false, probes: 0, reason: 'shutting down' });
      await Promise.all([this.metricsServer?.close(), this.healthServer && close(this.healthServer)]);
      this.skipLog?.stop();
      await this.journal?.stop();
      // The final OTLP push gets a moment, not the whole export timeout: shutdown must stay under 5 s.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([
        this.provider.shutdown().catch((err: Error) => this.log.warn(`metrics shutdown: ${err.message}`)),
        grace,
      ]);
    })();
    return this.stopped;
  }
}

function openJournal(config: AgentConfig): JournalStore {
  try {
    return JournalStore.open(config.journalPath);
  } catch (err) {
    throw new Error(
      `cannot open the journal ${config.journalPath}: ${(err as Error).message} (the metrics process runs as uid ${process.getuid?.()}: make the directory writable by it, choose another --journal-path, or use --no-journal)`,
    );
  }
}

function addressOf(server: Server): string {
  const a = server.address();
  return a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

function logSecurity(config: AgentConfig, security: Security, log: Logger): void {
  log.info(`Metrics endpoint basic auth: ${security.auth ? 'enabled' : 'disabled'}`);
  if (!security.auth && !LOOPBACK.test(config.metricsAddress)) {
    log.warn(
      `/metrics listens on ${config.metricsAddress} without authentication: anyone who can reach port ${config.metricsPort} can read it (set --metrics-auth-username and --metrics-auth-password-file, or --metrics-address 127.0.0.1)`,
    );
  }
  if (security.tls) {
    log.info(
      `TLS enabled: cert=${security.tls.files.cert}${security.tls.files.clientCa ? ' (client certificates required)' : ''}`,
    );
  }
}
