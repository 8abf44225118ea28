/**
 * RPC answers read into the node's state: units (BTC/kvB to sat/vB, BTC to satoshis), the forms an
 * answer takes on different releases (warnings as a string or a list), peers by direction and network,
 * chain tips; and the release line of RPC's version number against the one told from the binary.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { AnswerError, readNodeState } from '../../agent/rpc/node-state.js';
import { releaseContains, releaseOfVersion } from '../../probes/releases.js';

const chain = {
  chain: 'main',
  blocks: 870000,
  headers: 870002,
  verificationprogress: 0.9999,
  initialblockdownload: false,
  size_on_disk: 700e9,
  pruned: false,
  warnings: '',
};
const mempool = { size: 3, bytes: 600, usage: 4000, maxmempool: 300e6, mempoolminfee: 0.00001, total_fee: 0.00012345 };
const network = { version: 280100, subversion: '/Satoshi:28.1.0/', protocolversion: 70016, warnings: [] };
const peers = [
  { inbound: true, network: 'ipv4' },
  { inbound: false, network: 'onion' },
  { inbound: false, network: 'onion' },
  { inbound: false, network: 'not_publicly_routable' },
  { inbound: true, network: 'something-new' },
];
const tips = [
  { height: 870000, branchlen: 0, status: 'active' },
  { height: 869990, branchlen: 1, status: 'valid-fork' },
  { height: 860000, branchlen: 3, status: 'invalid' },
];
const answers = (): unknown[] => [
  chain,
  mempool,
  network,
  peers,
  1234,
  { totalbytesrecv: 10, totalbytessent: 20 },
  [{}, {}],
  tips,
];

test('a poll read into numbers: units converted, peers and tips counted by their bounded labels', () => {
  const s = readNodeState(answers());
  assert.equal(s.blocks, 870000);
  assert.equal(s.headers, 870002);
  assert.equal(s.mempool.minFeeSatPerVbyte, 1, '0.00001 BTC/kvB is 1 sat/vB');
  assert.equal(s.mempool.totalFeeSat, 12345);
  assert.deepEqual(s.peers, { inbound: 2, outbound: 3 });
  assert.deepEqual([...s.peersByNetwork.values()].map((p) => `${p.direction} ${p.network} ${p.count}`).sort(), [
    'inbound ipv4 1',
    'inbound other 1',
    'outbound onion 2',
    'outbound unroutable 1',
  ]);
  assert.deepEqual(
    [...s.tips],
    [
      ['active', 1],
      ['valid-fork', 1],
      ['invalid', 1],
    ],
  );
  assert.equal(s.inactiveBranchMax, 3, 'an invalid branch is a branch off the active chain too');
  assert.equal(s.banned, 2);
  assert.equal(s.uptimeSeconds, 1234);
  assert.equal(s.warning, false);
  assert.deepEqual(s.info, { version: 280100, subversion: '/Satoshi:28.1.0/', chain: 'main', protocolVersion: 70016 });
});

test('warnings: a string before v28, a list from v28, from either getnetworkinfo or getblockchaininfo', () => {
  const withWarnings = (c: unknown, n: unknown) => {
    const a = answers();
    a[0] = { ...chain, warnings: c };
    a[2] = { ...network, warnings: n };
    return readNodeState(a).warning;
  };
  assert.equal(withWarnings('', ''), false);
  assert.equal(withWarnings('', 'This is a pre-release test build'), true);
  assert.equal(withWarnings(['Unknown new rules activated'], []), true);
  assert.equal(withWarnings(undefined, []), false);
});

test('an answer that is not what bitcoind sends fails the poll, naming the method', () => {
  const a = answers();
  a[1] = { ...mempool, usage: 'lots' };
  assert.throws(
    () => readNodeState(a),
    (e: Error) => e instanceof AnswerError && e.method === 'getmempoolinfo',
  );
  const b = answers();
  b[3] = {};
  assert.throws(() => readNodeState(b), /getpeerinfo: not a list/);
});

test("RPC's version number to a release line, and whether the binary's release contains it", () => {
  assert.equal(releaseOfVersion(310000), 'v31');
  assert.equal(releaseOfVersion(280100), 'v28');
  assert.equal(releaseOfVersion(230200), 'v23');
  assert.equal(releaseOfVersion(299900), 'v30', 'a development build before v30 is the v30 line');
  assert.equal(releaseContains('v31', 'v31'), true);
  assert.equal(releaseContains('v28', 'v31'), false);
  assert.equal(releaseContains('v26–v27', 'v27'), true);
  assert.equal(releaseContains('v26–v27', 'v28'), false);
  assert.equal(releaseContains('newer than v31', 'v32'), true);
  assert.equal(releaseContains('newer than v31', 'v31'), false);
  assert.equal(releaseContains('unknown', 'v20'), true);
});
