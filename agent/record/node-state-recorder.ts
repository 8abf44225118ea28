/**
 * The rpc pack's numbers into the metric store: the node's state after each poll that answered, and
 * its absence (not its last value) after one that did not, so a dashboard never shows a stale height
 * as current. bitcoin_p2p_peers, which the net pack's tracepoints also move, is set from getpeerinfo
 * at every poll and left alone when RPC fails.
 */
import type { KeyOfKind, MetricKey } from '../../probes/metrics.js';
import type { NodeState } from '../rpc/node-state.js';
import type { PollOutcomes } from '../rpc/poller.js';
import type { MetricStore } from './store.js';

/** The series a poll sets and a failed poll removes. */
const STATE: readonly MetricKey[] = [
  'chainBlocks',
  'chainHeaders',
  'verificationProgress',
  'initialBlockDownload',
  'sizeOnDisk',
  'pruned',
  'mempoolTransactions',
  'mempoolVsize',
  'mempoolUsage',
  'mempoolMax',
  'mempoolMinFee',
  'mempoolTotalFee',
  'peersByNetwork',
  'uptime',
  'netReceived',
  'netSent',
  'bannedPeers',
  'nodeWarning',
  'chainTips',
  'inactiveBranchLength',
  'nodeInfo',
];

/** The state gauges with no label but node. */
type PlainGauge = Extract<
  KeyOfKind<'gauge'>,
  | 'chainBlocks'
  | 'chainHeaders'
  | 'verificationProgress'
  | 'initialBlockDownload'
  | 'sizeOnDisk'
  | 'pruned'
  | 'mempoolTransactions'
  | 'mempoolVsize'
  | 'mempoolUsage'
  | 'mempoolMax'
  | 'mempoolMinFee'
  | 'mempoolTotalFee'
  | 'uptime'
  | 'bannedPeers'
  | 'nodeWarning'
  | 'inactiveBranchLength'
>;

export class NodeStateRecorder implements PollOutcomes {
  constructor(private readonly store: MetricStore) {}

  /** A poll answered: every state series replaced by this poll's. */
  answered(state: NodeState, seconds: number): void {
    this.forget();
    const set = (metric: PlainGauge, value: number) => this.store.set(metric, {}, value);
    const flag = (b: boolean) => (b ? 1 : 0);
    set('chainBlocks', state.blocks);
    set('chainHeaders', state.headers);
    set('verificationProgress', state.verificationProgress);
    set('initialBlockDownload', flag(state.initialBlockDownload));
    set('sizeOnDisk', state.sizeOnDisk);
    set('pruned', flag(state.pruned));
    set('mempoolTransactions', state.mempool.transactions);
    set('mempoolVsize', state.mempool.vsize);
    set('mempoolUsage', state.mempool.usage);
    set('mempoolMax', state.mempool.max);
    set('mempoolMinFee', state.mempool.minFeeSatPerVbyte);
    set('mempoolTotalFee', state.mempool.totalFeeSat);
    set('uptime', state.uptimeSeconds);
    set('bannedPeers', state.banned);
    set('nodeWarning', flag(state.warning));
    set('inactiveBranchLength', state.inactiveBranchMax);
    this.store.setTotal('netReceived', {}, state.bytesReceived);
    this.store.setTotal('netSent', {}, state.bytesSent);
    for (const { direction, network, count } of state.peersByNetwork.values())
      this.store.set('peersByNetwork', { direction, network }, count);
    for (const [status, count] of state.tips) this.store.set('chainTips', { status }, count);
    const { version, subversion, chain, protocolVersion } = state.info;
    this.store.set(
      'nodeInfo',
      { version: String(version), subversion, chain, protocol_version: String(protocolVersion) },
      1,
    );
    // The tracepoints' gauge, known from the first poll rather than from the first connection opened.
    this.store.set('peers', { direction: 'inbound' }, state.peers.inbound);
    this.store.set('peers', { direction: 'outbound' }, state.peers.outbound);
    this.store.set('rpcUp', {}, 1);
    this.store.set('rpcDuration', {}, seconds);
  }

  /** RPC does not answer (or is not asked: no credential since bitcoind stopped): the state is unknown, so absent. */
  down(seconds?: number): void {
    this.forget();
    this.store.set('rpcUp', {}, 0);
    if (seconds !== undefined) this.store.set('rpcDuration', {}, seconds);
  }

  /** A poll failed: down, and the failure counted. */
  failed(method: string, code: string, seconds: number): void {
    this.down(seconds);
    this.store.add('rpcErrors', { method, code }, 1);
  }

  /** RPC is off or has no credential: nothing of the pack is shown. */
  off(): void {
    this.forget();
    this.store.clear('rpcUp');
    this.store.clear('rpcDuration');
  }

  private forget(): void {
    for (const metric of STATE) this.store.clear(metric);
  }
}
