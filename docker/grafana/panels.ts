/**
 * What every fibre-agent dashboard shares: the datasource, the `node` variable, PromQL helpers and the
 * panel shapes (time series, stat, table, heatmap). One module per dashboard builds its rows from these;
 * docker/grafana/dashboard.ts lists the dashboards and writes their JSON.
 *
 * Conventions: every series of the agent carries `node` except its own `fibre_exporter_*` series,
 * which are joined to `fibre_exporter_info` (which has `node_name`) on the scrape's instance and job,
 * so `$node` filters them too. Rates use `$__rate_interval`, totals over the range `$__range`; block
 * panels have a 10 minute minimum interval, since blocks come about every ten minutes and a shorter
 * window is mostly empty.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { METRICS } from '../../probes/metrics.js';
import type { AgentPack } from '../../probes/packs.js';

export const DATASOURCE_UID = 'fibre-prometheus';
/** The tag every dashboard of the agent has: their links menu lists the dashboards with it. */
export const AGENT_TAG = 'fibre-agent';

const DS: common.DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };
/** Minimum query interval of panels that show per-block events. */
export const BLOCK_INTERVAL = '10m';

/** Metric names by catalogue key. */
export const M = Object.fromEntries(Object.entries(METRICS).map(([k, def]) => [k, def.name])) as {
  [K in keyof typeof METRICS]: (typeof METRICS)[K]['name'];
};

// ---- PromQL helpers ------------------------------------------------------------------------------

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

// ---- Targets -------------------------------------------------------------------------------------

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

const REF_IDS = 'ABCDEFGHIJ';

function targets(list: Target[]): DataqueryBuilder[] {
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

// ---- Panels --------------------------------------------------------------------------------------

let nextId = 1;

/** The calls every panel builder of the SDK has. */
interface PanelStart {
  id(id: number): this;
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: common.DataSourceRef): this;
  targets(targets: DataqueryBuilder[]): this;
  span(w: number): this;
  height(h: number): this;
}

/** A panel with the next id, its title, description, datasource, queries and size. */
function start<P extends PanelStart>(
  panel: P,
  title: string,
  description: string,
  list: Target[],
  size: [number, number],
): P {
  return panel
    .id(nextId++)
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets(list))
    .span(size[0])
    .height(size[1]);
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['mean', 'max', 'lastNotNull']);
}

export interface SeriesOptions {
  unit: string;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  stacked?: boolean;
  /** Minimum interval: set on panels of per-block events. */
  interval?: string;
  axisLabel?: string;
}

export function series(title: string, description: string, list: Target[], o: SeriesOptions): timeseries.PanelBuilder {
  const p = start(new timeseries.PanelBuilder(), title, description, list, [o.width ?? 12, o.height ?? 8])
    .unit(o.unit)
    .lineWidth(1)
    .fillOpacity(o.stacked ? 30 : 10)
    .showPoints(common.VisibilityMode.Auto)
    .spanNulls(false)
    .legend(legend())
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.interval) p.interval(o.interval);
  if (o.axisLabel) p.axisLabel(o.axisLabel);
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return p;
}

function thresholds(steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

export interface StatOptions {
  unit: string;
  width?: number;
  decimals?: number;
  steps?: [number | null, string][];
  mappings?: dashboard.ValueMapping[];
  noValue?: string;
}

export function single(title: string, description: string, list: Target[], o: StatOptions): stat.PanelBuilder {
  const p = start(new stat.PanelBuilder(), title, description, list, [o.width ?? 4, 5])
    .unit(o.unit)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholds(o.steps ?? [[null, 'text']]));
  if (o.decimals !== undefined) p.decimals(o.decimals);
  if (o.mappings) p.mappings(o.mappings);
  if (o.noValue) p.noValue(o.noValue);
  return p;
}

/** A stat of a counter's increase over the selected range, per node (a count, by default). */
export function rangeTotal(title: string, description: string, metric: string, o: Partial<StatOptions> = {}) {
  return single(title, description, [{ expr: sumRange('node', metric), legend: '{{node}}', instant: true }], {
    unit: 'none',
    decimals: 0,
    ...o,
  });
}

/** A stat of a histogram's median over the selected range, per node. */
export function rangeMedian(title: string, description: string, histogram: string, o: StatOptions, matchers?: string) {
  const buckets = `increase(${sel(`${histogram}_bucket`, matchers)}[$__range])`;
  return single(
    title,
    description,
    [{ expr: `histogram_quantile(0.5, sum by (node, le) (${buckets}))`, legend: '{{node}}', instant: true }],
    o,
  );
}

export interface TableOptions {
  /** Label columns to show, by label name, with their titles. */
  labels: Record<string, string>;
  /** Columns dropped from the merged frame. */
  exclude?: string[];
  height?: number;
  decimals?: number;
  /** Column to sort by, descending. */
  sortBy?: string;
  /** Field config per column title. */
  overrides?: Record<string, dashboard.DynamicConfigValue[]>;
}

/**
 * A table of instant queries merged on their labels: each query is one column (its title given with
 * it), each label in `labels` one more.
 */
export function mergedTable(
  title: string,
  description: string,
  columns: { expr: string; title?: string }[],
  o: TableOptions,
): table.PanelBuilder {
  const names: Record<string, string> = { ...o.labels };
  columns.forEach((c, i) => {
    if (c.title) names[`Value #${REF_IDS[i]}`] = c.title;
  });
  const list = columns.map((c) => ({ expr: c.expr, table: true }));
  const p = start(new table.PanelBuilder(), title, description, list, [24, o.height ?? 10])
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: Object.fromEntries(['Time', ...(o.exclude ?? [])].map((n) => [n, true])),
        renameByName: names,
      },
    });
  if (o.decimals !== undefined) p.decimals(o.decimals);
  for (const [name, props] of Object.entries(o.overrides ?? {})) p.overrideByName(name, props);
  if (o.sortBy) p.sortBy([new common.TableSortByFieldStateBuilder().displayName(o.sortBy).desc(true)]);
  return p;
}

/** A heatmap of a histogram's buckets (all selected nodes together), counted per rate interval. */
export function bucketHeatmap(title: string, description: string, histogram: string, unit: string) {
  const buckets = `sum by (le) (increase(${sel(`${histogram}_bucket`)}[${RATE}]))`;
  return start(
    new heatmap.PanelBuilder(),
    title,
    description,
    [{ expr: buckets, legend: '{{le}}', heatmap: true }],
    [12, 8],
  )
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(unit))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64),
    )
    .cellGap(1)
    .showValue(common.VisibilityMode.Never)
    .tooltip(new heatmap.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true))
    .showLegend();
}

/** A row of a dashboard: its panels are made when the dashboard is built, after the row's own id. */
export interface Row {
  title: string;
  panels: () => cog.Builder<dashboard.Panel>[];
}

// ---- Dashboards ----------------------------------------------------------------------------------

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** The pack whose metrics it shows (the FIBRE dashboard: `fibre`). */
  pack: AgentPack;
  /** Where the generated JSON lives, relative to the repository root. */
  path: string;
  tags: string[];
  /** The metric whose `node` values the variable offers: one every node running the pack has. */
  nodeMetric: string;
  rows: Row[];
}

function nodeVariable(metric: string): dashboard.QueryVariableBuilder {
  const query = `label_values(${metric}, node)`;
  return new dashboard.QueryVariableBuilder('node')
    .label('Node')
    .description('Value of the node label (fibre-agent --node-name)')
    .datasource(DS)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Builds a dashboard model (a plain JSON-serialisable object); panel ids count from 1 in each. */
export function buildFrom(spec: DashboardSpec): dashboard.Dashboard {
  nextId = 1;
  const b = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([...spec.tags, AGENT_TAG])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .links([
      new dashboard.DashboardLinkBuilder('fibre-agent dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([AGENT_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link'),
    ])
    .withVariable(nodeVariable(spec.nodeMetric));
  for (const r of spec.rows) {
    b.withRow(new dashboard.RowBuilder(r.title).id(nextId++));
    for (const p of r.panels()) b.withPanel(p);
  }
  const model = b.build();
  // Grafana expects an annotation list; none is needed here (and a built-in one would reference another datasource).
  model.annotations = { list: [] };
  return model;
}
