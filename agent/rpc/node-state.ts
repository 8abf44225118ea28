/**
 * The RPC answers of one poll read into the node's state: plain numbers and bounded label values,
 * ready to become gauges. Pure, so what each field means (units, the forms an answer takes on
 * different releases) is tested without a node.
 */
import type { RpcCall } from './client.js';

/** The batch of every poll, in the order readNodeState expects the answers. */
export const POLL: readonly RpcCall[] = [
  { method: 'getblockchaininfo' },
  { method: 'getmempoolinfo' },
  { method: 'getnetworkinfo' },
  { method: 'getpeerinfo' },
  { method: 'uptime' },
  { method: 'getnettotals' },
  { method: 'listbanned' },
  { method: 'getchaintips' },
];

export const TIP_STATUSES = ['active', 'valid-fork', 'valid-headers', 'headers-only', 'invalid'] as const;

/** getpeerinfo's `network` as the connection counters label it (net pack), so the two can be joined. */
const NETWORK_LABEL: Record<string, string> = {
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  onion: 'onion',
  i2p: 'i2p',
  cjdns: 'cjdns',
  not_publicly_routable: 'unroutable',
  internal: 'internal',
};

export interface NodeState {
  blocks: number;
  headers: number;
  verificationProgress: number;
  initialBlockDownload: boolean;
  sizeOnDisk: number;
  pruned: boolean;
  mempool: {
    transactions: number;
    vsize: number;
    usage: number;
    max: number;
    minFeeSatPerVbyte: number;
    totalFeeSat: number;
  };
  peers: { inbound: number; outbound: number };
  /** Peers by "direction network" (both label values). */
  peersByNetwork: Map<string, { direction: string; network: string; count: number }>;
  uptimeSeconds: number;
  bytesReceived: number;
  bytesSent: number;
  banned: number;
  warning: boolean;
  tips: Map<string, number>;
  inactiveBranchMax: number;
  info: { version: number; subversion: string; chain: string; protocolVersion: number };
}

/** An answer that is not what bitcoind sends: the poll counts as failed rather than exporting nonsense. */
export class AnswerError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

function obj(method: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new AnswerError(method, `${method}: not an object`);
  return v as Obj;
}

function num(method: string, o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new AnswerError(method, `${method}: ${key} is not a number`);
  return v;
}

function list(method: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new AnswerError(method, `${method}: not a list`);
  return v;
}

/** A string before v28, a list of strings from v28 (and with -deprecatedrpc=warnings, a string again). */
function hasWarning(v: unknown): boolean {
  if (typeof v === 'string') return v.trim() !== '';
  return Array.isArray(v) && v.some((w) => typeof w === 'string' && w.trim() !== '');
}

/** BTC (an amount with at most 8 decimals) to whole satoshis, without floating-point dust. */
const sats = (btc: number) => Math.round(btc * 1e8);

export function readNodeState(answers: readonly unknown[]): NodeState {
  const [chainA, mempoolA, networkA, peersA, uptimeA, totalsA, bannedA, tipsA] = answers;
  const chain = obj('getblockchaininfo', chainA);
  const mempool = obj('getmempoolinfo', mempoolA);
  const network = obj('getnetworkinfo', networkA);
  const totals = obj('getnettotals', totalsA);
  const peers = { inbound: 0, outbound: 0 };
  const byNetwork = new Map<string, { direction: string; network: string; count: number }>();
  for (const p of list('getpeerinfo', peersA)) {
    const peer = obj('getpeerinfo', p);
    const direction = peer.inbound === true ? 'inbound' : 'outbound';
    peers[direction]++;
    // `network` is there from v0.21; without it, nothing is labelled by network.
    if (typeof peer.network !== 'string') continue;
    const net = NETWORK_LABEL[peer.network] ?? 'other';
    const key = `${direction} ${net}`;
    const entry = byNetwork.get(key) ?? { direction, network: net, count: 0 };
    entry.count++;
    byNetwork.set(key, entry);
  }
  const tips = new Map<string, number>();
  let inactiveBranchMax = 0;
  for (const t of list('getchaintips', tipsA)) {
    const tip = obj('getchaintips', t);
    const status = (TIP_STATUSES as readonly unknown[]).includes(tip.status) ? (tip.status as string) : 'other';
    tips.set(status, (tips.get(status) ?? 0) + 1);
    if (status !== 'active') inactiveBranchMax = Math.max(inactiveBranchMax, num('getchaintips', tip, 'branchlen'));
  }
  if (typeof uptimeA !== 'number') throw new AnswerError('uptime', 'uptime: not a number');
  return {
    blocks: num('getblockchaininfo', chain, 'blocks'),
    headers: num('getblockchaininfo', chain, 'headers'),
    verificationProgress: num('getblockchaininfo', chain, 'verificationprogress'),
    initialBlockDownload: chain.initialblockdownload === true,
    sizeOnDisk: num('getblockchaininfo', chain, 'size_on_disk'),
    pruned: chain.pruned === true,
    mempool: {
      transactions: num('getmempoolinfo', mempool, 'size'),
      vsize: num('getmempoolinfo', mempool, 'bytes'),
      usage: num('getmempoolinfo', mempool, 'usage'),
      max: num('getmempoolinfo', mempool, 'maxmempool'),
      // BTC per 1,000 vbytes to sat per vbyte: 1e8 / 1e3.
      minFeeSatPerVbyte: Math.round(num('getmempoolinfo', mempool, 'mempoolminfee') * 1e8) / 1e3,
      totalFeeSat: typeof mempool.total_fee === 'number' ? sats(mempool.total_fee) : 0,
    },
    peers,
    peersByNetwork: byNetwork,
    uptimeSeconds: uptimeA,
    bytesReceived: num('getnettotals', totals, 'totalbytesrecv'),
    bytesSent: num('getnettotals', totals, 'totalbytessent'),
    banned: list('listbanned', bannedA).length,
    warning: hasWarning(network.warnings) || hasWarning(chain.warnings),
    tips,
    inactiveBranchMax,
    info: {
      version: num('getnetworkinfo', network, 'version'),
      subversion: typeof network.subversion === 'string' ? network.subversion : '',
      chain: typeof chain.chain === 'string' ? chain.chain : '',
      protocolVersion: num('getnetworkinfo', network, 'protocolversion'),
    },
  };
}
