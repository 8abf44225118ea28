/**
 * The rpc pack on a real bitcoind (v30) in regtest, the agent given nothing but the binary and the
 * process: it finds RPC and the cookie as bitcoind does (a non-default -datadir and -rpcport, a -conf
 * whose [regtest] section moves the cookie), every gauge equals what bitcoin-cli says, the node
 * dashboard's every query returns data, a restart's new cookie is read within an interval; wrong
 * credentials, an unreachable port and -server=0 each give one line, and a credential changed where
 * the watch cannot see it is read again at the next refused poll; no credential ever shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboard } from '../../docker/grafana/dashboard.js';
import { NODE as NODE_DASHBOARD } from '../../docker/grafana/node.js';
import { AgentProc, eventually, freePort } from '../helpers/agent.js';
import { bitcoindTest, privateCopy } from '../helpers/bitcoind.js';
import { assertDashboardsHaveData, assertRulesHealthy, scrapingPrometheus } from '../helpers/dashboard-queries.js';
import { ebpfUnavailable } from '../helpers/ebpf.js';
import { type Exposition, parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { regtestWif } from '../helpers/keys.js';
import { childrenOf, cmdline } from '../helpers/procs.js';
import type { Prometheus } from '../helpers/prometheus.js';
import { RegtestNode } from '../helpers/regtest.js';

const INTERVAL = 0.5;
const NODE = 'rpcnode';
const reg = { node: NODE };

/** The agent as an operator starts it on a node: the binary and the process; a short interval for the test. */
function agentOn(binary: string, pid: number, node = NODE, more: string[] = []): Promise<AgentProc> {
  return AgentProc.start(['-b', binary, '-p', String(pid), '-n', node, '--rpc-interval', String(INTERVAL), ...more]);
}

/** How often the agent's log has said something. */
const count = (agent: AgentProc, re: RegExp) => agent.output.split('\n').filter((l) => re.test(l)).length;

/** Every process of the agent: the supervisor, the metrics process, bpftrace and what they started. */
function agentProcesses(agent: AgentProc): number[] {
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const c of childrenOf(pid)) visit(c.pid);
  };
  visit(agent.child.pid as number);
  return out;
}

interface Cli {
  chain: Record<string, unknown>;
  mempool: Record<string, number>;
  network: Record<string, unknown>;
  peers: { inbound: boolean; network: string }[];
  uptime: number;
  totals: Record<string, number>;
  banned: unknown[];
  tips: { status: string; branchlen: number }[];
}

async function askCli(node: RegtestNode): Promise<Cli> {
  const [chain, mempool, network, peers, uptime, totals, banned, tips] = await Promise.all(
    [
      'getblockchaininfo',
      'getmempoolinfo',
      'getnetworkinfo',
      'getpeerinfo',
      'uptime',
      'getnettotals',
      'listbanned',
      'getchaintips',
    ].map((m) => node.rpc(m)),
  );
  return { chain, mempool, network, peers, uptime, totals, banned, tips } as Cli;
}

const nonEmpty = (w: unknown) => (Array.isArray(w) ? w.length > 0 : typeof w === 'string' && w !== '');

/** Every gauge of the pack against bitcoin-cli's answer of the same moment. */
function assertMatches(e: Exposition, cli: Cli): void {
  const at = (name: string, labels: Record<string, string> = {}) => sample(e, name, { ...reg, ...labels });
  assert.equal(at('bitcoin_rpc_up'), 1);
  assert.equal(at('bitcoin_chain_blocks'), cli.chain.blocks);
  assert.equal(at('bitcoin_chain_headers'), cli.chain.headers);
  assert.ok(
    Math.abs((at('bitcoin_chain_verification_progress_ratio') as number) - (cli.chain.verificationprogress as number)) <
      1e-3,
  );
  assert.equal(at('bitcoin_chain_initial_block_download'), cli.chain.initialblockdownload ? 1 : 0);
  assert.equal(at('bitcoin_chain_size_on_disk_bytes'), cli.chain.size_on_disk);
  assert.equal(at('bitcoin_chain_pruned'), cli.chain.pruned ? 1 : 0);
  assert.equal(at('bitcoin_mempool_transactions'), cli.mempool.size);
  assert.equal(at('bitcoin_mempool_vsize_bytes'), cli.mempool.bytes);
  assert.equal(at('bitcoin_mempool_memory_usage_bytes'), cli.mempool.usage);
  assert.equal(at('bitcoin_mempool_memory_max_bytes'), cli.mempool.maxmempool);
  assert.equal(
    at('bitcoin_mempool_min_fee_rate_sat_per_vbyte'),
    Math.round((cli.mempool.mempoolminfee as number) * 1e8) / 1e3,
  );
  assert.equal(at('bitcoin_mempool_fees_satoshis'), Math.round((cli.mempool.total_fee as number) * 1e8));
  const inbound = cli.peers.filter((p) => p.inbound).length;
  assert.equal(at('bitcoin_p2p_peers', { direction: 'inbound' }), inbound);
  assert.equal(at('bitcoin_p2p_peers', { direction: 'outbound' }), cli.peers.length - inbound);
  for (const direction of ['inbound', 'outbound']) {
    const local = cli.peers.filter((p) => (p.inbound ? 'inbound' : 'outbound') === direction);
    // Loopback peers are not publicly routable: labelled as the connection counters label them.
    assert.ok(local.every((p) => p.network === 'not_publicly_routable'));
    assert.equal(at('bitcoin_p2p_peers_by_network', { direction, network: 'unroutable' }), local.length);
  }
  assert.ok(Math.abs((at('bitcoin_uptime_seconds') as number) - cli.uptime) <= 2);
  assert.equal(at('bitcoin_net_received_bytes_total'), cli.totals.totalbytesrecv);
  assert.equal(at('bitcoin_net_sent_bytes_total'), cli.totals.totalbytessent);
  assert.equal(at('bitcoin_banned_peers'), cli.banned.length);
  assert.equal(at('bitcoin_node_warning'), nonEmpty(cli.network.warnings) || nonEmpty(cli.chain.warnings) ? 1 : 0);
  const tips = new Map<string, number>();
  for (const t of cli.tips) tips.set(t.status, (tips.get(t.status) ?? 0) + 1);
  for (const [status, n] of tips) assert.equal(at('bitcoin_chain_tips', { status }), n, status);
  assert.equal(samplesOf(e, 'bitcoin_chain_tips').length, tips.size);
  const inactive = Math.max(0, ...cli.tips.filter((t) => t.status !== 'active').map((t) => t.branchlen));
  assert.equal(at('bitcoin_chain_inactive_branch_max_length'), inactive);
  assert.equal(
    at('bitcoin_node_info', {
      version: String(cli.network.version),
      subversion: String(cli.network.subversion),
      chain: 'regtest',
      protocol_version: String(cli.network.protocolversion),
    }),
    1,
  );
}

bitcoindTest(
  'rpc pack on a real bitcoind found from its process alone: every gauge as bitcoin-cli says, the node dashboard, a restart',
  async (_t, bitcoind) => {
    const missing = ebpfUnavailable();
    if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
    const binary = privateCopy(bitcoind);
    const datadir = mkdtempSync(join(tmpdir(), 'fibre-rpc-node-'));
    // The command line's -rpcport must win over the [regtest] section's; the section moves the cookie.
    writeFileSync(
      join(datadir, 'node.conf'),
      '# read by bitcoind, and by the agent as bitcoind reads it\nserver=1\n[regtest]\nrpcport=1\nrpccookiefile=agent-test.cookie\n',
    );
    const listening = ['-listen=1', '-bind=127.0.0.1'];
    const options = { cookie: true, conf: 'node.conf' };
    const peer = await RegtestNode.start(privateCopy(bitcoind), undefined, listening);
    let node = await RegtestNode.start(binary, datadir, listening, undefined, options);
    const cookieFile = join(datadir, 'regtest', 'agent-test.cookie');
    let agent: AgentProc | undefined;
    let prom: Prometheus | undefined;
    try {
      // --probe-stats: the node dashboard's cost row shows the probes' time in bitcoind (it finds RPC without help).
      agent = await agentOn(binary, node.pid, NODE, ['--probe-stats']);
      const a = agent;
      await a.waitFor(/Waiting for events/);
      await a.waitFor(/RPC pack: bitcoind answers/);
      assert.match(
        a.output,
        new RegExp(`RPC at http://127\\.0\\.0\\.1:${node.rpcport}/ \\(read ${datadir}/node\\.conf\\)`),
      );
      assert.match(a.output, new RegExp(`credential: cookie ${cookieFile}\\)`));

      // Peers both ways, blocks, a spend waiting in the mempool, a ban, and a stale branch of 3 blocks.
      await node.rpc('addnode', `127.0.0.1:${peer.port}`, 'onetry');
      await peer.rpc('addnode', `127.0.0.1:${node.port}`, 'onetry');
      await eventually(async () => {
        const peers = (await node.rpc('getpeerinfo')) as { version: number }[];
        assert.equal(peers.length, 2);
        assert.ok(
          peers.every((p) => p.version),
          'handshakes done',
        );
      }, 20_000);
      const wif = regtestWif('fibre-agent rpc pack');
      const { descriptor } = (await node.rpc('getdescriptorinfo', `wpkh(${wif})`)) as { descriptor: string };
      const [address] = (await node.rpc('deriveaddresses', descriptor)) as string[];
      const mined = (await node.rpc('generatetodescriptor', '101', descriptor)) as string[];
      const stale = (await node.rpc('generatetoaddress', '3', address as string)) as string[];
      await node.rpc('invalidateblock', stale[0] as string);
      // Paid elsewhere, so the new branch's blocks differ from the invalidated ones.
      await node.mine(4);
      await node.rpc('reconsiderblock', stale[0] as string);
      const block = (await node.rpc('getblock', mined[0] as string, '2')) as { tx: { txid: string }[] };
      const raw = (await node.rpc(
        'createrawtransaction',
        JSON.stringify([{ txid: block.tx[0]?.txid, vout: 0 }]),
        JSON.stringify([{ [address as string]: 49.9999 }]),
      )) as string;
      const signed = (await node.rpc('signrawtransactionwithkey', raw, JSON.stringify([wif]))) as { hex: string };
      await node.rpc('sendrawtransaction', signed.hex);
      await node.rpc('setban', '192.0.2.0/24', 'add');

      // After a quiet moment, the same numbers as bitcoin-cli.
      await eventually(async () => assertMatches(parseExposition(await a.metrics()), await askCli(node)), 20_000, 300);
      const e = parseExposition(await a.metrics());
      assert.equal(sample(e, 'bitcoin_chain_inactive_branch_max_length', reg), 3);
      assert.equal(sample(e, 'bitcoin_chain_tips', { ...reg, status: 'valid-fork' }), 1);
      assert.equal(sample(e, 'bitcoin_mempool_transactions', reg), 1);
      assert.equal(sample(e, 'bitcoin_banned_peers', reg), 1);
      assert.equal(sample(e, 'bitcoin_build_info', { ...reg, release: 'v30', semantics: 'v30' }), 1);
      assert.ok((sample(e, 'bitcoin_rpc_duration_seconds', reg) as number) > 0);
      assert.doesNotMatch(a.output, /reports release/, 'RPC and the binary agree on the release');

      // The node dashboard: every query returns data from a real Prometheus; the rules evaluate.
      prom = await scrapingPrometheus(a.port, 16);
      await assertDashboardsHaveData(prom, [buildDashboard(NODE_DASHBOARD)], NODE);
      await assertRulesHealthy(prom);
      await prom.stop();
      prom = undefined;

      // No credential anywhere: not in the log, not on /metrics, not on any command line of the agent.
      const secret = readFileSync(cookieFile, 'utf8').split(':')[1]?.trim() as string;
      assert.ok(secret.length >= 32);
      assert.ok(!a.output.includes(secret), 'the cookie is not in the log');
      assert.ok(!(await a.metrics()).includes(secret), 'the cookie is not on /metrics');
      const procs = agentProcesses(a);
      assert.ok(procs.length >= 3, `supervisor, metrics process and bpftrace: ${procs}`);
      for (const pid of procs)
        assert.ok(!cmdline(pid).includes(secret), `the cookie is not on the command line of ${pid}`);

      // bitcoind restarts with a new cookie: RPC down meanwhile, back within an interval of answering.
      const refusedBefore = count(a, /RPC pack: .*connection refused/);
      await node.stop();
      await eventually(async () => assert.equal(sample(parseExposition(await a.metrics()), 'bitcoin_rpc_up', reg), 0));
      assert.equal(
        sample(parseExposition(await a.metrics()), 'bitcoin_chain_blocks', reg),
        undefined,
        'absent, not stale',
      );
      node = await RegtestNode.start(binary, datadir, listening, undefined, { ...options, rpcport: node.rpcport });
      const answering = Date.now();
      const fresh = readFileSync(cookieFile, 'utf8').split(':')[1]?.trim();
      assert.notEqual(fresh, secret, 'bitcoind wrote a new cookie');
      const n = node;
      await eventually(
        async () => {
          const x = parseExposition(await a.metrics());
          assert.equal(sample(x, 'bitcoin_rpc_up', reg), 1);
          assert.equal(sample(x, 'bitcoin_uptime_seconds', reg), (await n.rpc('uptime')) as number);
        },
        10_000,
        50,
      );
      const back = (Date.now() - answering) / 1000;
      console.log(`# rpc_up back ${back.toFixed(2)} s after the restarted bitcoind answered bitcoin-cli`);
      assert.ok(back <= INTERVAL + 1, `back after ${back}s`);
      assert.ok(count(a, /RPC pack: .*connection refused/) - refusedBefore <= 1, 'at most one line while it was down');
      assert.equal(count(a, /HTTP 401/), 0, 'never the old cookie against the new bitcoind');
      assert.equal(count(a, /RPC pack: bitcoind answers again/), 1);
      await a.waitFor(/Re-attached to bitcoind/);
      assert.ok(!a.output.includes(fresh as string), 'the new cookie is not in the log either');
    } finally {
      await prom?.stop();
      await agent?.stop();
      await node.stop();
      await peer.stop();
    }
  },
);

bitcoindTest(
  'rpc pack failing: wrong credentials, an unreachable port, -server=0: one line each, bitcoin_rpc_up 0, the tracepoints unaffected; a credential the watch missed is read at the next refusal',
  async (_t, bitcoind) => {
    const missing = ebpfUnavailable();
    if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
    const binary = privateCopy(bitcoind);
    const node = await RegtestNode.start(binary);
    const dir = mkdtempSync(join(tmpdir(), 'fibre-rpc-creds-'));
    const wrong = `wrong-${Math.random().toString(16).slice(2)}`;
    writeFileSync(join(dir, 'wrong'), `${wrong}\n`);
    writeFileSync(join(dir, 'right'), 'test\n');
    const closed = await freePort();
    // A bitcoind without RPC: nothing to wait for but its process.
    const offBinary = privateCopy(bitcoind);
    const off = spawn(
      offBinary,
      [
        '-regtest',
        `-datadir=${mkdtempSync(join(tmpdir(), 'fibre-rpc-off-'))}`,
        '-server=0',
        '-listen=0',
        '-printtoconsole=0',
      ],
      { stdio: 'ignore' },
    );
    const agents: AgentProc[] = [];
    try {
      const packs = ['--packs', 'validation,rpc'];
      agents.push(
        await agentOn(binary, node.pid, 'wrongpw', [
          ...packs,
          '--rpc-user',
          'test',
          '--rpc-password-file',
          join(dir, 'wrong'),
        ]),
        await agentOn(binary, node.pid, 'closed', [
          ...packs,
          '--rpc-url',
          `http://127.0.0.1:${closed}/`,
          '--rpc-user',
          'test',
          '--rpc-password-file',
          join(dir, 'right'),
        ]),
        await agentOn(offBinary, off.pid as number, 'serveroff', packs),
      );
      const [wrongPw, unreachable, serverOff] = agents as [AgentProc, AgentProc, AgentProc];
      for (const a of agents) await a.waitFor(/Waiting for events/);
      await wrongPw.waitFor(/refused the credentials \(HTTP 401; credential: password file/);
      await unreachable.waitFor(/RPC pack: bitcoind at http:\/\/127\.0\.0\.1:\d+\/: connection refused/);
      await serverOff.waitFor(/runs with -server=0: RPC is off/);
      // Several polls later: still one line each, the failures counted, the state absent.
      await node.mine(1);
      await new Promise((r) => setTimeout(r, 6 * INTERVAL * 1000));
      assert.equal(count(wrongPw, /RPC pack: .*HTTP 401/), 1);
      assert.equal(count(unreachable, /RPC pack: .*connection refused/), 1);
      assert.equal(count(serverOff, /RPC is off/), 1);
      const expect = async (a: AgentProc, node: string, code: string) => {
        const e = parseExposition(await a.metrics());
        assert.equal(sample(e, 'bitcoin_rpc_up', { node }), 0);
        assert.ok((sample(e, 'bitcoin_rpc_errors_total', { node, method: 'batch', code }) as number) >= 4);
        assert.equal(sample(e, 'bitcoin_chain_blocks', { node }), undefined);
        // The tracepoints carry on: the block mined above was counted.
        assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node }), 1);
      };
      await expect(wrongPw, 'wrongpw', 'http_401');
      await expect(unreachable, 'closed', 'refused');
      const e = parseExposition(await serverOff.metrics());
      assert.equal(sample(e, 'bitcoin_rpc_up', { node: 'serveroff' }), undefined, 'RPC off: nothing of the pack shown');
      assert.ok((sample(e, 'fibre_exporter_probes_attached') as number) > 0);
      for (const a of agents) assert.ok(!a.output.includes(wrong), 'the password is not in the log');
      for (const pid of agentProcesses(wrongPw)) assert.ok(!cmdline(pid).includes(wrong));

      // The password file's directory replaced by one with the right password: the watch, still on the
      // old directory, cannot see it, and the supervisor looks again only hourly while it holds a
      // credential; the next refused poll makes it read the file again.
      renameSync(dir, `${dir}.old`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'wrong'), 'test\n');
      await eventually(async () =>
        assert.equal(sample(parseExposition(await wrongPw.metrics()), 'bitcoin_rpc_up', { node: 'wrongpw' }), 1),
      );
      assert.equal(count(wrongPw, /RPC pack: bitcoind answers/), 1);
    } finally {
      for (const a of agents) await a.stop();
      off.kill('SIGTERM');
      await node.stop();
    }
  },
);
