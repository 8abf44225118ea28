/**
 * The unprivileged half of the agent wired together: the ingest loop (bpftrace's output -> decoded
 * items -> the metric store), the exporters that read the store (/metrics, /health, OTLP push), the
 * journal (journal-start.ts) and the rpc poller. Everything here handles input from outside (bpftrace
 * output, HTTP clients, the collector's answers, certificate files), which is why it runs as the
 * agent's own user, without capabilities, when the agent starts as root.
 */

import type { Server } from 'node:http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { AgentProcess } from '../probes/metrics.js';
import { rpcSelected, tracepointPacks } from '../probes/packs.js';
import type { Security, TlsMaterial } from './config/security.js';
import { type AgentConfig, journalOn } from './config/settings.js';
import { agentResource, type OtlpOptions, redactUrl } from './export/otlp.js';
import { StoreProducer } from './export/producer.js';
import { createPullReader, Exposition } from './export/prometheus.js';
import { BasicAuth } from './http/auth.js';
import { blocksHandler } from './http/blocks.js';
import { healthHandler } from './http/health-server.js';
import { addressOf, close, listen, plainServer } from './http/listen.js';
import { MetricsServer } from './http/metrics-server.js';
import { Ingest } from './ingest.js';
import type { Journal } from './journal/journal.js';
import type { SkipLog } from './journal/skipped.js';
import type { JournalStore } from './journal/store.js';
import { openJournal, startJournal } from './journal-start.js';
import type { Logger } from './log.js';
import { recordCost } from './record/cost.js';
import { NodeStateRecorder } from './record/node-state-recorder.js';
import { Recorder } from './record/recorder.js';
import { MetricStore } from './record/store.js';
import type { RpcEndpoint } from './rpc/endpoint.js';
import { RpcPoller } from './rpc/poller.js';
import { logSecurity } from './security-log.js';
import type { AttachStatus, CostSample, Downstream, SourceError } from './source/downstream.js';
import { canSee, ProcessCost } from './source/process-cost.js';
import { VERSION } from './version.js';

export interface PipelineUrls {
  metrics: string;
  health: string;
}

/** The agent's processes other than bpftrace: the supervisor, and the metrics process where it is another. */
export interface OwnPids {
  supervisor: number;
  metrics?: number;
}

export class Pipeline implements Downstream {
  private metricsServer?: MetricsServer;
  private healthServer?: Server;
  private health: AttachStatus = { attached: false, probes: 0, reason: 'starting' };
  private stopped?: Promise<void>;
  private journal?: Journal;
  private skipLog?: SkipLog;
  private rpcPoller?: RpcPoller;
  private processCost?: ProcessCost;
  private bpftracePid?: number;
  /** Processes whose /proc entries this process cannot read (hidepid): the supervisor samples those. */
  unseen: AgentProcess[] = [];
  readonly ingest: Ingest;
  /** Called when bpftrace says every probe of this attempt is attached. */
  onReady: (attempt: number) => void = () => {};
  /** Called when a read of the in-kernel maps has been applied. */
  onRead: () => void = () => {};
  /** Called when bitcoind refuses the RPC credential: the supervisor reads it again. */
  onRpcRefused: () => void = () => {};
  /** In this process (--user root) every process is seen: never called. */
  onUnseen: (processes: readonly AgentProcess[]) => void = () => {};

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
  static async start(
    config: AgentConfig,
    security: Security,
    bitcoindPath: string,
    own: OwnPids,
    log: Logger,
  ): Promise<Pipeline> {
    const store = new MetricStore(config.nodeName);
    let sampleCost = () => {};
    const producer = new StoreProducer(store, VERSION, () => sampleCost());
    const reader = createPullReader(producer);
    let countOtlpFailure = () => {};
    const otlp = otlpOptions(config);
    // The exporters are loaded only when OTLP is on (otlp-push.ts says why).
    const push = otlp
      ? (await import('./export/otlp-push.js')).createPushReader(otlp, () => countOtlpFailure(), log, producer)
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
    pipeline.watchCost(own);
    sampleCost = () => pipeline.sampleCost();
    if (rpcSelected(config.packs)) {
      const poller = new RpcPoller(config.rpcIntervalSeconds * 1000, new NodeStateRecorder(store), log);
      poller.onRefused = () => pipeline.onRpcRefused();
      pipeline.rpcPoller = poller;
    }
    const exposition = new Exposition(reader);
    const journalStore = journalOn(config) ? openJournal(config) : undefined;
    try {
      if (journalStore) await pipeline.startJournal(config, journalStore, otlp, log);
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
    if (otlp) log.info(`OTLP push: ${otlp.protocol} to ${redactUrl(otlp.endpoint)} every ${otlp.intervalSeconds}s`);
    return pipeline;
  }

  /**
   * Every process the agent runs, sampled here when a scrape or an export collects: exact at each
   * scrape, and no process wakes for it between scrapes. A supervisor this process cannot see (another
   * user's process under hidepid) is sampled there, with bpftrace, and sent over IPC.
   */
  private watchCost(own: OwnPids): void {
    const names: AgentProcess[] = ['supervisor', 'bpftrace'];
    if (own.metrics !== undefined && !canSee(own.supervisor)) this.unseen = names.splice(0);
    if (own.metrics !== undefined) names.push('metrics');
    this.processCost = new ProcessCost(() => ({ ...own, bpftrace: this.bpftracePid }), names);
  }

  private sampleCost(): void {
    if (this.processCost) recordCost(this.store, this.processCost.sample());
  }

  /** The journal fed by the ingest loop; its skipped blocks logged as the kernel counts them. */
  private async startJournal(
    config: AgentConfig,
    store: JournalStore,
    otlp: OtlpOptions | undefined,
    log: Logger,
  ): Promise<void> {
    const { journal, skipLog } = await startJournal(config, store, otlp, this.recorder, log);
    this.journal = journal;
    this.ingest.onEvent = (t, e, ns) => journal.event(t, e, ns);
    const readIntervalMs = 1000 * config.mapReadIntervalSeconds;
    this.ingest.onRead = () => {
      journal.read(readIntervalMs);
      this.onRead();
    };
    this.skipLog = skipLog;
    this.recorder.onJournalSkipped = (total) => skipLog.total(total);
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
    this.bpftracePid = status.attached ? status.bpftracePid : undefined;
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
      this.processCost?.close();
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

/** The OTLP endpoint's settings, for the metrics push and the journal's logs alike; none without an endpoint. */
function otlpOptions(config: AgentConfig): OtlpOptions | undefined {
  if (!config.otlpEndpoint) return undefined;
  return {
    endpoint: config.otlpEndpoint,
    protocol: config.otlpProtocol,
    headers: config.otlpHeaders ?? {},
    intervalSeconds: config.otlpIntervalSeconds,
    caFile: config.otlpCa,
  };
}
