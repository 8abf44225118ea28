/**
 * The coin_selection pack on the real wallet builds here (Bitcoin Core v31.0 and v28.0) in regtest:
 * wallets created by the test spend with sendtoaddress, sendmany and fundrawtransaction, and what the
 * agent counts must equal the calls made and the fees the RPC results report.
 */
import assert from 'node:assert/strict';
import { agentOnNode, eventually } from '../helpers/agent.js';
import { privateCopy, REAL_NODES, realNodeTest } from '../helpers/bitcoind.js';
import { ebpfUnavailable } from '../helpers/ebpf.js';
import { parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { RegtestNode } from '../helpers/regtest.js';

const sats = (btc: number) => Math.round(btc * 1e8);
/** A regtest coinbase before the first halving. */
const COINBASE = 50e8;

interface WalletTx {
  fee: number;
  decoded?: { vout: unknown[] };
  hex: string;
}

for (const real of REAL_NODES.filter((n) => n.wallet)) {
  realNodeTest(
    real,
    `coin selection on a real bitcoind ${real.release} with its wallet: selections, transactions built, avoid-partial-spends attempts and fees as the RPC reports them`,
    async (_t, { bitcoind, cli }) => {
      const missing = ebpfUnavailable();
      if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
      const binary = privateCopy(bitcoind);
      // Regtest has no fee estimates: a fallback fee rate lets the wallet build transactions.
      const node = await RegtestNode.start(binary, undefined, ['-fallbackfee=0.0002'], cli);
      const agent = await agentOnNode(binary, node.pid, 'wallet');
      try {
        await agent.waitFor(/Waiting for events/);
        const reg = { node: 'wallet' };
        // Three wallets, each with two mature coins at one address. Each spends once, a small amount:
        // its first attempt takes one coin; the avoid-partial-spends attempt that bitcoind makes by
        // default must take both coins of the address, costs more, and is not used. So each
        // transaction is its first attempt, whose fee the RPC reports.
        const wallets = ['w1', 'w2', 'w3'];
        const w = (name: string, ...args: string[]) => node.rpc(`-rpcwallet=${name}`, ...args);
        for (const name of wallets) {
          await node.rpc('createwallet', name);
          const address = (await w(name, 'getnewaddress')) as string;
          await node.rpc('generatetoaddress', '2', address);
        }
        await node.mine(100);
        const pay = (await w('w1', 'getnewaddress')) as string;
        const pay2 = (await w('w2', 'getnewaddress')) as string;

        const fees: number[] = [];
        let withChange = 0;
        const sent = async (wallet: string, txid: string, recipients: number) => {
          const tx = (await w(wallet, 'gettransaction', txid, 'false', 'true')) as WalletTx;
          fees.push(sats(-tx.fee));
          if ((tx.decoded?.vout.length ?? 0) > recipients) withChange++;
        };
        await sent('w1', (await w('w1', 'sendtoaddress', pay2, '1.5')) as string, 1);
        await sent('w2', (await w('w2', 'sendmany', '', JSON.stringify({ [pay]: 0.4, [pay2]: 0.3 }))) as string, 2);
        const raw = (await node.rpc('createrawtransaction', '[]', JSON.stringify([{ [pay]: 0.25 }]))) as string;
        const funded = (await w('w3', 'fundrawtransaction', raw)) as { fee: number; changepos: number };
        fees.push(sats(funded.fee));
        if (funded.changepos >= 0) withChange++;
        // More than the wallet holds: the wallet's selection fails, and the transaction with it.
        await assert.rejects(w('w1', 'sendtoaddress', pay2, '1000'), /Insufficient funds/);

        const e = await eventually(async () => {
          const x = parseExposition(await agent.metrics());
          assert.equal(
            sample(x, 'bitcoin_wallet_transactions_created_total', { ...reg, result: 'failed', change: 'no' }),
            1,
          );
          return x;
        });
        const created = (result: string, change: string) =>
          sample(e, 'bitcoin_wallet_transactions_created_total', { ...reg, result, change });
        assert.equal(created('ok', 'yes'), withChange);
        assert.equal(created('ok', 'no'), 3 - withChange);
        assert.equal(withChange, 3, 'small payments from 50 BTC coins have change');
        assert.equal(sample(e, 'bitcoin_wallet_aps_attempts_total', reg), 3, 'one attempt per transaction built');
        assert.equal(sample(e, 'bitcoin_wallet_aps_used_total', reg), 0, 'two coins cost more than one');
        assert.equal(sample(e, 'bitcoin_wallet_transaction_fee_satoshis_count', reg), 3);
        assert.equal(
          sample(e, 'bitcoin_wallet_transaction_fee_satoshis_sum', reg),
          fees.reduce((a, b) => a + b, 0),
        );
        // Six selections: each transaction's first (one coin) and its avoid-partial-spends one (two).
        const selections = samplesOf(e, 'bitcoin_wallet_coin_selections_total');
        assert.equal(
          selections.reduce((a, s) => a + s.value, 0),
          6,
        );
        for (const s of selections) {
          if (s.value > 0)
            assert.notEqual(s.labels.algorithm, 'other', `a known algorithm: ${JSON.stringify(s.labels)}`);
        }
        assert.equal(sample(e, 'bitcoin_wallet_coin_selection_selected_satoshis_count', reg), 6);
        assert.equal(
          sample(e, 'bitcoin_wallet_coin_selection_selected_satoshis_sum', reg),
          3 * COINBASE + 3 * 2 * COINBASE,
        );
        assert.equal(sample(e, 'bitcoin_wallet_coin_selection_waste_satoshis_count', reg), 6);
        assert.equal(sample(e, 'bitcoin_wallet_coin_selection_target_satoshis_count', reg), 6);
        assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'value_out_of_range' }), 0);
        assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'decode' }), 0);
      } finally {
        await agent.stop();
        await node.stop();
      }
    },
  );
}
