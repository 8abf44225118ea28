/**
 * The "FIBRE Block Relay" Grafana dashboard, built with the Grafana Foundation SDK from the agent's
 * metric catalogue. `npm run dashboard` rebuilds and writes docker/grafana/dashboards/fibre-block-relay.json
 * (committed, provisioned by the stack); a test fails when the committed file and this code disagree.
 *
 * Conventions: every series of the agent carries `node` except its own `fibre_exporter_*` series,
 * which are joined to `fibre_exporter_info` (which has `node_name`) on the scrape's instance and job,
 * so `$node` filters them too. Rates use `$__rate_interval`; block panels have a 10 minute minimum
 * interval, since blocks come about every ten minutes and a shorter window is mostly empty.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { METRICS } from '../../probes/metrics.js';

export const DASHBOARD_UID = 'fibre-block-relay';
export const DASHBOARD_TITLE = 'FIBRE Block Relay';
export const DATASOURCE_UID = 'fibre-prometheus';
/** Where the generated JSON lives in the source tree (relative to the repository root). */
export const DASHBOARD_PATH = 'docker/grafana/dashboards/fibre-block-relay.json';

const DS: common.DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };
/** Minimum query interval of panels that show per-block events. */
const BLOCK_INTERVAL = '10m';

const M = Object.fromEntries(Object.entries(METRICS).map(([k, def]) => [k, def.name])) as {
  [K in keyof typeof METRICS]: (typeof METRICS)[K]['name'];
};

// ---- PromQL helpers ------------------------------------------------------------------------------

const NODE = 'node=~"$node"';
const RATE = '$__rate_interval';

function sel(metric: string, matchers?: string): string {
  return `${metric}{${NODE}${matchers ? `,${matchers}` : ''}}`;
}

function rate(metric: string, matchers?: string): string {
  return `rate(${sel(metric, matchers)}[${RATE}])`;
}

function sumRate(by: string, metric: string, matchers?: string): string {
  return `sum by (${by}) (${rate(metric, matchers)})`;
}

function quantile(q: number, histogram: string): string {
  return `histogram_quantile(${q}, sum by (node, le) (${rate(`${histogram}_bucket`)}))`;
}

function mean(histogram: string): string {
  return `${sumRate('node', `${histogram}_sum`)} / ${sumRate('node', `${histogram}_count`)}`;
}

/** The agent's own series have no `node`: take `node_name` from fibre_exporter_info, filtered by $node. */
function withNodeName(expr: string): string {
  return `${expr} * on(instance, job) group_left(node_name) ${M.info}{node_name=~"$node"}`;
}

function agentRate(by: string, metric: string): string {
  return `sum by (${by}) (${withNodeName(`rate(${metric}[${RATE}])`)})`;
}

/** Share of deliveries won by `mechanism` among those matching `among`, 0 (not absent) when it won none. */
function winShare(by: string, range: string, mechanism: string, among?: string): string {
  const inc = (m?: string) => `sum by (${by}) (increase(${sel(M.deliveries, m)}[${range}]))`;
  const total = inc(among);
  return `(${inc(`mechanism="${mechanism}"`)} or 0 * ${total}) / ${total}`;
}

// ---- Panel helpers -------------------------------------------------------------------------------

interface Target {
  expr: string;
  legend?: string;
  /** One value at the end of the range (stats and tables over the whole range). */
  instant?: boolean;
  /** Table format: labels as columns (tables); implies an instant query. */
  table?: boolean;
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
    return q;
  });
}

let nextId = 1;

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['mean', 'max', 'lastNotNull']);
}

interface SeriesOptions {
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

function series(title: string, description: string, list: Target[], o: SeriesOptions): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .id(nextId++)
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets(list))
    .unit(o.unit)
    .span(o.width ?? 12)
    .height(o.height ?? 8)
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

interface StatOptions {
  unit: string;
  width?: number;
  decimals?: number;
  steps?: [number | null, string][];
  mappings?: dashboard.ValueMapping[];
  noValue?: string;
}

function single(title: string, description: string, list: Target[], o: StatOptions): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .id(nextId++)
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets(list))
    .unit(o.unit)
    .span(o.width ?? 4)
    .height(5)
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

function rename(names: Record<string, string>, exclude: string[]): dashboard.DataTransformerConfig {
  return {
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries(exclude.map((n) => [n, true])),
      renameByName: names,
    },
  };
}

const MERGE: dashboard.DataTransformerConfig = { id: 'merge', options: {} };

// ---- The dashboard -------------------------------------------------------------------------------

function nodeVariable(): dashboard.QueryVariableBuilder {
  const query = `label_values(${M.blocksConnected}, node)`;
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

function overviewRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('Overview').id(nextId++));
  b.withPanel(
    single(
      'Chain height',
      'Height of the block most recently seen by a probe, and of the last one FIBRE rebuilt, per node.',
      [
        { expr: `max by (node) (${sel(M.lastHeight)})`, legend: '{{node}}' },
        { expr: `max by (node) (${sel(M.lastReconstructedHeight)})`, legend: '{{node}} rebuilt over FIBRE' },
      ],
      { unit: 'none', decimals: 0 },
    ),
  );
  b.withPanel(
    single(
      'Blocks connected',
      'Blocks connected to the active chain over the selected time range.',
      [{ expr: `sum by (node) (increase(${sel(M.blocksConnected)}[$__range]))`, legend: '{{node}}', instant: true }],
      { unit: 'none', decimals: 0 },
    ),
  );
  b.withPanel(
    single(
      'FIBRE win rate',
      'Over the selected range: share of the blocks delivered by FIBRE/UDP or compact blocks that FIBRE delivered first.',
      [
        {
          expr: winShare('node', '$__range', 'fibre_udp', 'mechanism=~"fibre_udp|bip152_cmpct"'),
          legend: '{{node}}',
          instant: true,
        },
      ],
      {
        unit: 'percentunit',
        decimals: 1,
        steps: [
          [null, 'red'],
          [0.5, 'orange'],
          [0.8, 'green'],
        ],
      },
    ),
  );
  b.withPanel(
    single(
      'Agent up',
      'fibre_exporter_up: 1 while the agent runs, 0 while it shuts down; no data when it is not scraped.',
      [{ expr: withNodeName(M.up), legend: '{{node_name}}' }],
      {
        unit: 'none',
        noValue: 'down',
        steps: [
          [null, 'red'],
          [1, 'green'],
        ],
        mappings: [
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: 'stopping', color: 'red' }, '1': { text: 'up', color: 'green' } },
          },
        ],
      },
    ),
  );
  b.withPanel(
    single(
      'Probes attached',
      'USDT probes attached to bitcoind. 0 means the agent sees no events.',
      [{ expr: withNodeName(M.probesAttached), legend: '{{node_name}}' }],
      {
        unit: 'none',
        decimals: 0,
        noValue: 'no data',
        steps: [
          [null, 'red'],
          [1, 'green'],
        ],
      },
    ),
  );
  b.withPanel(
    single(
      'Agent uptime',
      'Time since the agent started (fibre_exporter_start_time_seconds).',
      [{ expr: `time() - (${withNodeName(M.startTime)})`, legend: '{{node_name}}' }],
      { unit: 's' },
    ),
  );
}

function relayRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('FIBRE relay').id(nextId++));
  b.withPanel(
    series(
      'Blocks connected, reconstructed and sent',
      'Per second: blocks connected to the chain, blocks rebuilt from FIBRE/UDP chunks, blocks this node started sending over FIBRE/UDP.',
      [
        { expr: sumRate('node', M.blocksConnected), legend: '{{node}} connected' },
        { expr: sumRate('node', M.blocksReconstructed), legend: '{{node}} reconstructed' },
        { expr: sumRate('node', M.blocksSent), legend: '{{node}} sent' },
      ],
      { unit: 'ops', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
  );
  b.withPanel(
    series(
      'Block reconstruction time',
      'Seconds FIBRE spent rebuilding a block from UDP chunks: percentiles and mean.',
      [
        { expr: quantile(0.5, M.reconstructionDuration), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.reconstructionDuration), legend: '{{node}} p95' },
        { expr: quantile(0.99, M.reconstructionDuration), legend: '{{node}} p99' },
        { expr: mean(M.reconstructionDuration), legend: '{{node}} mean' },
      ],
      { unit: 's', min: 0, interval: BLOCK_INTERVAL },
    ),
  );
  b.withPanel(
    series(
      'Chunk throughput',
      'FIBRE chunks received for reconstructed blocks, and those the reconstructions used, per second.',
      [
        { expr: sumRate('node', M.chunksReceived), legend: '{{node}} received' },
        { expr: sumRate('node', M.chunksUsed), legend: '{{node}} used' },
      ],
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'chunks/s' },
    ),
  );
  b.withPanel(
    series(
      'Chunk efficiency (used / received)',
      'Share of the received FIBRE chunks that reconstructions needed. Low values mean redundant chunks (FEC overhead or duplicates).',
      [
        {
          expr: `${sumRate('node', M.chunksUsed)} / ${sumRate('node', M.chunksReceived)}`,
          legend: '{{node}}',
        },
      ],
      { unit: 'percentunit', width: 8, min: 0, max: 1, interval: BLOCK_INTERVAL },
    ),
  );
  b.withPanel(
    series(
      'Chunks used per block',
      'FIBRE chunks one block reconstruction consumed: median, p95 and mean.',
      [
        { expr: quantile(0.5, M.chunksUsedPerBlock), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.chunksUsedPerBlock), legend: '{{node}} p95' },
        { expr: mean(M.chunksUsedPerBlock), legend: '{{node}} mean' },
      ],
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'chunks' },
    ),
  );
}

function deliveryRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('Block delivery').id(nextId++));
  b.withPanel(
    series(
      'Deliveries by mechanism',
      'Blocks by the mechanism that delivered them first (fibre_udp, bip152_cmpct, other), per second.',
      [{ expr: sumRate('node, mechanism', M.deliveries), legend: '{{node}} {{mechanism}}' }],
      { unit: 'ops', min: 0, stacked: true, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
  );
  b.withPanel(
    series(
      'FIBRE race win rate',
      'Share of blocks FIBRE/UDP delivered first: against compact blocks (BIP152) alone, and among all deliveries.',
      [
        {
          expr: winShare('node', RATE, 'fibre_udp', 'mechanism=~"fibre_udp|bip152_cmpct"'),
          legend: '{{node}} vs compact blocks',
        },
        { expr: winShare('node', RATE, 'fibre_udp'), legend: '{{node}} of all deliveries' },
      ],
      { unit: 'percentunit', min: 0, max: 1, interval: BLOCK_INTERVAL },
    ),
  );
  const byPeer = (mechanism?: string) =>
    `sum by (node, peer) (increase(${sel(M.deliveries, mechanism && `mechanism="${mechanism}"`)}[$__range]))`;
  b.withPanel(
    new table.PanelBuilder()
      .id(nextId++)
      .title('Deliveries by peer')
      .description(
        'Over the selected range: blocks each peer delivered first, by mechanism, and the share FIBRE won. Counts are estimates (increase() extrapolates).',
      )
      .datasource(DS)
      .targets(
        targets([
          { expr: byPeer('fibre_udp'), table: true },
          { expr: byPeer('bip152_cmpct'), table: true },
          { expr: byPeer('other'), table: true },
          { expr: byPeer(), table: true },
          { expr: winShare('node, peer', '$__range', 'fibre_udp'), table: true },
        ]),
      )
      .span(24)
      .height(10)
      .decimals(0)
      .withTransformation(MERGE)
      .withTransformation(
        rename(
          {
            node: 'Node',
            peer: 'Peer',
            'Value #A': 'FIBRE/UDP first',
            'Value #B': 'Compact blocks first',
            'Value #C': 'Other first',
            'Value #D': 'Total',
            'Value #E': 'FIBRE share',
          },
          ['Time'],
        ),
      )
      .overrideByName('FIBRE share', [
        { id: 'unit', value: 'percentunit' },
        { id: 'decimals', value: 1 },
      ])
      .sortBy([new common.TableSortByFieldStateBuilder().displayName('Total').desc(true)]),
  );
}

function reconstructionDetailRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('FIBRE reconstruction detail').id(nextId++));
  b.withPanel(
    series(
      'Transactions missing from the mempool',
      'Per FIBRE-reconstructed block: transactions that had to come over the wire (udp:block_reconstruction_detail), median and p95.',
      [
        { expr: quantile(0.5, M.missingTx), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.missingTx), legend: '{{node}} p95' },
      ],
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'transactions' },
    ),
  );
  b.withPanel(
    series(
      'Bytes missing from the mempool',
      'Per FIBRE-reconstructed block: bytes of the transactions the mempool did not have, median and p95.',
      [
        { expr: quantile(0.5, M.missingTxBytes), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.missingTxBytes), legend: '{{node}} p95' },
      ],
      { unit: 'bytes', min: 0, interval: BLOCK_INTERVAL },
    ),
  );
  b.withPanel(
    series(
      'Mempool hits',
      'Transactions found in the mempool per reconstructed block (median), and the share of blocks built from the mempool alone.',
      [
        { expr: quantile(0.5, M.mempoolTx), legend: '{{node}} mempool transactions p50' },
        {
          expr: `sum by (node) (${rate(M.allTxFromMempool)}) / sum by (node) (${rate(M.blocksReconstructed)})`,
          legend: '{{node}} all from mempool (share)',
        },
      ],
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL },
    ),
  );
}

function validationRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('Block validation').id(nextId++));
  b.withPanel(
    series(
      'Block connection time',
      'Seconds bitcoind spent connecting a block to the chain (validation:block_connected).',
      [
        { expr: quantile(0.5, M.connectionDuration), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.connectionDuration), legend: '{{node}} p95' },
        { expr: quantile(0.99, M.connectionDuration), legend: '{{node}} p99' },
      ],
      { unit: 's', min: 0, interval: BLOCK_INTERVAL },
    ),
  );
  b.withPanel(
    series(
      'Transactions per block',
      'Transactions in each connected block: median, p95 and mean.',
      [
        { expr: quantile(0.5, M.txPerBlock), legend: '{{node}} p50' },
        { expr: quantile(0.95, M.txPerBlock), legend: '{{node}} p95' },
        { expr: mean(M.txPerBlock), legend: '{{node}} mean' },
      ],
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'transactions' },
    ),
  );
  b.withPanel(
    series(
      'Inputs and signature operations per block',
      'Mean transaction inputs and signature operation cost of the connected blocks (validation:block_connected).',
      [
        { expr: mean(M.inputsPerBlock), legend: '{{node}} inputs' },
        { expr: mean(M.sigopsPerBlock), legend: '{{node}} sigops cost' },
      ],
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL },
    ),
  );
  b.withPanel(
    series(
      'Slow blocks',
      'Blocks per hour the per-block journal marks slow or very slow (reconstruction or first-seen-to-connected time over the thresholds). The blocks themselves: /blocks.html on the agent.',
      [{ expr: `3600 * sum by (node, severity) (${rate(M.slowBlocks)})`, legend: '{{node}} {{severity}}' }],
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'blocks per hour' },
    ),
  );
}

function agentRow(b: dashboard.DashboardBuilder): void {
  b.withRow(new dashboard.RowBuilder('Agent health').id(nextId++));
  b.withPanel(
    series(
      'Events processed by type',
      'Tracepoint events the agent recorded per second, by event type.',
      [{ expr: agentRate('node_name, event_type', M.eventsProcessed), legend: '{{node_name}} {{event_type}}' }],
      { unit: 'ops', width: 8, min: 0, axisLabel: 'events/s' },
    ),
  );
  b.withPanel(
    series(
      'Errors by type',
      'Errors the agent survived per second, by kind (decode, line_too_long, bpftrace_exit, ...).',
      [{ expr: agentRate('node_name, error_type', M.errors), legend: '{{node_name}} {{error_type}}' }],
      { unit: 'ops', width: 8, min: 0, axisLabel: 'errors/s' },
    ),
  );
  b.withPanel(
    series(
      'Events lost',
      'Events the kernel dropped before bpftrace read them (perf buffer full), per second. Raise --perf-buffer-pages if this is not 0.',
      [{ expr: agentRate('node_name', M.eventsLost), legend: '{{node_name}}' }],
      { unit: 'ops', width: 8, min: 0, axisLabel: 'events/s' },
    ),
  );
  b.withPanel(
    new table.PanelBuilder()
      .id(nextId++)
      .title('Agent info')
      .description('fibre_exporter_info: version, node name and bitcoind path of each agent, and when it started.')
      .datasource(DS)
      .targets(
        targets([
          { expr: `${M.info}{node_name=~"$node"}`, table: true },
          { expr: `1000 * (${withNodeName(M.startTime)})`, table: true },
        ]),
      )
      .span(24)
      .height(6)
      .withTransformation(MERGE)
      .withTransformation(
        rename(
          {
            node_name: 'Node',
            version: 'Version',
            bitcoind_path: 'bitcoind',
            instance: 'Instance',
            job: 'Job',
            'Value #B': 'Started',
          },
          ['Time', '__name__', 'Value #A'],
        ),
      )
      .overrideByName('Started', [{ id: 'unit', value: 'dateTimeAsIso' }]),
  );
}

/** Builds the dashboard model (a plain JSON-serialisable object). */
export function buildDashboard(): dashboard.Dashboard {
  nextId = 1;
  const b = new dashboard.DashboardBuilder(DASHBOARD_TITLE)
    .uid(DASHBOARD_UID)
    .description('FIBRE block relay and bitcoind block validation, from fibre-agent (USDT tracepoints via bpftrace).')
    .tags(['fibre', 'bitcoin', 'fibre-agent'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(nodeVariable());
  overviewRow(b);
  relayRow(b);
  reconstructionDetailRow(b);
  deliveryRow(b);
  validationRow(b);
  agentRow(b);
  const model = b.build();
  // Grafana expects an annotation list; none is needed here (and a built-in one would reference another datasource).
  model.annotations = { list: [] };
  return model;
}

/** The file content: the model as indented JSON with a final newline. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

/** One query of one panel, for tests and tools that run the dashboard's PromQL elsewhere. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

type PanelLike = { title?: string; type?: string; targets?: unknown[]; panels?: PanelLike[] };

/** Every target expression of every panel (rows included, collapsed or not). */
export function panelQueries(model: dashboard.Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: PanelLike[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of (p.targets ?? []) as { refId?: string; expr?: string; instant?: boolean }[]) {
        if (t.expr) out.push({ panel: p.title ?? '', refId: t.refId ?? '', expr: t.expr, instant: t.instant === true });
      }
      visit(p.panels);
    }
  };
  visit(model.panels as PanelLike[] | undefined);
  return out;
}

/** The query of each query variable, by variable name. */
export function variableQueries(model: dashboard.Dashboard): { name: string; query: string }[] {
  return (model.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({ name: v.name, query: typeof v.query === 'string' ? v.query : JSON.stringify(v.query) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // dist/docker/grafana/dashboard.js -> repository root is three levels up.
  const out = fileURLToPath(new URL(`../../../${DASHBOARD_PATH}`, import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderDashboard());
  console.log(`wrote ${out}`);
}
