/**
 * The queries of a panel: each as a Target (its expression and how Grafana runs it), made into the
 * SDK's Prometheus queries against the stack's datasource; and the Targets every dashboard uses (a
 * counter's rate by labels, a histogram's percentiles).
 */
import type * as common from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { mean, quantile, sumRate } from './promql.js';

/** The Prometheus datasource the stack provisions (provisioning/datasources/prometheus.yml). */
export const DATASOURCE_UID = 'fibre-prometheus';
export const DS: common.DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };

export interface Target {
  expr: string;
  legend?: string;
  /** One value at the end of the range (stats and tables over the whole range). */
  instant?: boolean;
  /** Table format: labels as columns (tables); implies an instant query. */
  table?: boolean;
  /** Heatmap format: one series per bucket bound (heatmaps). */
  heatmap?: boolean;
}

/** Query ids in panel order: a merged table names query i's column `Value #` and its id. */
export const REF_IDS = 'ABCDEFGHIJ';

export function targets(list: Target[]): DataqueryBuilder[] {
  return list.map((t, i) => {
    const q = new DataqueryBuilder()
      .datasource(DS)
      .refId(REF_IDS[i] as string)
      .expr(t.expr);
    if (t.legend) q.legendFormat(t.legend);
    if (t.table) q.instant().format(PromQueryFormat.Table);
    else if (t.instant) q.instant();
    else q.range();
    if (t.heatmap) q.format(PromQueryFormat.Heatmap);
    return q;
  });
}

/** `{{node}} {{mode}}` for `by` = `node, mode`, with an optional suffix. */
export function legendOf(by: string, suffix?: string): string {
  const labels = by
    .split(',')
    .map((l) => `{{${l.trim()}}}`)
    .join(' ');
  return suffix ? `${labels} ${suffix}` : labels;
}

/** One series per `by` of a counter's rate. */
export function rateBy(by: string, metric: string, suffix?: string, matchers?: string): Target {
  return { expr: sumRate(by, metric, matchers), legend: legendOf(by, suffix) };
}

/** Percentiles of a histogram (legend `p50`, `p95`, ...), and its mean when asked. */
export function percentiles(histogram: string, qs: number[], o: { by?: string; mean?: boolean } = {}): Target[] {
  const by = o.by ?? 'node';
  const list: Target[] = qs.map((q) => ({
    expr: quantile(q, histogram, by),
    legend: legendOf(by, `p${Math.round(q * 100)}`),
  }));
  if (o.mean) list.push({ expr: mean(histogram, by), legend: legendOf(by, 'mean') });
  return list;
}
