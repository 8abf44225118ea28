/**
 * "Bitcoin Core: wallet": the transactions the node's wallets build and how their coins are chosen
 * (coin_selection pack). Only wallet builds have these probes; a node without a wallet shows no data.
 */
import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { rangeMedian, rangeTotal, series } from './panels.js';
import { M } from './promql.js';
import { percentiles, rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    rangeTotal('Transactions built', 'Transactions the wallets built over the selected range.', M.walletTxCreated, {
      width: 6,
    }),
    rangeTotal(
      'Coin selections',
      'Coin selections over the selected range, every algorithm (two per transaction while avoid-partial-spends runs).',
      M.coinSelections,
      { width: 6 },
    ),
    rangeTotal(
      'Avoid-partial-spends kept',
      'Transactions for which the wallet kept its avoid-partial-spends attempt, over the selected range.',
      M.walletApsUsed,
      { width: 6 },
    ),
    rangeMedian(
      'Median fee',
      'Over the selected range: median fee in satoshis of the transactions the wallets built.',
      M.walletTxFee,
      { unit: 'none', width: 6, decimals: 0 },
    ),
  ],
};

const transactionsRow: Row = {
  title: 'Transactions',
  panels: () => [
    series(
      'Transactions built, by result and change',
      'Attempts to build a transaction per second: result (ok, or failed, such as for insufficient funds) and whether it has a change output.',
      [rateBy('node, result, change', M.walletTxCreated)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'tx/s' },
    ),
    series(
      'Avoid-partial-spends',
      'Second attempts that avoid partial spends per second, and those whose transaction the wallet kept.',
      [rateBy('node', M.walletApsAttempts, 'attempts'), rateBy('node', M.walletApsUsed, 'kept')],
      { unit: 'ops', min: 0, axisLabel: 'attempts/s' },
    ),
    series(
      'Fee of built transactions',
      'Fee in satoshis of each transaction the wallets built: median, p90 and mean.',
      percentiles(M.walletTxFee, [0.5, 0.9], { mean: true }),
      { unit: 'none', width: 24, min: 0, axisLabel: 'sat' },
    ),
  ],
};

const selectionRow: Row = {
  title: 'Coin selection',
  panels: () => [
    series(
      'Selections by algorithm',
      'Coin selections per second by the algorithm whose result the wallet used (bnb, knapsack, srd, manual, and cg from v27).',
      [rateBy('node, algorithm', M.coinSelections)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'selections/s' },
    ),
    series(
      'Waste',
      'Waste of each selection in satoshis: below 0 when spending these inputs now costs less than spending them later.',
      percentiles(M.coinSelectionWaste, [0.1, 0.5, 0.9]),
      { unit: 'none', axisLabel: 'sat' },
    ),
    series(
      'Target and selected',
      'Median satoshis each selection had to cover, and median satoshis of the coins it chose.',
      [
        ...percentiles(M.coinSelectionTarget, [0.5]).map((t) => ({ ...t, legend: `${t.legend} target` })),
        ...percentiles(M.coinSelectionSelected, [0.5]).map((t) => ({ ...t, legend: `${t.legend} selected` })),
      ],
      { unit: 'none', width: 24, min: 0, axisLabel: 'sat' },
    ),
  ],
};

export const WALLET: DashboardSpec = {
  uid: 'bitcoin-core-wallet',
  title: 'Bitcoin Core: wallet',
  description:
    "Transactions the node's wallets build, their fees, and how their coins are selected, from fibre-agent (coin_selection pack).",
  pack: 'coin_selection',
  path: 'docker/grafana/dashboards/bitcoin-core-wallet.json',
  tags: ['bitcoin'],
  nodeMetric: M.walletTxCreated,
  rows: [overviewRow, transactionsRow, selectionRow, costRow('coin_selection')],
};
