import type { Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import { METRICS, type MetricKey, otelName } from './metrics.js';

type Instrument = Counter | Histogram | Gauge;

/** One OpenTelemetry instrument per entry of the metric catalogue. */
export class Instruments {
  private readonly byKey = new Map<MetricKey, Instrument>();

  constructor(meter: Meter) {
    for (const [key, def] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
      const name = otelName(def);
      const options = { description: def.help };
      if (def.kind === 'counter') this.byKey.set(key, meter.createCounter(name, options));
      else if (def.kind === 'gauge') this.byKey.set(key, meter.createGauge(name, options));
      else {
        const buckets = 'buckets' in def ? [...def.buckets] : undefined;
        this.byKey.set(key, meter.createHistogram(name, { ...options, advice: { explicitBucketBoundaries: buckets } }));
      }
    }
  }

  counter(key: MetricKey): Counter {
    return this.byKey.get(key) as Counter;
  }

  histogram(key: MetricKey): Histogram {
    return this.byKey.get(key) as Histogram;
  }

  gauge(key: MetricKey): Gauge {
    return this.byKey.get(key) as Gauge;
  }
}
