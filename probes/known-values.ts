/**
 * The known value sets of the Bitcoin Core packs' labels. Strings that come from the network or from
 * free text in bitcoind become a label value only when they are one of these; anything else is
 * "other", so no peer can grow the number of series. The sets follow Bitcoin Core's source; values
 * only some releases have are `added` for those releases.
 */
import type { CodeLabel, KnownLabel } from './catalogue.js';

function identity(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v) => [v, v]));
}

/** P2P message types bitcoind sends or accepts (protocol.h); a peer may send any 12-byte command. */
export const MSG_TYPES = [
  'version',
  'verack',
  'addr',
  'addrv2',
  'sendaddrv2',
  'inv',
  'getdata',
  'merkleblock',
  'getblocks',
  'getheaders',
  'tx',
  'headers',
  'block',
  'getaddr',
  'mempool',
  'ping',
  'pong',
  'notfound',
  'filterload',
  'filteradd',
  'filterclear',
  'sendheaders',
  'feefilter',
  'sendcmpct',
  'cmpctblock',
  'getblocktxn',
  'blocktxn',
  'getcfilters',
  'cfilter',
  'getcfheaders',
  'cfheaders',
  'getcfcheckpt',
  'cfcheckpt',
  'wtxidrelay',
  'sendtxrcncl',
] as const;

/** Connection types as bitcoind names them (ConnectionTypeAsString). */
export const CONN_TYPES = [
  'inbound',
  'outbound-full-relay',
  'manual',
  'feeler',
  'block-relay-only',
  'addr-fetch',
] as const;

/** Why a transaction left the mempool (MemPoolRemovalReason). */
export const REMOVAL_REASONS = ['expiry', 'sizelimit', 'reorg', 'block', 'conflict', 'replaced'] as const;

/**
 * Rejection reasons (the reject reason of bitcoind's validation state) an operator acts on. Reasons
 * with details appended (script failures) and rare ones count as "other".
 */
export const REJECTION_REASONS = [
  'insufficient fee',
  'min relay fee not met',
  'mempool min fee not met',
  'mempool full',
  'txn-mempool-conflict',
  'txn-already-in-mempool',
  'txn-already-known',
  'txn-same-nonwitness-data-in-mempool',
  'bad-txns-inputs-missingorspent',
  'bad-txns-premature-spend-of-coinbase',
  'bad-txns-nonstandard-inputs',
  'bad-witness-nonstandard',
  'non-final',
  'non-BIP68-final',
  'too-long-mempool-chain',
  'too many potential replacements',
  'replacement-adds-unconfirmed',
  'dust',
  'tx-size',
  'tx-size-small',
  'scriptpubkey',
  'scriptsig-size',
  'scriptsig-not-pushonly',
  'version',
  'datacarrier',
  'bare-multisig',
  'bad-txns-too-many-sigops',
  'coinbase',
] as const;

export const MSG_TYPE: KnownLabel<'msg_type'> = { arg: 'msg_type', values: identity(MSG_TYPES), otherwise: 'other' };

export const CONN_TYPE: KnownLabel<'conn_type'> = {
  arg: 'conn_type',
  values: identity(CONN_TYPES),
  otherwise: 'other',
  // Outbound connections that only broadcast this node's own transactions (v31, PR #29415).
  added: [{ in: { from: 'v31' }, values: identity(['private-broadcast']) }],
};

/** inbound for inbound connections, outbound for every other type. */
export const DIRECTION: KnownLabel<'conn_type'> = {
  arg: 'conn_type',
  values: { inbound: 'inbound' },
  otherwise: 'outbound',
};

/** The Network enum (netaddress.h): loopback and other unroutable addresses are 0. */
export const NETWORK: CodeLabel<'network'> = {
  arg: 'network',
  codes: { 0: 'unroutable', 1: 'ipv4', 2: 'ipv6', 3: 'onion', 4: 'i2p', 5: 'cjdns', 6: 'internal' },
  otherwise: 'other',
};

export const REMOVAL_REASON: KnownLabel<'reason'> = {
  arg: 'reason',
  values: identity(REMOVAL_REASONS),
  otherwise: 'other',
};

export const REJECTION_REASON: KnownLabel<'reason'> = {
  arg: 'reason',
  values: identity(REJECTION_REASONS),
  otherwise: 'other',
  match: 'agent',
};

/**
 * FlushStateMode (validation.h). v31 renamed 3 ALWAYS to FORCE_FLUSH, a flush that empties the cache
 * as ALWAYS did: it stays "always". Its new 4, FORCE_SYNC (gettxoutsetinfo, scantxoutset,
 * dumptxoutset), writes the cache and keeps it: "force_sync" (PR #33680).
 */
export const FLUSH_MODE: CodeLabel<'mode'> = {
  arg: 'mode',
  codes: { 0: 'none', 1: 'if_needed', 2: 'periodic', 3: 'always' },
  otherwise: 'other',
  added: [{ in: { from: 'v31' }, codes: { 4: 'force_sync' } }],
};

/**
 * The coin selection algorithm of a wallet transaction (GetAlgorithmName): branch and bound,
 * knapsack, single random draw, inputs the caller chose, and from v27 CoinGrinder.
 */
export const ALGORITHM: KnownLabel<'algorithm'> = {
  arg: 'algorithm',
  values: identity(['bnb', 'knapsack', 'srd', 'manual']),
  otherwise: 'other',
  added: [{ in: { from: 'v27' }, values: identity(['cg']) }],
};
