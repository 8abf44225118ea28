/**
 * The metric store as OpenTelemetry data, for every reader (the Prometheus pull and the OTLP push):
 * cumulative sums, gauges and explicit-bucket histograms built from the store's counts, in the
 * catalogue's order. The store, not an SDK instrument, aggregates, because most counts come from
 * BPF maps that already hold the totals, and a histogram's buckets cannot be recorded into an SDK
 * instrument without the values behind them.
 */

import type { HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { METRICS, type MetricKey, otelName } from '../../probes/metrics.js';
import type { MetricStore } from '../record/store.js';

export class StoreProducer implements MetricProducer {
  private readonly start: HrTime = millisToHrTime(Date.now());

  /** `beforeCollect` brings what is sampled rather than counted (what watching costs) up to now. */
  constructor(
    private readonly store: MetricStore,
    private readonly version: string,
    private readonly beforeCollect: () => void = () => {},
  ) {}

  async collect(): Promise<CollectionResult> {
    this.beforeCollect();
    const now = millisToHrTime(Date.now());
    const metrics: MetricData[] = [];
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const m = this.metric(key, now);
      if (m) metrics.push(m);
    }
    return {
      // The reader keeps the SDK's resource; this one is never used.
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: 'fibre-agent', version: this.version }, metrics }],
      },
      errors: [],
    };
  }

  private metric(key: MetricKey, endTime: HrTime): MetricData | undefined {
    const def = METRICS[key];
    const descriptor = { name: otelName(def), description: def.help, unit: '', valueType: ValueType.DOUBLE };
    const series = [...this.store.shown(key)];
    if (series.length === 0) return undefined;
    const point = <T>(attributes: Record<string, string>, value: T): DataPoint<T> => ({
      attributes,
      startTime: this.start,
      endTime,
      value,
    });
    if (def.kind === 'histogram') {
      const boundaries = [...(def.buckets ?? [])];
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: series.map((s) => {
          const v = this.store.values(s);
          const counts = v.slice(0, boundaries.length + 1);
          const histogram: Histogram = {
            buckets: { boundaries, counts },
            sum: v[boundaries.length + 1] as number,
            count: counts.reduce((a, b) => a + b, 0),
          };
          return point(s.labels, histogram);
        }),
      };
    }
    const dataPoints = series.map((s) => point(s.labels, this.store.values(s)[0] as number));
    if (def.kind === 'gauge') {
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints,
      };
    }
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
}
