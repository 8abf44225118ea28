/**
 * "Bitcoin Core: node": the node's state as its own RPC reports it (rpc pack): height against
 * headers, sync progress, the mempool's size and minimum fee rate, peers by direction and network,
 * uptime and release, and whether the agent's polls of RPC succeed. The gauges are absent while RPC
 * does not answer, so a gap in a panel is a gap in what the node told, never a stale value.
 */

import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { mergedTable, series, single } from './panels.js';
import { gauge, M, RATE, sel } from './promql.js';
import { rateBy, type Target } from './queries.js';

/** One series per node: a gauge's value now. */
function perNode(metric: string): Target {
  return { expr: gauge('node', metric), legend: '{{node}}' };
}

/** A counter's rate by `by`, 0 (not absent) for nodes whose RPC is polled and has not failed. */
function rateOrZero(by: string, metric: string): string {
  return `sum by (${by}) (rate(${sel(metric)}[${RATE}])) or 0 * ${gauge('node', M.rpcUp)}`;
}

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    single('Height', 'Blocks in the active chain (fully validated), per node.', [perNode(M.chainBlocks)], {
      unit: 'none',
      decimals: 0,
      width: 4,
    }),
    single(
      'Behind headers',
      'Headers the node knows beyond its active chain: blocks it still has to download and validate.',
      [{ expr: `${gauge('node', M.chainHeaders)} - ${gauge('node', M.chainBlocks)}`, legend: '{{node}}' }],
      {
        unit: 'none',
        decimals: 0,
        width: 4,
        steps: [
          [null, 'green'],
          [2, 'orange'],
          [144, 'red'],
        ],
      },
    ),
    single(
      'Sync progress',
      "bitcoind's estimate of the share of the chain's transactions it has verified.",
      [perNode(M.verificationProgress)],
      { unit: 'percentunit', decimals: 2, width: 4 },
    ),
    single(
      'Initial block download',
      'Whether the node is still in initial block download.',
      [perNode(M.initialBlockDownload)],
      {
        unit: 'none',
        width: 4,
        mappings: [
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: 'done', color: 'green' }, '1': { text: 'syncing', color: 'orange' } },
          },
        ],
      },
    ),
    single('Uptime', 'Time since bitcoind started (RPC uptime).', [perNode(M.uptime)], { unit: 's', width: 4 }),
    single(
      'RPC',
      "Whether the agent's last poll of bitcoind's RPC succeeded. Down: the node's state panels are empty until it answers.",
      [perNode(M.rpcUp)],
      {
        unit: 'none',
        width: 4,
        mappings: [
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: 'down', color: 'red' }, '1': { text: 'up', color: 'green' } },
          },
        ],
      },
    ),
  ],
};

const chainRow: Row = {
  title: 'Chain',
  panels: () => [
    series(
      'Height and headers',
      'Blocks in the active chain and the best header known: a gap that stays open means the node is not keeping up.',
      [
        { expr: gauge('node', M.chainBlocks), legend: '{{node}} blocks' },
        { expr: gauge('node', M.chainHeaders), legend: '{{node}} headers' },
      ],
      { unit: 'none', axisLabel: 'height' },
    ),
    series(
      'Sync progress',
      "bitcoind's estimate of the share of the chain's transactions verified (1 when synced).",
      [perNode(M.verificationProgress)],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    series(
      'Chain tips by status',
      'Tips the node knows: the active one, and forks (valid-fork, valid-headers, headers-only, invalid).',
      [{ expr: gauge('node, status', M.chainTips), legend: '{{node}} {{status}}' }],
      { unit: 'none', width: 8, min: 0 },
    ),
    series(
      'Longest inactive branch',
      'Blocks in the longest branch off the active chain: a reorg of that depth would be needed to switch to it.',
      [perNode(M.inactiveBranchLength)],
      { unit: 'none', width: 8, min: 0, axisLabel: 'blocks' },
    ),
    series(
      'Size on disk',
      'Bytes the block and undo files take (pruned nodes keep this bounded).',
      [perNode(M.sizeOnDisk)],
      { unit: 'bytes', width: 8, min: 0 },
    ),
  ],
};

const mempoolRow: Row = {
  title: 'Mempool',
  panels: () => [
    series('Mempool transactions', 'Transactions in the mempool now.', [perNode(M.mempoolTransactions)], {
      unit: 'none',
      width: 8,
      min: 0,
      axisLabel: 'transactions',
    }),
    series(
      'Mempool size',
      'Virtual size of the transactions in the mempool (vbytes), and the memory it takes against its limit (-maxmempool).',
      [
        { expr: gauge('node', M.mempoolVsize), legend: '{{node}} vsize' },
        { expr: gauge('node', M.mempoolUsage), legend: '{{node}} memory' },
        { expr: gauge('node', M.mempoolMax), legend: '{{node}} memory limit' },
      ],
      { unit: 'bytes', width: 8, min: 0 },
    ),
    series(
      'Minimum fee rate to enter',
      'Lowest fee rate (sat/vB) a transaction needs to enter the mempool now; it rises above the relay minimum when the mempool is full.',
      [perNode(M.mempoolMinFee)],
      { unit: 'none', width: 8, min: 0, axisLabel: 'sat/vB' },
    ),
    series(
      'Fees in the mempool',
      'Total fees of the transactions waiting in the mempool, in satoshis.',
      [perNode(M.mempoolTotalFee)],
      { unit: 'none', width: 24, min: 0, axisLabel: 'sat' },
    ),
  ],
};

const peersRow: Row = {
  title: 'Peers',
  panels: () => [
    series(
      'Peers by direction',
      'P2P connections now, inbound and outbound (set from getpeerinfo at every poll, moved by the connection tracepoints between polls).',
      [{ expr: gauge('node, direction', M.peers), legend: '{{node}} {{direction}}' }],
      { unit: 'none', width: 8, min: 0, stacked: true },
    ),
    series(
      'Peers by network',
      'P2P connections now by network (ipv4, ipv6, onion, i2p, cjdns; unroutable for local addresses).',
      [{ expr: gauge('node, network', M.peersByNetwork), legend: '{{node}} {{network}}' }],
      { unit: 'none', width: 8, min: 0, stacked: true },
    ),
    series('Banned', 'Addresses and subnets on the ban list.', [perNode(M.bannedPeers)], {
      unit: 'none',
      width: 8,
      min: 0,
    }),
    series(
      'Network traffic',
      'Bytes received from and sent to peers per second, all messages with their headers (getnettotals).',
      [rateBy('node', M.netReceived, 'in'), rateBy('node', M.netSent, 'out')],
      { unit: 'Bps', width: 24, min: 0 },
    ),
  ],
};

const nodeRow: Row = {
  title: 'Release and RPC',
  panels: () => [
    mergedTable(
      'Release',
      "What bitcoind's RPC says it is, the release the agent told from its binary, and whether it reports a warning.",
      [
        {
          expr: `max by (node, version, subversion, chain, protocol_version) (${sel(M.nodeInfo)})`,
          title: 'RPC',
        },
        { expr: `max by (node, release) (${sel(M.buildInfo)})`, title: 'Binary' },
        { expr: gauge('node', M.nodeWarning), title: 'Warning' },
        { expr: gauge('node', M.pruned), title: 'Pruned' },
      ],
      {
        labels: {
          node: 'Node',
          version: 'Version',
          subversion: 'User agent',
          chain: 'Chain',
          protocol_version: 'Protocol',
          release: 'Release told from the binary',
        },
        exclude: ['Value #A', 'Value #B'],
        height: 6,
        decimals: 0,
      },
    ),
    series(
      'RPC poll duration',
      "Seconds the agent's last poll of bitcoind's RPC took (one batch request).",
      [perNode(M.rpcDuration)],
      { unit: 's', min: 0 },
    ),
    series(
      'RPC errors',
      "Failed polls per second by code: refused, unreachable, timeout, http_401 (wrong credentials), or bitcoind's error code.",
      [{ expr: rateOrZero('node, method, code', M.rpcErrors), legend: '{{node}} {{method}} {{code}}' }],
      { unit: 'ops', min: 0 },
    ),
  ],
};

export const NODE: DashboardSpec = {
  uid: 'bitcoin-core-node',
  title: 'Bitcoin Core: node',
  description:
    "The node's state from bitcoind's own RPC (rpc pack): height and headers, sync, mempool, peers, release, and the health of the agent's polls.",
  pack: 'rpc',
  path: 'docker/grafana/dashboards/bitcoin-core-node.json',
  tags: ['bitcoin'],
  nodeMetric: M.rpcUp,
  // The node's overview: the cost of every probe, as on the FIBRE dashboard.
  rows: [overviewRow, chainRow, mempoolRow, peersRow, nodeRow, costRow()],
};
