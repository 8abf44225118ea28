/**
 * Finding a node's RPC as bitcoind would: defaults per network, the command line over the file,
 * network sections, includeconf, the data directory's rules and the cookie's place.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { parseConf } from '../../agent/rpc/bitcoin-conf.js';
import { DEFAULT_RPC_PORT, discover, NETWORKS, type ProcessView } from '../../agent/rpc/discovery.js';

function view(args: string[], files: Record<string, string> = {}, home: string | undefined = '/home/btc'): ProcessView {
  return { args, cwd: '/srv/node', home, readFile: (p) => files[p] };
}

test('bitcoin.conf: sections, section.key, comments anywhere, negations, whitespace', () => {
  const entries = parseConf(
    [
      '# a comment',
      'server = 1   # trailing comment',
      'regtest.rpcport=1234',
      'nolisten=1',
      '[regtest]',
      '  rpcport=5555',
      '[main]',
      'rpcport=9999',
    ].join('\n'),
  );
  assert.deepEqual(entries, [
    { section: '', key: 'server', value: '1' },
    { section: 'regtest', key: 'rpcport', value: '1234' },
    { section: '', key: 'listen', value: '0' },
    { section: 'regtest', key: 'rpcport', value: '5555' },
    { section: 'main', key: 'rpcport', value: '9999' },
  ]);
  assert.throws(() => parseConf('just words'), /line 1/);
});

test('defaults: ~/.bitcoin of the process user, the network directory, the port and the cookie of each network', () => {
  const flags: Record<string, string[]> = {
    main: [],
    test: ['-testnet'],
    testnet4: ['-testnet4'],
    signet: ['-signet'],
    regtest: ['-regtest'],
  };
  const sub: Record<string, string> = {
    main: '',
    test: 'testnet3/',
    testnet4: 'testnet4/',
    signet: 'signet/',
    regtest: 'regtest/',
  };
  for (const network of NETWORKS) {
    const rpc = discover(view(flags[network] as string[]));
    assert.equal(rpc.network, network);
    assert.equal(rpc.port, DEFAULT_RPC_PORT[network]);
    assert.equal(rpc.datadir, '/home/btc/.bitcoin');
    assert.deepEqual(rpc.auth, { kind: 'cookie', path: `/home/btc/.bitcoin/${sub[network]}.cookie` });
    assert.equal(rpc.host, '127.0.0.1');
    assert.equal(rpc.server, true);
  }
  assert.deepEqual(
    [8332, 18332, 48332, 38332, 18443],
    NETWORKS.map((n) => DEFAULT_RPC_PORT[n]),
  );
  assert.equal(discover(view(['-chain=test'])).network, 'test');
  assert.equal(discover(view(['-chain=regtest'])).port, 18443);
  // No HOME at all: bitcoind falls back to /.bitcoin.
  assert.equal(discover({ ...view([]), home: undefined }).datadir, '/.bitcoin');
});

test('a relative -datadir is taken from the working directory; -conf from the data directory; -rpccookiefile from the network directory', () => {
  const rpc = discover(
    view(['-datadir=data', '-conf=node.conf', '-regtest'], {
      '/srv/node/data/node.conf': 'rpccookiefile=auth/cookie\n',
    }),
  );
  assert.equal(rpc.datadir, '/srv/node/data');
  assert.deepEqual(rpc.confFiles, ['/srv/node/data/node.conf']);
  assert.deepEqual(rpc.auth, { kind: 'cookie', path: '/srv/node/data/regtest/auth/cookie' });
  const absolute = discover(view(['-datadir=/d', '-rpccookiefile=/run/btc.cookie']));
  assert.deepEqual(absolute.auth, { kind: 'cookie', path: '/run/btc.cookie' });
});

test('the command line wins over the file; in the file the first value wins, the network section over the top', () => {
  const files = {
    '/d/bitcoin.conf': [
      'regtest=1',
      'rpccookiefile=top',
      'rpccookiefile=second',
      '[regtest]',
      'rpcport=20000',
      'rpccookiefile=sectioned',
    ].join('\n'),
  };
  const fromFile = discover(view(['-datadir=/d'], files));
  assert.equal(fromFile.network, 'regtest');
  assert.equal(fromFile.port, 20000);
  assert.deepEqual(fromFile.auth, { kind: 'cookie', path: '/d/regtest/sectioned' });
  const overridden = discover(view(['-datadir=/d', '-rpcport=1', '-rpcport=30000', '-rpccookiefile=cli'], files));
  assert.equal(overridden.port, 30000, 'on the command line the last value wins');
  assert.deepEqual(overridden.auth, { kind: 'cookie', path: '/d/regtest/cli' });
});

test('network sections apply only to their network; rpcport at the top of the file applies only on mainnet', () => {
  const files = {
    '/d/bitcoin.conf': ['rpcport=7000', '[test]', 'rpcport=7001', '[regtest]', 'rpcport=7002'].join('\n'),
  };
  assert.equal(discover(view(['-datadir=/d'], files)).port, 7000);
  assert.equal(discover(view(['-datadir=/d', '-testnet'], files)).port, 7001);
  assert.equal(discover(view(['-datadir=/d', '-regtest'], files)).port, 7002);
  assert.equal(discover(view(['-datadir=/d', '-signet'], files)).port, 38332, 'top-level rpcport is mainnet only');
  // The command line may prefix a network too.
  assert.equal(discover(view(['-datadir=/d', '-regtest', '-regtest.rpcport=7100'], files)).port, 7100);
  assert.equal(discover(view(['-datadir=/d', '-signet', '-regtest.rpcport=7100'], files)).port, 38332);
});

test('includeconf: followed from the main file (relative to the data directory), one level only, after the main file', () => {
  const files = {
    '/d/bitcoin.conf': [
      'includeconf=extra.conf',
      'rpccookiefile=main-wins',
      '[regtest]',
      'includeconf=/etc/rt.conf',
    ].join('\n'),
    '/d/extra.conf': ['regtest=1', 'rpccookiefile=ignored', 'includeconf=never.conf'].join('\n'),
    '/etc/rt.conf': '[regtest]\nrpcport=18999\n',
    '/d/never.conf': 'rpcport=1\n',
  };
  const rpc = discover(view(['-datadir=/d', '-regtest'], files));
  assert.deepEqual(rpc.confFiles, ['/d/bitcoin.conf', '/d/extra.conf', '/etc/rt.conf']);
  assert.equal(rpc.port, 18999);
  assert.deepEqual(rpc.auth, { kind: 'cookie', path: '/d/regtest/main-wins' });
  // An included file cannot choose the network: it is read after the network is chosen.
  assert.equal(discover(view(['-datadir=/d'], files)).network, 'main');
});

test('-server=0 (or noserver) turns RPC off; rpcpassword means no cookie; -norpccookiefile means neither', () => {
  assert.equal(discover(view(['-server=0'])).server, false);
  assert.equal(discover(view(['-noserver'])).server, false);
  assert.equal(discover(view(['-datadir=/d'], { '/d/bitcoin.conf': 'server=0\n' })).server, false);
  assert.equal(discover(view(['-datadir=/d', '-server=1'], { '/d/bitcoin.conf': 'server=0\n' })).server, true);
  assert.deepEqual(discover(view(['-rpcuser=u', '-rpcpassword=p'])).auth, {
    kind: 'password',
    user: 'u',
    password: 'p',
  });
  assert.deepEqual(discover(view(['-datadir=/d'], { '/d/bitcoin.conf': 'rpcuser=a\nrpcpassword=b\n' })).auth, {
    kind: 'password',
    user: 'a',
    password: 'b',
  });
  assert.equal(discover(view(['-norpccookiefile'])).auth.kind, 'none');
});

test('a datadir in the file applies when the command line gives none; -rpcbind names the address to connect to', () => {
  const rpc = discover(view([], { '/home/btc/.bitcoin/bitcoin.conf': 'datadir=/data/btc\n' }));
  assert.equal(rpc.datadir, '/data/btc');
  assert.deepEqual(rpc.auth, { kind: 'cookie', path: '/data/btc/.cookie' });
  assert.equal(discover(view(['-rpcbind=10.0.0.5:9000'])).host, '10.0.0.5');
  assert.equal(discover(view(['-rpcbind=10.0.0.5:9000'])).port, 9000);
  assert.equal(discover(view(['-rpcbind=0.0.0.0'])).host, '127.0.0.1');
  assert.equal(discover(view(['-rpcbind=[::1]:9001'])).host, '::1');
  // Options stop at the first argument that is not one.
  assert.equal(discover(view(['-regtest', 'getinfo', '-testnet'])).network, 'regtest');
});
