/**
 * The poll loop against an HTTP server that answers as bitcoind does (Basic auth, JSON-RPC batches):
 * warming up waited for, a failure said once per change of state and counted per poll, the state
 * absent (not stale) while RPC fails, the release RPC reports checked once against the binary's, a
 * lost credential being RPC down; and no credential in any log line.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import test from 'node:test';
import { NodeStateRecorder } from '../../agent/record/node-state-recorder.js';
import { MetricStore } from '../../agent/record/store.js';
import { RpcPoller } from '../../agent/rpc/poller.js';
import { METRICS, type MetricDef, type MetricKey } from '../../probes/metrics.js';
import { eventually } from '../helpers/agent.js';

const PASSWORD = `sekrit-${Math.random().toString(16).slice(2)}`;

type Mode = 'warmup' | 'ok' | 'unauthorized';

const RESULTS: Record<string, unknown> = {
  getblockchaininfo: {
    chain: 'main',
    blocks: 10,
    headers: 12,
    verificationprogress: 1,
    initialblockdownload: false,
    size_on_disk: 1000,
    pruned: false,
    warnings: [],
  },
  getmempoolinfo: { size: 1, bytes: 200, usage: 900, maxmempool: 300e6, mempoolminfee: 0.00001, total_fee: 0.0001 },
  getnetworkinfo: { version: 280100, subversion: '/Satoshi:28.1.0/', protocolversion: 70016, warnings: [] },
  getpeerinfo: [{ inbound: false, network: 'ipv4' }],
  uptime: 60,
  getnettotals: { totalbytesrecv: 5, totalbytessent: 6 },
  listbanned: [],
  getchaintips: [{ status: 'active', branchlen: 0 }],
};

/** A bitcoind's RPC in the mode the test sets; counts the requests it answered. */
async function fakeNode(): Promise<{ server: Server; url: string; mode: Mode; requests: number }> {
  const state = { server: undefined as unknown as Server, url: '', mode: 'warmup' as Mode, requests: 0 };
  state.server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      state.requests++;
      const expected = `Basic ${Buffer.from(`__cookie__:${PASSWORD}`).toString('base64')}`;
      if (state.mode === 'unauthorized' || req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      const calls = JSON.parse(body) as { id: number; method: string }[];
      const replies = calls.map((c) =>
        state.mode === 'warmup'
          ? { id: c.id, result: null, error: { code: -28, message: 'Loading block index…' } }
          : { id: c.id, result: RESULTS[c.method], error: null },
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(replies));
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  const { port } = state.server.address() as { port: number };
  state.url = `http://127.0.0.1:${port}/`;
  return state;
}

function logger() {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARNING'), error: at('ERROR') };
}

function value(store: MetricStore, metric: MetricKey, labels: Record<string, string> = {}): number | undefined {
  for (const s of store.shown(metric)) {
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return store.values(s)[0];
  }
  return undefined;
}

test('the poll loop: warm-up waited for, failures said once and counted, the state absent while down, the release checked once', async () => {
  const node = await fakeNode();
  const store = new MetricStore('n');
  const log = logger();
  const poller = new RpcPoller(50, new NodeStateRecorder(store), log);
  const said = (re: RegExp) => log.lines.filter((l) => re.test(l)).length;
  let refused = 0;
  poller.onRefused = () => refused++;
  try {
    poller.setBuild('v30');
    poller.setEndpoint({ state: 'ready', url: node.url, username: '__cookie__', password: PASSWORD, via: 'cookie /x' });
    await eventually(async () => assert.ok(node.requests >= 4));
    assert.equal(value(store, 'rpcUp'), 0, 'warming up is not up');
    assert.equal(value(store, 'chainBlocks'), undefined);
    assert.equal([...store.shown('rpcErrors')].length, 0, 'warming up is waited for, not counted');
    assert.equal(said(/warming up \(.*Loading block index/), 1);

    node.mode = 'ok';
    await eventually(async () => assert.equal(value(store, 'rpcUp'), 1));
    assert.equal(value(store, 'chainBlocks'), 10);
    assert.equal(value(store, 'chainHeaders'), 12);
    assert.equal(value(store, 'peers', { direction: 'outbound' }), 1);
    assert.equal(value(store, 'mempoolTotalFee'), 10_000);
    assert.equal(said(/RPC pack: bitcoind answers \(\/Satoshi:28\.1\.0\/\)/), 1);
    assert.equal(refused, 0, 'warming up and answering refuse nothing');
    const polls = node.requests;
    await eventually(async () => assert.ok(node.requests >= polls + 3));
    assert.equal(said(/^WARNING bitcoind reports release v28 over RPC, but its binary was told as v30/), 1, 'once');

    node.mode = 'unauthorized';
    await eventually(async () =>
      assert.ok((value(store, 'rpcErrors', { method: 'batch', code: 'http_401' }) ?? 0) >= 3),
    );
    assert.equal(value(store, 'rpcUp'), 0);
    assert.equal(value(store, 'chainBlocks'), undefined, 'absent, not stale');
    assert.equal(value(store, 'peers', { direction: 'outbound' }), 1, "the tracepoints' gauge is left alone");
    assert.equal(said(/refused the credentials \(HTTP 401; credential: cookie \/x\)/), 1);
    // Each refusal asks the supervisor to read the credential again: the watch may have missed a new one.
    assert.equal(refused, value(store, 'rpcErrors', { method: 'batch', code: 'http_401' }));

    node.mode = 'ok';
    await eventually(async () => assert.equal(value(store, 'rpcUp'), 1));
    assert.equal(said(/bitcoind answers again/), 1);

    // bitcoind stopped and removed its cookie: RPC is down; a node never reachable is the pack off.
    poller.setEndpoint({ state: 'waiting', why: 'waiting for the RPC credential /x (no such file)' });
    assert.equal(value(store, 'rpcUp'), 0);
    assert.equal(value(store, 'chainBlocks'), undefined);
    poller.setEndpoint({ state: 'off', why: 'bitcoind runs with -server=0: RPC is off' });
    assert.equal(value(store, 'rpcUp'), undefined);
    assert.equal(said(/RPC is off/), 1);
    assert.ok(!log.lines.some((l) => l.includes(PASSWORD)), 'no credential in the log');
  } finally {
    poller.stop();
    node.server.close();
  }
});

test('a pack that never had a credential shows nothing; every rpc metric is labelled by node', () => {
  const store = new MetricStore('n');
  const poller = new RpcPoller(50, new NodeStateRecorder(store), logger());
  poller.setEndpoint({ state: 'waiting', why: 'waiting for the RPC credential /root/.bitcoin/.cookie (no such file)' });
  assert.equal(value(store, 'rpcUp'), undefined);
  poller.stop();
  for (const def of Object.values(METRICS) as MetricDef[])
    if (def.rpc) assert.ok(def.labels.includes('node'), def.name);
});
