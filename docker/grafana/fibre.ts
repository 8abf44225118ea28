/**
 * "FIBRE Block Relay": blocks rebuilt from FIBRE/UDP chunks, the race between FIBRE and compact blocks,
 * and the agent's own health. Block validation has its own dashboard (validation.ts).
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { BLOCK_INTERVAL, mergedTable, rangeMedian, rangeTotal, series, single } from './panels.js';
import { agentRate, M, quantile, RATE, rate, sel, share, sumRange, sumRate, winShare, withNodeName } from './promql.js';
import { percentiles, rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    single(
      'Chain height',
      'Height of the block most recently seen by a probe, and of the last one FIBRE rebuilt, per node.',
      [
        { expr: `max by (node) (${sel(M.lastHeight)})`, legend: '{{node}}' },
        { expr: `max by (node) (${sel(M.lastReconstructedHeight)})`, legend: '{{node}} rebuilt over FIBRE' },
      ],
      { unit: 'none', decimals: 0 },
    ),
    rangeTotal(
      'Blocks connected',
      'Blocks connected to the active chain over the selected time range.',
      M.blocksConnected,
    ),
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
    single(
      'Agent uptime',
      'Time since the agent started (fibre_exporter_start_time_seconds).',
      [{ expr: `time() - (${withNodeName(M.startTime)})`, legend: '{{node_name}}' }],
      { unit: 's' },
    ),
  ],
};

const relayRow: Row = {
  title: 'FIBRE relay',
  panels: () => [
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
    series(
      'Block reconstruction time',
      'Seconds FIBRE spent rebuilding a block from UDP chunks: percentiles and mean.',
      percentiles(M.reconstructionDuration, [0.5, 0.95, 0.99], { mean: true }),
      { unit: 's', min: 0, interval: BLOCK_INTERVAL },
    ),
    series(
      'Chunk throughput',
      'FIBRE chunks received for reconstructed blocks, and those the reconstructions used, per second.',
      [
        { expr: sumRate('node', M.chunksReceived), legend: '{{node}} received' },
        { expr: sumRate('node', M.chunksUsed), legend: '{{node}} used' },
      ],
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'chunks/s' },
    ),
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
    series(
      'Chunks used per block',
      'FIBRE chunks one block reconstruction consumed: median, p95 and mean.',
      percentiles(M.chunksUsedPerBlock, [0.5, 0.95], { mean: true }),
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'chunks' },
    ),
  ],
};

function byPeer(mechanism?: string): string {
  return sumRange('node, peer', M.deliveries, mechanism && `mechanism="${mechanism}"`);
}

const deliveryRow: Row = {
  title: 'Block delivery',
  panels: () => [
    series(
      'Deliveries by mechanism',
      'Blocks by the mechanism that delivered them first (fibre_udp, bip152_cmpct, other), per second.',
      [rateBy('node, mechanism', M.deliveries)],
      { unit: 'ops', min: 0, stacked: true, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
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
    mergedTable(
      'Deliveries by peer',
      'Over the selected range: blocks each peer delivered first, by mechanism, and the share FIBRE won. Counts are estimates (increase() extrapolates).',
      [
        { expr: byPeer('fibre_udp'), title: 'FIBRE/UDP first' },
        { expr: byPeer('bip152_cmpct'), title: 'Compact blocks first' },
        { expr: byPeer('other'), title: 'Other first' },
        { expr: byPeer(), title: 'Total' },
        { expr: winShare('node, peer', '$__range', 'fibre_udp'), title: 'FIBRE share' },
      ],
      {
        labels: { node: 'Node', peer: 'Peer' },
        decimals: 0,
        sortBy: 'Total',
        overrides: {
          'FIBRE share': [
            { id: 'unit', value: 'percentunit' },
            { id: 'decimals', value: 1 },
          ],
        },
      },
    ),
  ],
};

const reconstructionDetailRow: Row = {
  title: 'FIBRE reconstruction detail',
  panels: () => [
    series(
      'Transactions missing from the mempool',
      'Per FIBRE-reconstructed block: transactions that had to come over the wire (udp:block_reconstruction_detail), median and p95.',
      percentiles(M.missingTx, [0.5, 0.95]),
      { unit: 'short', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'transactions' },
    ),
    series(
      'Bytes missing from the mempool',
      'Per FIBRE-reconstructed block: bytes of the transactions the mempool did not have, median and p95.',
      percentiles(M.missingTxBytes, [0.5, 0.95]),
      { unit: 'bytes', min: 0, interval: BLOCK_INTERVAL },
    ),
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
  ],
};

const agentRow: Row = {
  title: 'Agent health',
  panels: () => [
    series(
      'Events processed by type',
      'Tracepoint events the agent recorded per second, by event type.',
      [{ expr: agentRate('node_name, event_type', M.eventsProcessed), legend: '{{node_name}} {{event_type}}' }],
      { unit: 'ops', width: 6, min: 0, axisLabel: 'events/s' },
    ),
    series(
      'Errors by type',
      'Errors the agent survived per second, by kind (decode, line_too_long, bpftrace_exit, ...), and counts a full BPF map could not keep under their own peer or reason (counted as other), by map.',
      [
        { expr: agentRate('node_name, error_type', M.errors), legend: '{{node_name}} {{error_type}}' },
        { expr: agentRate('node_name, map', M.mapFull), legend: '{{node_name}} map full {{map}}' },
      ],
      { unit: 'ops', width: 6, min: 0, axisLabel: 'errors/s' },
    ),
    series(
      'Events lost',
      'Events the kernel dropped before bpftrace read them (perf buffer full), per second. Raise --perf-buffer-pages if this is not 0.',
      [{ expr: agentRate('node_name', M.eventsLost), legend: '{{node_name}}' }],
      { unit: 'ops', width: 6, min: 0, axisLabel: 'events/s' },
    ),
    series(
      'Journal blocks skipped',
      'Blocks the per-block journal has no record of, per second: more than 20 blocks a second came (a sync, a reindex), the most the kernel prints for the journal. The metrics count every block; the agent logs a WARNING line at most once a minute.',
      [rateBy('node', M.journalBlocksSkipped)],
      { unit: 'ops', width: 6, min: 0, axisLabel: 'blocks/s' },
    ),
    mergedTable(
      'Agent info',
      'fibre_exporter_info: version, node name and bitcoind path of each agent, when it started, and how many probes it refused because the binary disagreed with the catalogue (see its WARNING line).',
      [
        { expr: `${M.info}{node_name=~"$node"}` },
        { expr: `1000 * (${withNodeName(M.startTime)})`, title: 'Started' },
        { expr: withNodeName(M.probesRefused), title: 'Probes refused' },
      ],
      {
        labels: { node_name: 'Node', version: 'Version', bitcoind_path: 'bitcoind', instance: 'Instance', job: 'Job' },
        exclude: ['__name__', 'Value #A'],
        height: 6,
        overrides: { Started: [{ id: 'unit', value: 'dateTimeAsIso' }] },
      },
    ),
    mergedTable(
      'bitcoind release',
      'bitcoin_build_info: the release each agent told from its bitcoind binary, and the release whose tracepoint semantics it applies (the newest it knows, for a newer binary).',
      [{ expr: `${M.buildInfo}{node=~"$node"}` }],
      {
        labels: { node: 'Node', release: 'Release', semantics: 'Semantics applied', instance: 'Instance' },
        exclude: ['__name__', 'job', 'Value'],
        height: 6,
      },
    ),
  ],
};

const raceRow: Row = {
  title: 'Block races',
  panels: () => [
    series(
      'Race margin by winner',
      'For blocks both FIBRE/UDP and compact blocks delivered: seconds by which the first path beat the second, median and p90, by the path that won (udp:block_race_time). A shrinking FIBRE margin means FIBRE is losing its lead.',
      percentiles(M.raceMargin, [0.5, 0.9], { by: 'node, winner' }),
      { unit: 's', min: 0, interval: BLOCK_INTERVAL },
    ),
    series(
      'Races won by FIBRE',
      'Share of the blocks both paths delivered that FIBRE/UDP delivered first (ties count for FIBRE).',
      [
        {
          expr: share(
            sumRate('node', `${M.raceMargin}_count`, 'winner="fibre_udp"'),
            sumRate('node', `${M.raceMargin}_count`),
          ),
          legend: '{{node}}',
        },
      ],
      { unit: 'percentunit', width: 6, min: 0, max: 1, interval: BLOCK_INTERVAL },
    ),
    series(
      'Uncontested blocks',
      'Blocks only one of the two paths delivered, by that path, per second: FIBRE/UDP alone, or compact blocks alone (FIBRE never rebuilt them).',
      [rateBy('node, mechanism', M.raceUncontested)],
      { unit: 'ops', width: 6, min: 0, stacked: true, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
    rangeMedian(
      'Median FIBRE margin',
      'Over the selected range: median seconds by which FIBRE/UDP beat compact blocks in the races it won.',
      M.raceMargin,
      { unit: 's', width: 12, decimals: 3 },
      'winner="fibre_udp"',
    ),
    rangeTotal(
      'Uncontested blocks (range)',
      'Over the selected range: blocks only one of FIBRE/UDP and compact blocks delivered.',
      M.raceUncontested,
      { width: 12 },
    ),
    series(
      'Slow blocks',
      'Blocks the per-block journal marked slow or very slow (reconstruction, or first seen to connected, over the thresholds), per second. The blocks themselves: /blocks.html on the agent.',
      [rateBy('node, severity', M.slowBlocks)],
      { unit: 'ops', width: 24, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
  ],
};

export const FIBRE: DashboardSpec = {
  uid: 'fibre-block-relay',
  title: 'FIBRE Block Relay',
  description:
    'FIBRE block relay and its races against compact blocks, from fibre-agent (USDT tracepoints via bpftrace).',
  pack: 'fibre',
  path: 'docker/grafana/dashboards/fibre-block-relay.json',
  tags: ['fibre', 'bitcoin'],
  nodeMetric: M.blocksConnected,
  rows: [overviewRow, relayRow, reconstructionDetailRow, deliveryRow, raceRow, agentRow, costRow()],
};
