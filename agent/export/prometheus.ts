import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The pull reader: collects on demand, serves nothing itself (our HTTP server does, with auth and TLS). */
export function createPullReader(producer: MetricProducer): PrometheusExporter {
  return new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: [producer],
  });
}

/**
 * Bucket bounds as the Python client writes them (`le="1.0"`, not `le="1"`): on Prometheus 2.x the
 * `le` value is part of the series identity, so users switching from the Python exporter keep their
 * series. The library serializer has no option for this, hence the one rewrite.
 */
export function pythonStyleLe(text: string): string {
  return text.replace(/le="(-?[0-9]+)"/g, 'le="$1.0"');
}

export class Exposition {
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, true, true);

  constructor(private readonly reader: PrometheusExporter) {}

  async render(): Promise<string> {
    const { resourceMetrics } = await this.reader.collect();
    return pythonStyleLe(this.serializer.serialize(resourceMetrics));
  }
}
