/**
 * PromQL for the dashboards: selectors, rates, totals over the range, quantiles and shares of the agent's
 * metrics, as strings.
 *
 * Conventions: every series of the agent carries `node` except its own `fibre_exporter_*` series,
 * which are joined to `fibre_exporter_info` (which has `node_name`) on the scrape's instance and job,
 * so `$node` filters them too. Rates use `$__rate_interval`, totals over the range `$__range`.
 */
import { METRICS } from '../../probes/metrics.js';

/** Metric names by catalogue key. */
export const M = Object.fromEntries(Object.entries(METRICS).map(([k, def]) => [k, def.name])) as {
  [K in keyof typeof METRICS]: (typeof METRICS)[K]['name'];
};

const NODE = 'node=~"$node"';
export const RATE = '$__rate_interval';

export function sel(metric: string, matchers?: string): string {
  return `${metric}{${NODE}${matchers ? `,${matchers}` : ''}}`;
}

export function rate(metric: string, matchers?: string): string {
  return `rate(${sel(metric, matchers)}[${RATE}])`;
}

export function sumRate(by: string, metric: string, matchers?: string): string {
  return `sum by (${by}) (${rate(metric, matchers)})`;
}

/** Increase over the dashboard's time range, summed by `by`. */
export function sumRange(by: string, metric: string, matchers?: string): string {
  return `sum by (${by}) (increase(${sel(metric, matchers)}[$__range]))`;
}

/** Latest value of a gauge per `by`. */
export function gauge(by: string, metric: string, matchers?: string): string {
  return `sum by (${by}) (${sel(metric, matchers)})`;
}

export function quantile(q: number, histogram: string, by = 'node'): string {
  return `histogram_quantile(${q}, sum by (${by}, le) (${rate(`${histogram}_bucket`)}))`;
}

export function mean(histogram: string, by = 'node'): string {
  return `${sumRate(by, `${histogram}_sum`)} / ${sumRate(by, `${histogram}_count`)}`;
}

/** The agent's own series have no `node`: take `node_name` from fibre_exporter_info, filtered by $node. */
export function withNodeName(expr: string): string {
  return `${expr} * on(instance, job) group_left(node_name) ${M.info}{node_name=~"$node"}`;
}

export function agentRate(by: string, metric: string): string {
  return `sum by (${by}) (${withNodeName(`rate(${metric}[${RATE}])`)})`;
}

/** part / whole, 0 (not absent) where `part` has no series but `whole` has. */
export function share(part: string, whole: string): string {
  return `(${part} or 0 * ${whole}) / ${whole}`;
}

/** Share of deliveries won by `mechanism` among those matching `among`, 0 (not absent) when it won none. */
export function winShare(by: string, range: string, mechanism: string, among?: string): string {
  const inc = (m?: string) => `sum by (${by}) (increase(${sel(M.deliveries, m)}[${range}]))`;
  return share(inc(`mechanism="${mechanism}"`), inc(among));
}
