/**
 * "Bitcoin Core: mempool": transactions entering and leaving the mempool, and why; fee rates and sizes
 * of what enters (mempool pack). Reasons outside Bitcoin Core's known lists count as `other`.
 */

import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { bucketHeatmap, rangeMedian, rangeTotal, series } from './panels.js';
import { M } from './promql.js';
import { percentiles, rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    rangeTotal('Added', 'Transactions added to the mempool over the selected range.', M.mempoolAdded, { width: 6 }),
    rangeTotal(
      'Replaced',
      'Mempool transactions replaced (fee bumps, RBF) over the selected range.',
      M.mempoolReplaced,
      { width: 6 },
    ),
    rangeTotal('Rejected', 'Transactions the mempool refused over the selected range.', M.mempoolRejected, {
      width: 6,
    }),
    rangeMedian(
      'Median fee rate',
      'Over the selected range: median fee rate in sat/vB of the transactions added (their own fee over their own vsize).',
      M.mempoolAddedFeeRate,
      { unit: 'none', width: 6, decimals: 1 },
    ),
  ],
};

const flowRow: Row = {
  title: 'Flow',
  panels: () => [
    series(
      'Transactions added and removed',
      'Transactions entering the mempool per second, and those leaving it for any reason.',
      [rateBy('node', M.mempoolAdded, 'added'), rateBy('node', M.mempoolRemoved, 'removed')],
      { unit: 'ops', min: 0, axisLabel: 'tx/s' },
    ),
    series(
      'Removals by reason',
      'Transactions leaving the mempool per second, by reason: block (mined), replaced, conflict, expiry, sizelimit, reorg.',
      [rateBy('node, reason', M.mempoolRemoved)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'tx/s' },
    ),
    series(
      'Replacements',
      'Mempool transactions replaced per second by another transaction or package (fee bumps, RBF).',
      [rateBy('node', M.mempoolReplaced)],
      { unit: 'ops', min: 0, axisLabel: 'tx/s' },
    ),
    series(
      'Rejections by reason',
      'Transactions the mempool refused per second, by reason (known reasons; script failures and rare ones count as "other").',
      [rateBy('node, reason', M.mempoolRejected)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'tx/s' },
    ),
  ],
};

const feesRow: Row = {
  title: 'Fees and sizes',
  panels: () => [
    series(
      'Fee rate of added transactions',
      'Fee rate in sat/vB of the transactions added to the mempool: p10, median, p90, and the mean weighted by transaction.',
      percentiles(M.mempoolAddedFeeRate, [0.1, 0.5, 0.9], { mean: true }),
      { unit: 'none', min: 0, axisLabel: 'sat/vB' },
    ),
    bucketHeatmap(
      'Fee-rate heatmap',
      'Transactions added per fee-rate bucket (sat/vB) and rate interval, all selected nodes together.',
      M.mempoolAddedFeeRate,
      'none',
    ),
    series(
      'Virtual size of added transactions',
      'vbytes of each transaction added to the mempool: median, p90 and mean.',
      percentiles(M.mempoolAddedVsize, [0.5, 0.9], { mean: true }),
      { unit: 'none', width: 8, min: 0, axisLabel: 'vbytes' },
    ),
    series(
      'vbytes added',
      'Virtual bytes entering the mempool per second.',
      [rateBy('node', `${M.mempoolAddedVsize}_sum`)],
      { unit: 'none', width: 8, min: 0, axisLabel: 'vbytes/s' },
    ),
    series(
      'Fees added',
      'Fees in satoshis of the transactions entering the mempool, per second.',
      [rateBy('node', M.mempoolAddedFees)],
      { unit: 'none', width: 8, min: 0, axisLabel: 'sat/s' },
    ),
  ],
};

export const MEMPOOL: DashboardSpec = {
  uid: 'bitcoin-core-mempool',
  title: 'Bitcoin Core: mempool',
  description:
    'Transactions entering and leaving the mempool of bitcoind, their fee rates and sizes, from fibre-agent (mempool pack).',
  pack: 'mempool',
  path: 'docker/grafana/dashboards/bitcoin-core-mempool.json',
  tags: ['bitcoin'],
  nodeMetric: M.mempoolAdded,
  rows: [overviewRow, flowRow, feesRow, costRow('mempool')],
};
