/**
 * The agent on every real bitcoind here (v30 from the FIBRE fork, Bitcoin Core v31.0 and v28.0) in
 * regtest: it tells each release, attaches every probe the binary has, counts what bitcoind itself
 * reports over RPC, and a bitcoind started after the agent, and restarted under it, loses nothing.
 */
import assert from 'node:assert/strict';
import { readUsdtNotes } from '../../agent/source/usdt-notes.js';
import { selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { privateCopy, REAL_NODES, realNodeTest } from '../helpers/bitcoind.js';
import { ebpfUnavailable } from '../helpers/ebpf.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { RegtestNode } from '../helpers/regtest.js';

interface Block {
  height: number;
  tx: { vin: unknown[] }[];
}

for (const real of REAL_NODES) {
  realNodeTest(
    real,
    `validation:block_connected on a real bitcoind ${real.release}: its release told, counts, heights, transactions and inputs as its RPC reports them`,
    async (_t, { bitcoind: shared, cli }) => {
      const missing = ebpfUnavailable();
      if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
      const bitcoind = privateCopy(shared);
      // Started first, as at boot: the agent waits for bitcoind and attaches when it runs.
      const agent = await AgentProc.start(['-b', bitcoind, '-n', 'regtest', '--map-read-interval', '0.2']);
      let node = await RegtestNode.start(bitcoind, undefined, [], cli);
      try {
        await agent.waitFor(/Waiting for events/);
        assert.match(agent.output, /\[INFO\] fibre-agent: Attached \d+ probes \(packs: validation, /);
        assert.match(agent.output, new RegExp(`bitcoind release ${real.release}, told from its notes`));
        const mined = await node.mine(25);
        // A restart under the agent: counts carry on.
        await node.stop();
        await agent.waitFor(/Detached: bitcoind/);
        node = await RegtestNode.start(bitcoind, node.datadir, [], cli);
        await agent.waitFor(/Re-attached to bitcoind pid/, 30_000);
        mined.push(...(await node.mine(15)));
        const blocks: Block[] = [];
        for (const h of mined) blocks.push((await node.rpc('getblock', h, '2')) as Block);
        const height = (await node.rpc('getblockcount')) as number;
        const inputs = blocks.map((b) => b.tx.reduce((a, tx) => a + tx.vin.length, 0));
        const e = await eventually(async () => {
          const x = parseExposition(await agent.metrics());
          assert.equal(sample(x, 'bitcoin_blocks_connected_total', { node: 'regtest' }), blocks.length);
          return x;
        }, 20_000);
        assert.equal(sample(e, 'fibre_last_block_height', { node: 'regtest' }), height);
        assert.equal(sample(e, 'bitcoin_block_tx_count_count', { node: 'regtest' }), blocks.length);
        assert.equal(
          sample(e, 'bitcoin_block_tx_count_sum', { node: 'regtest' }),
          blocks.reduce((a, b) => a + b.tx.length, 0),
        );
        assert.equal(
          sample(e, 'bitcoin_block_inputs_sum', { node: 'regtest' }),
          inputs.reduce((a, b) => a + b, 0),
        );
        assert.equal(sample(e, 'bitcoin_block_inputs_count', { node: 'regtest' }), blocks.length);
        assert.equal(sample(e, 'bitcoin_block_sigops_count', { node: 'regtest' }), blocks.length);
        assert.equal(sample(e, 'bitcoin_block_connection_duration_seconds_count', { node: 'regtest' }), blocks.length);
        const seconds = sample(e, 'bitcoin_block_connection_duration_seconds_sum', { node: 'regtest' }) as number;
        assert.ok(
          seconds > 0 && seconds < blocks.length,
          `connect times in seconds (${seconds} s for ${blocks.length})`,
        );
        const notes = readUsdtNotes(bitcoind);
        assert.equal(
          sample(e, 'fibre_exporter_probes_attached'),
          selectedTracepoints(undefined).filter((t) => notes.has(t.probe)).length,
          "every default probe the binary has (a public bitcoind has no udp:* probes, v28 no connection probes, v30 no wallet's)",
        );
        assert.equal(sample(e, 'fibre_exporter_probes_refused'), 0);
        assert.equal(
          sample(e, 'bitcoin_build_info', { node: 'regtest', release: real.release, semantics: real.release }),
          1,
        );
        // Told once: the restart changed nothing.
        assert.equal(agent.output.match(/bitcoind release/g)?.length, 1);
        // The packs across the restart: bitcoind flushed its coins cache as it stopped, counted then.
        assert.ok(
          (sample(e, 'bitcoin_utxocache_flushes_total', { node: 'regtest', mode: 'always' }) ?? 0) >= 1,
          'the flush at shutdown',
        );
        assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'decode' }), 0);
      } finally {
        await agent.stop();
        await node.stop();
      }
    },
  );
}
