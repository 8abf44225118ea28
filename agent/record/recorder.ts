/**
 * Decoded items into the metric store: BPF map entries (map-entries.ts) or events (event-updates.ts),
 * as --aggregation says; the series that start at 0; and the agent's own metrics.
 */
import { type Formats, type Pack, selectedTracepoints, TRACEPOINTS, type Tracepoint } from '../../probes/catalogue.js';
import { ERROR_TYPES, type ErrorType, SEVERITIES, type Severity } from '../../probes/metrics.js';
import { type Aggregation, bytesLabelOf, metricMaps, sourceValue } from '../../probes/protocol.js';
import type { BuildInfo } from '../../probes/releases.js';
import type { EventFields } from '../decode/decoder.js';
import type { Logger } from '../log.js';
import { EventUpdates } from './event-updates.js';
import { MapEntries } from './map-entries.js';
import { labelValue, logSafe, PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

export interface RecorderOptions {
  node: string;
  peerLabelLimit: number;
  verbose: boolean;
  version: string;
  bitcoindPath: string;
  aggregation: Aggregation;
  /** Undefined: the default selection. */
  packs?: readonly Pack[];
}

export class Recorder {
  private readonly peers: PeerLabels;
  private readonly formats: Formats;
  private readonly maps: MapEntries;
  private readonly events: EventUpdates;
  /** fibre_journal_blocks_skipped_total's total (over every attempt), each time the kernel's count is read. */
  onJournalSkipped?: (total: number) => void;

  constructor(
    private readonly store: MetricStore,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.peers = new PeerLabels(options.peerLabelLimit, () => this.error('peer_label_overflow'));
    this.formats = {
      text: (bytes) => logSafe(labelValue(bytes)),
      label: (source, bytes) => sourceValue(source, bytes),
    };
    const kernelUpdates = options.aggregation === 'kernel' ? TRACEPOINTS.flatMap((t) => t.updates) : [];
    this.maps = new MapEntries(store, this.peers, kernelUpdates, (total) => this.onJournalSkipped?.(total));
    this.events = new EventUpdates(store, this.peers, () => this.error('value_out_of_range'));
    // Series start at 0 so rate() and increase() work from the first scrape, and a dashboard shows 0
    // rather than "no data" on a node that has not relayed a block yet.
    // Labels with one value per update too (race_uncontested's mechanism); sets of many values are
    // left to appear with their first event.
    const selected = selectedTracepoints(options.packs);
    for (const t of selected) {
      for (const u of t.updates) {
        const fixed = Object.values(u.labels ?? {}).every((l) => 'value' in l);
        if ('add' in u && fixed)
          store.get(
            u.metric,
            Object.fromEntries(Object.entries(u.labels ?? {}).map(([k, l]) => [k, (l as { value: string }).value])),
          );
      }
    }
    // Each map that can fill, at 0: its series is there before it ever fills.
    if (options.aggregation === 'kernel')
      for (const u of selected.flatMap((t) => t.updates))
        if ('add' in u && bytesLabelOf(u)) store.add('mapFull', { map: metricMaps(u.metric).values }, 0);
    for (const eventType of new Set(selected.map((t) => t.eventType)))
      store.add('eventsProcessed', { event_type: eventType }, 0);
    for (const errorType of ERROR_TYPES) store.add('errors', { error_type: errorType }, 0);
    for (const severity of SEVERITIES) store.add('slowBlocks', { severity }, 0);
    store.add('eventsLost', {}, 0);
    store.add('journalBlocksSkipped', {}, 0);
    store.set('startTime', {}, Date.now() / 1000);
    store.set('info', { version: options.version, node_name: options.node, bitcoind_path: options.bitcoindPath }, 1);
    this.setUp(true);
    this.setProbesAttached(0);
    this.setProbesRefused(0);
  }

  /** One BPF map entry, as the running bpftrace printed it. */
  mapEntry(map: string, key: string, value: number): void {
    this.maps.mapEntry(map, key, value);
  }

  /** A read of the maps begins; its entries are applied together at its end (see READ_WORD). */
  beginRead(epoch: 0 | 1): void {
    this.maps.beginRead(epoch);
  }

  endRead(): void {
    this.maps.endRead();
  }

  /** A new bpftrace attempt: its maps start from 0; what the last one counted is kept. */
  newAttempt(): void {
    this.maps.endRead();
    this.store.newAttempt();
  }

  /** One decoded event: with --aggregation events its updates and its count; the --verbose line. */
  event(t: Tracepoint, event: EventFields): void {
    if (this.options.aggregation === 'events') this.events.record(t, event);
    if (this.options.verbose && t.describe) this.log.info(t.describe(event as never, this.formats));
  }

  error(type: ErrorType, count = 1): void {
    this.store.add('errors', { error_type: type }, count);
  }

  /** A block the journal marked slow. */
  slowBlock(severity: Severity): void {
    this.store.add('slowBlocks', { severity }, 1);
  }

  lost(count: number): void {
    this.store.add('eventsLost', {}, count);
  }

  setUp(up: boolean): void {
    this.store.set('up', {}, up ? 1 : 0);
  }

  setProbesAttached(count: number): void {
    this.store.set('probesAttached', {}, count);
  }

  setProbesRefused(count: number): void {
    this.store.set('probesRefused', {}, count);
  }

  /** The release told at the last attach: one series, replacing what an earlier binary was told as. */
  setBuild(build: BuildInfo): void {
    this.store.clear('buildInfo');
    this.store.set('buildInfo', { release: build.release, semantics: build.semantics }, 1);
  }

  get distinctPeers(): number {
    return this.peers.size;
  }
}
