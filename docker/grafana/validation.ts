/**
 * "Bitcoin Core: validation": blocks connected to the chain and what they held (validation pack,
 * validation:block_connected). Its own dashboard rather than a row of the FIBRE one: every bitcoind has
 * this tracepoint, most have no FIBRE probes, and an operator of such a node should not have to read
 * around empty FIBRE panels.
 */

import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { BLOCK_INTERVAL, rangeMedian, rangeTotal, series, single } from './panels.js';
import { M, sel, sumRate } from './promql.js';
import { percentiles, rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    single(
      'Chain height',
      'Height of the block most recently connected (or, on a FIBRE node, delivered), per node.',
      [{ expr: `max by (node) (${sel(M.lastHeight)})`, legend: '{{node}}' }],
      { unit: 'none', decimals: 0, width: 8 },
    ),
    rangeTotal(
      'Blocks connected',
      'Blocks connected to the active chain over the selected time range.',
      M.blocksConnected,
      { width: 8 },
    ),
    rangeMedian(
      'Median connection time',
      'Over the selected range: median seconds bitcoind spent connecting a block.',
      M.connectionDuration,
      { unit: 's', width: 8, decimals: 3 },
    ),
  ],
};

const blocksRow: Row = {
  title: 'Blocks',
  panels: () => [
    series(
      'Blocks connected',
      'Blocks connected to the active chain per second, whatever delivered them.',
      [rateBy('node', M.blocksConnected)],
      { unit: 'ops', min: 0, interval: BLOCK_INTERVAL, axisLabel: 'blocks/s' },
    ),
    series(
      'Block connection time',
      'Seconds bitcoind spent connecting a block to the chain (validation:block_connected): percentiles and mean.',
      percentiles(M.connectionDuration, [0.5, 0.95, 0.99], { mean: true }),
      { unit: 's', min: 0, interval: BLOCK_INTERVAL },
    ),
    series(
      'Transactions per block',
      'Transactions in each connected block: median, p95 and mean.',
      percentiles(M.txPerBlock, [0.5, 0.95], { mean: true }),
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'transactions' },
    ),
    series(
      'Inputs per block',
      'Transaction inputs of each connected block, the coinbase input included: median, p95 and mean.',
      percentiles(M.inputsPerBlock, [0.5, 0.95], { mean: true }),
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'inputs' },
    ),
    series(
      'Signature operations per block',
      'Signature operation cost of each connected block (the consensus limit is 80000): median, p95 and mean.',
      percentiles(M.sigopsPerBlock, [0.5, 0.95], { mean: true }),
      { unit: 'short', width: 8, min: 0, interval: BLOCK_INTERVAL, axisLabel: 'sigops cost' },
    ),
    series(
      'Connection time per transaction',
      'Seconds of block connection per transaction connected: rises when validation slows (disk, UTXO cache misses), whatever the block size.',
      [
        {
          expr: `${sumRate('node', `${M.connectionDuration}_sum`)} / ${sumRate('node', `${M.txPerBlock}_sum`)}`,
          legend: '{{node}}',
        },
      ],
      { unit: 's', width: 24, min: 0, interval: BLOCK_INTERVAL },
    ),
  ],
};

export const VALIDATION: DashboardSpec = {
  uid: 'bitcoin-core-validation',
  title: 'Bitcoin Core: validation',
  description: 'Blocks bitcoind connects to the chain: how many, how long each took, and their size (validation pack).',
  pack: 'validation',
  path: 'docker/grafana/dashboards/bitcoin-core-validation.json',
  tags: ['bitcoin'],
  nodeMetric: M.blocksConnected,
  rows: [overviewRow, blocksRow, costRow('validation')],
};
