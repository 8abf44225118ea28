/**
 * The net, mempool and utxocache packs on every real bitcoind here (v30 from the FIBRE fork, Bitcoin
 * Core v31.0 and v28.0) in regtest, two nodes connected over loopback: what the agent counts must
 * equal what bitcoind itself reports over RPC, whatever the release passes differently.
 */
import assert from 'node:assert/strict';
import { TRACEPOINTS } from '../../probes/catalogue.js';
import { REJECTION_REASONS } from '../../probes/known-values.js';
import { inRelease } from '../../probes/semantics.js';
import { agentOnNode, eventually } from '../helpers/agent.js';
import { privateCopy, REAL_NODES, realNodeTest } from '../helpers/bitcoind.js';
import { ebpfUnavailable } from '../helpers/ebpf.js';
import { type Exposition, parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { regtestWif } from '../helpers/keys.js';
import { RegtestNode } from '../helpers/regtest.js';

/** v1 transport: getpeerinfo's bytes per message type are the payload plus a 24-byte header. */
const V1 = ['-v2transport=0'];
const HEADER_BYTES = 24;

interface Peer {
  id: number;
  bytessent_per_msg: Record<string, number>;
  bytesrecv_per_msg: Record<string, number>;
}

interface MempoolEntry {
  vsize: number;
  fees: { base: number };
}

const sats = (btc: number) => Math.round(btc * 1e8);

/** Every series of a metric by one label's value. */
function byLabel(e: Exposition, name: string, label: string, filter: Record<string, string> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samplesOf(e, name)) {
    if (Object.entries(filter).some(([k, v]) => s.labels[k] !== v)) continue;
    const key = s.labels[label] as string;
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** Connections are traced from v29 (net:inbound_connection and the others). */
const tracesConnections = (release: (typeof REAL_NODES)[number]['release']) =>
  inRelease(TRACEPOINTS.find((t) => t.probe === 'net:outbound_connection') as (typeof TRACEPOINTS)[number], release);

for (const real of REAL_NODES) {
  realNodeTest(
    real,
    `net, mempool and utxocache packs on two real bitcoinds ${real.release}: messages, bytes, connections, transactions and flushes as their RPC reports them`,
    async (t, { bitcoind, cli }) => {
      const missing = ebpfUnavailable();
      if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
      // Each node runs its own copy of the binary: the agent finds its node as the one process of a path.
      const binary = privateCopy(bitcoind);
      const peer = await RegtestNode.start(
        privateCopy(bitcoind),
        undefined,
        [...V1, '-listen=1', '-bind=127.0.0.1'],
        cli,
      );
      const node = await RegtestNode.start(binary, undefined, V1, cli);
      const agent = await agentOnNode(binary, node.pid, 'regtest');
      try {
        await agent.waitFor(/Waiting for events/);
        const metrics = async () => parseExposition(await agent.metrics());
        const reg = { node: 'regtest' };
        assert.equal(
          sample(await metrics(), 'bitcoin_build_info', { ...reg, release: real.release, semantics: real.release }),
          1,
        );

        // A connection opened by the agent's node: outbound, manual, over loopback (unroutable).
        await node.rpc('addnode', `127.0.0.1:${peer.port}`, 'onetry');
        await eventually(async () => {
          const peers = (await node.rpc('getpeerinfo')) as (Peer & { version: number })[];
          assert.equal(peers.length, 1);
          assert.ok(peers[0]?.version, 'handshake done');
        });

        // Coins to a key the test holds, spendable after 100 blocks; the peer follows the chain.
        const wif = regtestWif('fibre-agent regtest packs');
        const { descriptor } = (await node.rpc('getdescriptorinfo', `wpkh(${wif})`)) as { descriptor: string };
        const [address] = (await node.rpc('deriveaddresses', descriptor)) as string[];
        const mined = (await node.rpc('generatetodescriptor', '102', descriptor)) as string[];
        // The peer must hold these blocks before the spends reach it: a transaction spending a coin it
        // cannot see yet is refused and not announced again, and the peer's mempool would stay empty.
        await eventually(async () => assert.equal(await peer.rpc('getbestblockhash'), mined.at(-1)));
        const coinbase = async (i: number) => {
          const block = (await node.rpc('getblock', mined[i] as string, '2')) as { tx: { txid: string }[] };
          return (block.tx[0] as { txid: string }).txid;
        };
        const spend = async (txid: string, fee: number) => {
          const raw = (await node.rpc(
            'createrawtransaction',
            JSON.stringify([{ txid, vout: 0 }]),
            JSON.stringify([{ [address as string]: Number(((50e8 - fee) / 1e8).toFixed(8)) }]),
          )) as string;
          const signed = (await node.rpc('signrawtransactionwithkey', raw, JSON.stringify([wif]))) as {
            hex: string;
            complete: boolean;
          };
          assert.ok(signed.complete, 'signed with the test key');
          return signed.hex;
        };
        const send = (hex: string) => node.rpc('sendrawtransaction', hex) as Promise<string>;
        const rejectionOf = async (hex: string) => {
          const err = await send(hex).then(
            () => assert.fail('bitcoind accepted a transaction it should refuse'),
            (e: Error) => e.message,
          );
          // bitcoind's message starts with the reject reason the tracepoint carries.
          const reason = REJECTION_REASONS.find((r) => err.includes(`: ${r}`) || err.includes(`${r},`));
          assert.ok(reason, `a known reason in ${err}`);
          return reason;
        };

        const first = await coinbase(1);
        const entries: MempoolEntry[] = [];
        const original = await send(await spend(first, 10_000));
        entries.push((await node.rpc('getmempoolentry', original)) as MempoolEntry);
        // A fee bump replaces it; a double spend paying less than the bump is refused.
        const bump = await send(await spend(first, 100_000));
        entries.push((await node.rpc('getmempoolentry', bump)) as MempoolEntry);
        const refused = [await rejectionOf(await spend(first, 50_000))];
        // No fee at all: under the minimum relay fee.
        refused.push(await rejectionOf(await spend(await coinbase(2), 0)));
        // Bitcoin Core delays relay on purpose: an announcement waits a random interval averaging 2 s
        // for an outbound peer, and the peer asks an inbound one for it 2 s later still. Runs here took
        // 2.5 to 5.4 s, but one in a few took over 10 s (the peer's mempool still empty): the wait
        // allows 90 s and says how long relay took, so a slow one shows in the test's output.
        const relayFrom = performance.now();
        await eventually(async () => assert.deepEqual(await peer.rpc('getrawmempool'), [bump]), 90_000);
        t.diagnostic(
          `the peer held the transaction ${((performance.now() - relayFrom) / 1000).toFixed(1)} s after it was sent`,
        );
        await node.rpc('generatetodescriptor', '1', descriptor);
        await eventually(async () => assert.deepEqual(await peer.rpc('getrawmempool'), []));

        const e = await eventually(async () => {
          const x = await metrics();
          assert.equal(sample(x, 'bitcoin_mempool_removed_total', { ...reg, reason: 'block' }), 1);
          return x;
        });
        assert.equal(sample(e, 'bitcoin_mempool_added_total', reg), entries.length);
        assert.equal(sample(e, 'bitcoin_mempool_replaced_total', reg), 1);
        assert.equal(sample(e, 'bitcoin_mempool_removed_total', { ...reg, reason: 'replaced' }), 1);
        const rejected = byLabel(e, 'bitcoin_mempool_rejected_total', 'reason', reg);
        const wanted = new Map<string, number>();
        for (const r of refused) wanted.set(r, (wanted.get(r) ?? 0) + 1);
        assert.deepEqual(rejected, wanted, 'rejections by the reasons bitcoind gave');
        const fees = entries.map((x) => sats(x.fees.base));
        assert.equal(sample(e, 'bitcoin_mempool_added_fees_satoshis_total', reg), 110_000);
        assert.deepEqual(fees, [10_000, 100_000]);
        assert.equal(
          sample(e, 'bitcoin_mempool_added_vsize_bytes_sum', reg),
          entries.reduce((a, x) => a + x.vsize, 0),
        );
        const rates = entries.map((x) => sats(x.fees.base) / x.vsize);
        for (const le of ['1.0', '100.0', '1000.0', '+Inf']) {
          const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
          assert.equal(
            sample(e, 'bitcoin_mempool_added_fee_rate_sat_per_vbyte_bucket', { ...reg, le }),
            rates.filter((r) => r <= bound).length,
            `fee rates ${rates} under ${le}`,
          );
        }
        const sum = sample(e, 'bitcoin_mempool_added_fee_rate_sat_per_vbyte_sum', reg) as number;
        assert.ok(Math.abs(sum - rates.reduce((a, b) => a + b, 0)) < 1e-5, `fee rate sum ${sum} vs ${rates}`);

        // Messages and payload bytes per type equal getpeerinfo's, less 24 bytes a message. Compared
        // when both sides have settled: a ping in flight makes one read differ, so it is read again.
        await eventually(async () => {
          const [info] = (await node.rpc('getpeerinfo')) as Peer[];
          const x = await metrics();
          for (const [dir, field] of [
            ['received', 'bytesrecv_per_msg'],
            ['sent', 'bytessent_per_msg'],
          ] as const) {
            const counts = byLabel(x, `bitcoin_p2p_messages_${dir}_total`, 'msg_type', reg);
            const bytes = byLabel(x, `bitcoin_p2p_message_${dir}_bytes_total`, 'msg_type', reg);
            const rpc = (info as Peer)[field];
            const ours: Record<string, number> = {};
            for (const [type, n] of counts) if (n > 0) ours[type] = (bytes.get(type) ?? 0) + HEADER_BYTES * n;
            assert.deepEqual(ours, rpc, `${dir}: payload + 24 bytes per message, per type`);
            for (const type of ['version', 'verack', 'sendcmpct']) assert.ok(ours[type], `${dir} ${type} messages`);
            assert.ok(Object.keys(ours).length >= 6, `${dir}: ${Object.keys(ours)}`);
          }
        }, 30_000);
        const conn = await metrics();
        if (tracesConnections(real.release)) {
          assert.equal(
            sample(conn, 'bitcoin_p2p_connections_opened_total', {
              ...reg,
              direction: 'outbound',
              conn_type: 'manual',
              network: 'unroutable',
            }),
            1,
          );
          assert.equal(sample(conn, 'bitcoin_p2p_peers', { ...reg, direction: 'outbound' }), 1);
          assert.ok(
            [...byLabel(conn, 'bitcoin_p2p_messages_received_total', 'conn_type', reg).keys()].every(
              (c) => c === 'manual',
            ),
          );

          // Closing the connection: counted, and the peer count goes back to 0.
          await node.rpc('disconnectnode', `127.0.0.1:${peer.port}`);
          await eventually(async () => {
            const x = await metrics();
            assert.equal(
              sample(x, 'bitcoin_p2p_connections_closed_total', { ...reg, conn_type: 'manual', network: 'unroutable' }),
              1,
            );
            assert.equal(sample(x, 'bitcoin_p2p_peers', { ...reg, direction: 'outbound' }), 0);
          });
        } else {
          assert.equal(
            samplesOf(conn, 'bitcoin_p2p_connections_opened_total').length,
            0,
            'no connection probes before v29',
          );
        }

        // gettxoutsetinfo writes the coins cache: before v31 a full flush (ALWAYS), from v31 a sync that
        // keeps it (FORCE_SYNC). Then the full flush at shutdown (v31 calls it FORCE_FLUSH).
        const synced = real.release === 'v31' ? 'force_sync' : 'always';
        const flushes = async () => byLabel(await metrics(), 'bitcoin_utxocache_flushes_total', 'mode', reg);
        const before = await flushes();
        await node.rpc('gettxoutsetinfo');
        await eventually(async () => assert.equal((await flushes()).get(synced), (before.get(synced) ?? 0) + 1));
        const coins = sample(await metrics(), 'bitcoin_utxocache_flushed_coins_total', reg) as number;
        assert.ok(coins > 0, 'the flush reports the coins it wrote');
        const synced1 = await flushes();
        await node.stop();
        await agent.waitFor(/Detached: bitcoind/);
        const after = await eventually(async () => {
          const x = await flushes();
          assert.ok((x.get('always') ?? 0) > (synced1.get('always') ?? 0), 'a full flush at shutdown');
          return x;
        });
        assert.equal(after.get('other') ?? 0, 0, 'every flush has a mode the release defines');
        if (real.release === 'v31')
          assert.equal(after.get('force_sync'), synced1.get('force_sync'), 'no sync at shutdown');
        assert.equal(sample(await metrics(), 'fibre_exporter_errors_total', { error_type: 'decode' }), 0);
      } finally {
        await agent.stop();
        await node.stop();
        await peer.stop();
      }
    },
  );
}
