/**
 * One decoded event's updates applied in the agent (--aggregation events): the same arithmetic as the
 * generated probe body, on the numbers of the event's line; and the event counted.
 */
import type { Comparison, LabelSource, Tracepoint, Update } from '../../probes/catalogue.js';
import type { MetricKey } from '../../probes/metrics.js';
import {
  divisorOf,
  labelOrder,
  observedArgs,
  RATIO_NUMERATOR_MAX,
  RATIO_SCALE,
  sourceValue,
} from '../../probes/protocol.js';
import type { EventFields } from '../decode/decoder.js';
import type { PeerLabels } from './peer-label.js';
import type { MetricStore } from './store.js';

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

export class EventUpdates {
  constructor(
    private readonly store: MetricStore,
    private readonly peers: PeerLabels,
    private readonly outOfRange: () => void,
  ) {}

  /** Every update of the event's tracepoint, and the event counted. */
  record(t: Tracepoint, event: EventFields): void {
    for (const update of t.updates) this.apply(update, event);
    this.store.add('eventsProcessed', { event_type: t.eventType }, 1);
  }

  private label(source: LabelSource<string>, event: EventFields): string {
    if ('peer' in source) return this.peers.label(event[source.arg] as Buffer);
    return sourceValue(source, 'arg' in source ? event[source.arg] : undefined);
  }

  /** The same arithmetic as the generated probe body, on one event. */
  private apply(update: Update, event: EventFields): void {
    const num = (name: string) => event[name] as number;
    for (const [a, op, b] of update.when ?? []) {
      if (!COMPARE[op](num(a), typeof b === 'number' ? b : num(b))) return;
    }
    const labels: Record<string, string> = {};
    const sources = (update.labels ?? {}) as Record<string, LabelSource<string>>;
    for (const name of labelOrder(update)) labels[name] = this.label(sources[name] as LabelSource<string>, event);
    // The catalogue's types made sure each update names a metric of its kind with all its labels.
    const store = this.store as unknown as Record<
      'add' | 'observe' | 'set' | 'decrement',
      (m: MetricKey, l: object, v: number, sum?: number) => void
    >;
    if ('add' in update) {
      store.add.call(this.store, update.metric, labels, update.add === 1 ? 1 : num(update.add));
      return;
    }
    if ('decrement' in update) {
      store.decrement.call(this.store, update.metric, labels, 1);
      return;
    }
    const observed = 'observe' in update ? update.observe : update.set;
    const [first, second] = observedArgs(observed).map(num) as [number, number];
    const ratio = typeof observed === 'object' && 'ratio' in observed;
    if (ratio && (second < 1 || first > RATIO_NUMERATOR_MAX)) {
      this.outOfRange();
      return;
    }
    const value = typeof observed === 'string' ? first : ratio ? first / second : first - second;
    // As the kernel program decides: 2^63 or more (an unsigned 8-byte argument) counts as negative.
    if ((value < 0 || value >= 2 ** 63) && update.negative) {
      if (update.negative === 'out_of_range') this.outOfRange();
      return;
    }
    if ('set' in update) {
      store.set.call(this.store, update.metric, labels, value);
      return;
    }
    if (update.zero === 'skip' && value === 0) return;
    if (ratio) {
      // Summed as the kernel sums it: in whole millionths.
      store.observe.call(
        this.store,
        update.metric,
        labels,
        value,
        Math.floor((first * RATIO_SCALE) / second) / RATIO_SCALE,
      );
      return;
    }
    store.observe.call(this.store, update.metric, labels, value / divisorOf(update));
  }
}
