/**
 * Type-level tests of per-event recording (--aggregation events): the rules record through the metric
 * store's own methods (UpdateSink), so a rule that records an update into a metric of another kind
 * does not compile. Each marked line is such a swap; the text in backquotes is the compiler's reason,
 * which test/unit/types.test.ts checks it gives for that line. `npm run build` type-checks this
 * file: if a swap ever compiled, its @ts-expect-error would be unused and the build would fail.
 */
import type { MetricStore } from '../../agent/record/store.js';
import type { CountUpdate, DecrementUpdate, ObserveUpdate, SetUpdate } from '../../probes/catalogue.js';
import { type EventTerms, type UpdateLabels, WRITES } from '../../probes/update-rules.js';

export function swappedWrites(
  e: EventTerms,
  count: CountUpdate<string>,
  observe: ObserveUpdate<string>,
  set: SetUpdate<string>,
  decrement: DecrementUpdate<string>,
): void {
  // Each update recorded by its own kind compiles: the errors below are the kinds, nothing else.
  e.sink.add(count.metric, e.labels(count), 1);
  e.sink.observe(observe.metric, e.labels(observe), 1);
  e.sink.set(set.metric, e.labels(set), 1);
  e.sink.decrement(decrement.metric, e.labels(decrement), 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"histogram">'` a counter's update observed: its metric is no histogram
  e.sink.observe(count.metric, e.labels(count), 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"counter">'` a histogram's update added to: its metric is no counter
  e.sink.add(observe.metric, e.labels(observe), 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"counter">'` a gauge's value added: its metric is no counter
  e.sink.add(set.metric, e.labels(set), 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"gauge">'` a counter's update set: its metric is no gauge
  e.sink.set(count.metric, e.labels(count), 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"gauge">'` a histogram's update lowered: its metric is no gauge
  e.sink.decrement(observe.metric, e.labels(observe), 1);
}

/** The rule table with add's and decrement's event renderings swapped for other kinds' writes. */
export const swappedRules: typeof WRITES = {
  ...WRITES,
  add: {
    ...WRITES.add,
    // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"histogram">'` the add rule observing: a counter's metric is no histogram
    event: (update, e) => e.sink.observe(update.metric, e.labels(update), 1),
  },
  decrement: {
    ...WRITES.decrement,
    // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"counter">'` the decrement rule adding: a gauge's metric is no counter
    event: (update, e) => e.sink.add(update.metric, e.labels(update), 1),
  },
};

/** The store itself, which the recorder hands the rules as their sink, refuses the same swaps. */
export function swappedOnStore(
  store: MetricStore,
  count: CountUpdate<string>,
  labels: UpdateLabels<typeof count>,
): void {
  store.add(count.metric, labels, 1);
  // @ts-expect-error TS2345 `is not assignable to parameter of type 'KeyOfKind<"histogram">'` a counter's update observed in the store
  store.observe(count.metric, labels, 1);
}
