import type { Attributes } from '@opentelemetry/api';
import type { EventOf, FieldSpec, ProbeEntry } from '../../probes/catalogue.js';
import type { Logger } from '../log.js';
import type { Labels, RecordContext } from './context.js';
import type { Instruments } from './instruments.js';
import { ERROR_TYPES, type ErrorType, EVENT_TYPES, type MetricKey } from './metrics.js';
import { labelValue, logSafe, PeerLabels } from './peer-label.js';

export type ConnectTimeUnit = 'ns' | 'us';

export interface RecorderOptions {
  node: string;
  connectTimeUnit: ConnectTimeUnit;
  peerLabelLimit: number;
  verbose: boolean;
  version: string;
  bitcoindPath: string;
}

/** Turns decoded events into instrument updates, and keeps the agent's own metrics. */
export class Recorder implements RecordContext {
  private readonly nodeAttrs: Attributes;
  private readonly peers: PeerLabels;
  private readonly connectTimeDivisor: number;

  constructor(
    private readonly m: Instruments,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.nodeAttrs = { node: options.node };
    this.connectTimeDivisor = options.connectTimeUnit === 'us' ? 1e6 : 1e9;
    this.peers = new PeerLabels(options.peerLabelLimit, () => this.error('peer_label_overflow'));
    // Series start at 0 so rate() and increase() work from the first scrape, and a dashboard shows 0
    // rather than "no data" on a node that has not relayed a block yet.
    for (const key of [
      'blocksReconstructed',
      'chunksReceived',
      'chunksUsed',
      'blocksSent',
      'blocksConnected',
    ] as const) {
      this.add(key, 0);
    }
    for (const eventType of EVENT_TYPES) m.counter('eventsProcessed').add(0, { event_type: eventType });
    for (const errorType of ERROR_TYPES) m.counter('errors').add(0, { error_type: errorType });
    m.counter('eventsLost').add(0);
    m.gauge('startTime').record(Date.now() / 1000);
    m.gauge('info').record(1, {
      version: options.version,
      node_name: options.node,
      bitcoind_path: options.bitcoindPath,
    });
    this.setUp(true);
    this.setProbesAttached(0);
  }

  /** Records one decoded event through its catalogue entry. */
  record<F extends readonly FieldSpec[]>(entry: ProbeEntry<F>, event: EventOf<F>): void {
    entry.record(event, this);
    this.m.counter('eventsProcessed').add(1, { event_type: entry.eventType });
    if (this.options.verbose && entry.describe) this.log.info(entry.describe(event, this));
  }

  add(metric: MetricKey, value: number, labels?: Labels): void {
    this.m.counter(metric).add(value, labels ? { ...labels, node: this.options.node } : this.nodeAttrs);
  }

  observe(metric: MetricKey, value: number): void {
    this.m.histogram(metric).record(value, this.nodeAttrs);
  }

  setHeight(height: number): void {
    // A negative height is bitcoind's "unknown", not a block.
    if (height >= 0) this.m.gauge('lastHeight').record(height, this.nodeAttrs);
  }

  peerLabel(peer: Buffer): string {
    return this.peers.label(peer);
  }

  forLog(bytes: Buffer): string {
    return logSafe(labelValue(bytes));
  }

  connectTimeSeconds(raw: number): number {
    return raw / this.connectTimeDivisor;
  }

  outOfRange(): void {
    this.error('value_out_of_range');
  }

  error(type: ErrorType, count = 1): void {
    this.m.counter('errors').add(count, { error_type: type });
  }

  lost(count: number): void {
    this.m.counter('eventsLost').add(count);
  }

  setUp(up: boolean): void {
    this.m.gauge('up').record(up ? 1 : 0);
  }

  setProbesAttached(count: number): void {
    this.m.gauge('probesAttached').record(count);
  }

  get distinctPeers(): number {
    return this.peers.size;
  }
}
