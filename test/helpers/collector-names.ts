/**
 * What the OpenTelemetry Collector's prometheus exporter makes of OTLP metrics with the settings in
 * otel-collector/config.yaml (add_metric_suffixes: true, resource_to_telemetry_conversion off), per
 * its documented translation: characters outside [a-zA-Z0-9_:] become `_`; a monotonic cumulative sum
 * gets `_total` unless it has it; a unit would add its suffix (our instruments have none); a
 * histogram becomes `_bucket` (cumulative, with `le`), `_sum` and `_count`; gauges keep their name.
 * job and instance come from service.name and service.instance.id, and are not compared.
 */
import type { Sample } from './exposition.js';
import type { OtlpExport } from './otlp-receiver.js';

const sanitize = (s: string) => s.replace(/[^a-zA-Z0-9_:]/g, '_');

export function collectorSamples(exp: OtlpExport): Sample[] {
  const out: Sample[] = [];
  for (const m of exp.metrics) {
    if (m.unit !== '') throw new Error(`${m.name} has unit "${m.unit}": the collector would append a suffix`);
    const name = sanitize(m.name);
    for (const p of m.points) {
      const labels = Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [sanitize(k), String(v)]));
      if (m.type === 'histogram') {
        let cumulative = 0;
        (p.bucketCounts ?? []).forEach((c, i) => {
          cumulative += c;
          const bound = p.bounds?.[i];
          out.push({
            name: `${name}_bucket`,
            labels: { ...labels, le: bound === undefined ? '+Inf' : String(bound) },
            value: cumulative,
          });
        });
        out.push({ name: `${name}_sum`, labels, value: p.sum as number });
        out.push({ name: `${name}_count`, labels, value: p.count as number });
      } else {
        const counter = m.type === 'sum' && m.monotonic && m.temporality === 2;
        out.push({
          name: counter && !name.endsWith('_total') ? `${name}_total` : name,
          labels,
          value: p.value as number,
        });
      }
    }
  }
  return out;
}

/** A comparable key: name and labels, with `le` as a number (the collector writes 1, the agent 1.0). */
export function sampleKey(s: Sample): string {
  const labels = Object.entries(s.labels)
    .filter(([k]) => k !== 'job' && k !== 'instance')
    .map(([k, v]) => [k, k === 'le' ? String(Number(v)) : v])
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return `${s.name}${JSON.stringify(labels)}`;
}
