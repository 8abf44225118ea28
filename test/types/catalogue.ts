/**
 * Type-level tests: each entry below is a wrong recording, and each must fail to compile. `npm run
 * build` type-checks this file; if one of them ever compiled, its @ts-expect-error would be unused and
 * the build (and so CI) would fail. test/unit/types.test.ts checks that the errors are the intended ones.
 */
import type { MetricStore } from '../../agent/record/store.js';
import { tracepoint } from '../../probes/catalogue.js';

export function wrongRecordings(store: MetricStore): void {
  tracepoint({
    probe: 'x:observe_on_counter',
    eventType: 'x',
    args: [{ name: 'n', type: 'u32' }],
    // @ts-expect-error a counter cannot observe
    updates: [{ metric: 'blocksSent', observe: 'n' }],
  });
  tracepoint({
    probe: 'x:missing_labels',
    eventType: 'x',
    args: [{ name: 'peer', type: 'str' }],
    // @ts-expect-error fibre_block_deliveries_total declares mechanism and peer
    updates: [{ metric: 'deliveries', add: 1 }],
  });
  tracepoint({
    probe: 'x:unknown_argument',
    eventType: 'x',
    args: [{ name: 'n', type: 'u32' }],
    // @ts-expect-error no argument is called m
    updates: [{ metric: 'chunksUsed', add: 'm' }],
  });
  tracepoint({
    probe: 'x:self_metric',
    eventType: 'x',
    args: [],
    // @ts-expect-error the agent's own metrics are not the catalogue's to record
    updates: [{ metric: 'eventsLost', add: 1 }],
  });
  // @ts-expect-error a counter has no observe()
  store.observe('blocksSent', {}, 1);
  // @ts-expect-error add() without the labels the metric declares
  store.add('errors', {}, 1);
  // @ts-expect-error a histogram cannot be added to
  store.add('txPerBlock', {}, 1);
  // @ts-expect-error a label the metric does not declare
  store.set('lastHeight', { peer: 'x' }, 1);
}
