/**
 * One decoded event's updates applied in the agent (--aggregation events), by the rules the generated
 * probe bodies follow (probes/update-rules.ts), on the numbers of the event's line; and the event
 * counted.
 */
import type { ArgType, LabelSource, Tracepoint, Update } from '../../probes/catalogue.js';
import { labelOrder, sourceValue } from '../../probes/protocol.js';
import { applyToEvent, type EventTerms, type UpdateLabels } from '../../probes/update-rules.js';
import type { EventFields } from '../decode/decoder.js';
import type { PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

export class EventUpdates {
  constructor(
    private readonly store: MetricStore,
    private readonly peers: PeerLabels,
    private readonly outOfRange: () => void,
  ) {}

  /** Every update of the event's tracepoint, and the event counted. */
  record(t: Tracepoint, event: EventFields): void {
    const terms: EventTerms = {
      num: (name) => event[name] as number,
      typeOf: (name) => t.args.find((a) => a.name === name)?.type as ArgType,
      labels: (update) => this.labels(update, event),
      sink: this.store,
      outOfRange: this.outOfRange,
    };
    for (const update of t.updates) applyToEvent(update, terms);
    this.store.add('eventsProcessed', { event_type: t.eventType }, 1);
  }

  private label(source: LabelSource<string>, event: EventFields): string {
    if ('peer' in source) return this.peers.label(event[source.arg] as Buffer);
    return sourceValue(source, 'arg' in source ? event[source.arg] : undefined);
  }

  private labels<U extends Update>(update: U, event: EventFields): UpdateLabels<U> {
    const labels: Record<string, string> = {};
    const sources = (update.labels ?? {}) as Record<string, LabelSource<string>>;
    for (const name of labelOrder(update)) labels[name] = this.label(sources[name] as LabelSource<string>, event);
    // labelOrder names every label the metric declares but node, and the catalogue's types made each
    // update give a source for all of them: these are the metric's labels, as the store wants them.
    return labels as UpdateLabels<U>;
  }
}
