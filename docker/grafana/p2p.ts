/**
 * "Bitcoin Core: P2P": messages and payload bytes by message type and connection type, connection
 * churn, peers and misbehaviour (net pack). Message types a peer made up count as `other`.
 */

import { costRow } from './cost.js';
import type { DashboardSpec, Row } from './model.js';
import { mergedTable, rangeTotal, series, single } from './panels.js';
import { gauge, M, sumRange } from './promql.js';
import { rateBy } from './queries.js';

const overviewRow: Row = {
  title: 'Overview',
  panels: () => [
    single(
      'Peers',
      'P2P connections now, inbound and outbound.',
      [{ expr: gauge('node, direction', M.peers), legend: '{{node}} {{direction}}' }],
      { unit: 'none', decimals: 0, width: 8 },
    ),
    rangeTotal(
      'Connections opened',
      'P2P connections opened over the selected range, both directions.',
      M.connectionsOpened,
      { width: 8 },
    ),
    rangeTotal(
      'Misbehaving peers',
      'Times bitcoind found a peer misbehaving over the selected range (it disconnects and discourages it).',
      M.misbehaving,
      {
        unit: 'none',
        width: 8,
        steps: [
          [null, 'green'],
          [1, 'orange'],
        ],
      },
    ),
  ],
};

/** Messages or bytes per message type, one way. */
function byMsgType(title: string, way: string, metric: string, unit: string, axisLabel: string) {
  return series(
    title,
    `${way} per second by message type (types outside Bitcoin Core's list count as "other").`,
    [rateBy('node, msg_type', metric)],
    { unit, min: 0, stacked: true, axisLabel },
  );
}

/** Messages or bytes of each type over the selected range. */
function total(metric: string): string {
  return sumRange('node, msg_type', metric);
}

const messagesRow: Row = {
  title: 'Messages',
  panels: () => [
    byMsgType('Messages received by type', 'Messages received', M.p2pMessagesReceived, 'ops', 'msgs/s'),
    byMsgType('Messages sent by type', 'Messages sent', M.p2pMessagesSent, 'ops', 'msgs/s'),
    byMsgType('Bytes received by type', 'Payload bytes received', M.p2pBytesReceived, 'Bps', 'bytes/s'),
    byMsgType('Bytes sent by type', 'Payload bytes sent', M.p2pBytesSent, 'Bps', 'bytes/s'),
    series(
      'Messages by connection type',
      'Messages received and sent per second, by connection type (inbound, outbound-full-relay, block-relay-only, ...).',
      [rateBy('node, conn_type', M.p2pMessagesReceived, 'in'), rateBy('node, conn_type', M.p2pMessagesSent, 'out')],
      { unit: 'ops', min: 0, axisLabel: 'msgs/s' },
    ),
    series(
      'Bytes by connection type',
      'Payload bytes received and sent per second, by connection type (message headers not included).',
      [rateBy('node, conn_type', M.p2pBytesReceived, 'in'), rateBy('node, conn_type', M.p2pBytesSent, 'out')],
      { unit: 'Bps', min: 0 },
    ),
    mergedTable(
      'Traffic by message type',
      'Over the selected range: messages and payload bytes of each type, in and out. Counts are estimates (increase() extrapolates).',
      [
        { expr: total(M.p2pMessagesReceived), title: 'Received' },
        { expr: total(M.p2pMessagesSent), title: 'Sent' },
        { expr: total(M.p2pBytesReceived), title: 'Bytes received' },
        { expr: total(M.p2pBytesSent), title: 'Bytes sent' },
      ],
      {
        labels: { node: 'Node', msg_type: 'Message type' },
        decimals: 0,
        sortBy: 'Bytes received',
        overrides: {
          'Bytes received': [{ id: 'unit', value: 'decbytes' }],
          'Bytes sent': [{ id: 'unit', value: 'decbytes' }],
        },
      },
    ),
  ],
};

const connectionsRow: Row = {
  title: 'Connections',
  panels: () => [
    series(
      'Peers by direction',
      "P2P connections by direction: bitcoind's count at the last connection opened, less those closed since.",
      [{ expr: gauge('node, direction', M.peers), legend: '{{node}} {{direction}}' }],
      { unit: 'none', min: 0, axisLabel: 'peers' },
    ),
    series(
      'Connections opened by network',
      'Connections opened per second, by direction and network (ipv4, ipv6, onion, i2p, cjdns, unroutable for loopback and private addresses).',
      [rateBy('node, direction, network', M.connectionsOpened)],
      { unit: 'ops', min: 0, stacked: true, axisLabel: 'connections/s' },
    ),
    series(
      'Connections opened and closed by connection type',
      'Connections opened and closed per second, by connection type. Feelers and addr-fetch connections are short by design.',
      [
        rateBy('node, conn_type', M.connectionsOpened, 'opened'),
        rateBy('node, conn_type', M.connectionsClosed, 'closed'),
      ],
      { unit: 'ops', min: 0, axisLabel: 'connections/s' },
    ),
    series(
      'Connections closed and evicted by network',
      'Connections closed per second (evictions included), and inbound connections bitcoind evicted to make room for a new one, by network.',
      [
        rateBy('node, network', M.connectionsClosed, 'closed'),
        rateBy('node, network', M.connectionsEvicted, 'evicted'),
      ],
      { unit: 'ops', min: 0, axisLabel: 'connections/s' },
    ),
    series(
      'Misbehaving peers',
      'Times per second bitcoind found a peer misbehaving (invalid blocks or headers, oversized messages, ...): it disconnects and discourages the peer. A burst can be an attack or a broken client.',
      [rateBy('node', M.misbehaving)],
      { unit: 'ops', width: 24, min: 0, axisLabel: 'events/s' },
    ),
  ],
};

export const P2P: DashboardSpec = {
  uid: 'bitcoin-core-p2p',
  title: 'Bitcoin Core: P2P',
  description: 'P2P traffic by message type, connection churn and peers of bitcoind, from fibre-agent (net pack).',
  pack: 'net',
  path: 'docker/grafana/dashboards/bitcoin-core-p2p.json',
  tags: ['bitcoin'],
  nodeMetric: M.p2pMessagesReceived,
  rows: [overviewRow, messagesRow, connectionsRow, costRow('net')],
};
