/**
 * "Bitcoin Core: UTXO cache": flushes of the coins cache to disk, by mode, how long they take and how
 * much they write, and the cache's memory (utxocache pack). The coin counters come from opt-in probes
 * (`--packs ...,utxocache`): without them those panels stay empty.
 */

import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { rangeMedian, rangeTotal, series, single } from './panels.js';
import { gauge, M, sumRate } from './promql.js';
import { percentiles, rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    single(
      'Cache memory',
      'Memory the UTXO cache used at its last flush.',
      [{ expr: gauge('node', M.utxoMemory), legend: '{{node}}' }],
      { unit: 'bytes', width: 8 },
    ),
    rangeTotal('Flushes', 'UTXO cache flushes over the selected range, all modes.', M.utxoFlushes, { width: 8 }),
    rangeMedian(
      'Median flush time',
      'Over the selected range: median seconds a UTXO cache flush took.',
      M.utxoFlushDuration,
      { unit: 's', width: 8, decimals: 3 },
    ),
  ],
};

const flushesRow: Row = {
  title: 'Flushes',
  panels: () => [
    series(
      'Flushes by mode',
      'UTXO cache flushes per second, by mode: periodic (about hourly), if_needed (cache full), always (shutdown, RPCs that need the coins on disk), none.',
      [rateBy('node, mode', M.utxoFlushes)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'flushes/s' },
    ),
    series(
      'Flush duration',
      'Seconds each UTXO cache flush took: median, p90, p99 and mean. bitcoind blocks validation while it flushes.',
      percentiles(M.utxoFlushDuration, [0.5, 0.9, 0.99], { mean: true }),
      { unit: 's', min: 0 },
    ),
    series(
      'Coins flushed',
      'Coins in the cache when it was flushed, per second (summed over flushes), and per flush.',
      [
        rateBy('node', M.utxoFlushedCoins, 'per second'),
        {
          expr: `${sumRate('node', M.utxoFlushedCoins)} / ${sumRate('node', M.utxoFlushes)}`,
          legend: '{{node}} per flush',
        },
      ],
      { unit: 'short', min: 0, axisLabel: 'coins' },
    ),
    series(
      'Cache memory',
      'Memory the UTXO cache used at its last flush (bounded by -dbcache).',
      [{ expr: gauge('node', M.utxoMemory), legend: '{{node}}' }],
      { unit: 'bytes', min: 0 },
    ),
  ],
};

const coinsRow: Row = {
  title: 'Coins (opt-in probes)',
  panels: () => [
    series(
      'Coin activity',
      'Coins added to the cache, spent from it, and dropped from it unspent, per second. Opt-in: the agent attaches these probes only with --packs naming utxocache, since they fire for every input and output while a node syncs.',
      [
        rateBy('node', M.utxoCoinsAdded, 'added'),
        rateBy('node', M.utxoCoinsSpent, 'spent'),
        rateBy('node', M.utxoCoinsUncached, 'uncached'),
      ],
      { unit: 'ops', width: 24, min: 0, axisLabel: 'coins/s' },
    ),
  ],
};

export const UTXOCACHE: DashboardSpec = {
  uid: 'bitcoin-core-utxocache',
  title: 'Bitcoin Core: UTXO cache',
  description:
    "Flushes of bitcoind's UTXO cache, their duration and size, and the cache's memory, from fibre-agent (utxocache pack).",
  pack: 'utxocache',
  path: 'docker/grafana/dashboards/bitcoin-core-utxocache.json',
  tags: ['bitcoin'],
  nodeMetric: M.utxoFlushes,
  rows: [overviewRow, flushesRow, coinsRow, costRow('utxocache')],
};
