/** A sample of what watching costs (agent/source/cost-watch.ts) into the metric store. */
import type { CostSample } from '../source/downstream.js';
import type { MetricStore } from './store.js';

export function recordCost(store: MetricStore, sample: CostSample): void {
  for (const [process, seconds] of Object.entries(sample.cpuSeconds)) store.add('processCpu', { process }, seconds);
  for (const [process, bytes] of Object.entries(sample.residentBytes)) store.set('processResident', { process }, bytes);
  for (const [probe, { runs, seconds }] of Object.entries(sample.probes ?? {})) {
    store.add('probeRuns', { probe }, runs);
    store.add('probeRunTime', { probe }, seconds);
  }
}
