/**
 * Type-level tests: each entry below is a wrong recording, and each must fail to compile. `npm run
 * build` type-checks this file; if one of them ever compiled, its @ts-expect-error would be unused and
 * the build (and so CI) would fail. test/unit/types.test.ts checks that each marked line fails once, with
 * the code and words given after the marker.
 */
import type { MetricStore } from '../../agent/record/store.js';
import { tracepoint } from '../../probes/catalogue.js';

export function wrongRecordings(store: MetricStore): void {
  tracepoint({
    probe: 'x:observe_on_counter',
    pack: 'fibre',
    eventType: 'x',
    args: [{ name: 'n', type: 'u32' }],
    // @ts-expect-error TS2353 `'observe' does not exist` a counter cannot observe
    updates: [{ metric: 'blocksSent', observe: 'n' }],
  });
  tracepoint({
    probe: 'x:missing_labels',
    pack: 'fibre',
    eventType: 'x',
    args: [{ name: 'peer', type: 'str' }],
    // @ts-expect-error TS2322 `Property 'labels' is missing` fibre_block_deliveries_total declares mechanism and peer
    updates: [{ metric: 'deliveries', add: 1 }],
  });
  tracepoint({
    probe: 'x:unknown_argument',
    pack: 'fibre',
    eventType: 'x',
    args: [{ name: 'n', type: 'u32' }],
    // @ts-expect-error TS2322 `Type '"m"' is not assignable to type '1 | "n"'` no argument is called m
    updates: [{ metric: 'chunksUsed', add: 'm' }],
  });
  tracepoint({
    probe: 'x:self_metric',
    pack: 'fibre',
    eventType: 'x',
    args: [],
    // @ts-expect-error TS2322 `Type '"eventsLost"' is not assignable` the agent's own metrics are not the catalogue's to record
    updates: [{ metric: 'eventsLost', add: 1 }],
  });
  // @ts-expect-error TS2345 `not assignable to parameter of type 'KeyOfKind<"histogram">'` a counter has no observe()
  store.observe('blocksSent', {}, 1);
  // @ts-expect-error TS2345 `Property 'error_type' is missing` add() without the labels the metric declares
  store.add('errors', {}, 1);
  // @ts-expect-error TS2345 `not assignable to parameter of type 'KeyOfKind<"counter">'` a histogram cannot be added to
  store.add('txPerBlock', {}, 1);
  // @ts-expect-error TS2322 `Type 'string' is not assignable to type 'never'` a label the metric does not declare
  store.set('lastHeight', { peer: 'x' }, 1);
}
