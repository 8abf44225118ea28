/**
 * The panel shapes every fibre-agent dashboard shares: time series, stat, table and heatmap, each with
 * its queries (queries.ts), size and the options the dashboards set. Panel ids count up from 1 in each
 * dashboard (model.ts restarts them).
 *
 * Block panels have a 10 minute minimum interval, since blocks come about every ten minutes and a
 * shorter window is mostly empty.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import type { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { RATE, sel, sumRange } from './promql.js';
import { DS, REF_IDS, type Target, targets } from './queries.js';

/** Minimum query interval of panels that show per-block events. */
export const BLOCK_INTERVAL = '10m';

let nextId = 1;

/** The next id of the dashboard being built: its panels and rows share one sequence. */
export function panelId(): number {
  return nextId++;
}

/** A new dashboard: its ids count from 1 again. */
export function restartPanelIds(): void {
  nextId = 1;
}

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
    .id(panelId())
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
