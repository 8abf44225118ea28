/**
 * A normal start logs nothing an operator must act on: no WARNING or ERROR line from start to stop,
 * on the simulator as FIBRE builds it and as Bitcoin Core (no udp:* probes) builds it, and on every
 * real bitcoind here. What a binary does not have is one INFO line, not a warning per probe.
 *
 * The agents run with --user nobody: this machine has no fibre-agent account, and running the
 * metrics side as nobody instead is a warning (create the account), rightly. A slow block is a
 * warning too, by design (the journal's alert): the simulator draws reconstruction times that
 * exercise it, so its thresholds are set out of their reach here.
 */
import assert from 'node:assert/strict';
import { AgentProc, eventually } from '../helpers/agent.js';
import { privateCopy, REAL_NODES, realNodeTest } from '../helpers/bitcoind.js';
import { ebpfTest, ebpfUnavailable } from '../helpers/ebpf.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { RegtestNode } from '../helpers/regtest.js';
import { buildSim, Sim } from '../helpers/sim.js';

const ALARM = /^.*\[(?:WARNING|ERROR)\].*$/gm;

/** Stops the agent and checks that it exited 0 and said nothing alarming on the way. */
async function assertQuiet(agent: AgentProc): Promise<void> {
  const { code } = await agent.stop('SIGTERM');
  assert.equal(code, 0);
  assert.match(agent.output, /\[INFO\] fibre-agent: Stopped\n/);
  assert.deepEqual(agent.output.match(ALARM) ?? [], [], `no WARNING or ERROR line:\n${agent.output}`);
}

const NO_SLOW_BLOCKS = [
  '--slow-reconstruction-ms',
  '3600000',
  '--very-slow-reconstruction-ms',
  '3600000',
  '--slow-connect-ms',
  '3600000',
];

const SIMULATED = [
  {
    variant: 'full',
    line: /\[INFO\] fibre-agent: Attached 22 probes \(packs: fibre, validation, net, mempool, utxocache, coin_selection\)\n/,
  },
  {
    variant: 'noudp',
    line: /\[INFO\] fibre-agent: Attached 17 probes \(packs: validation, net, mempool, utxocache, coin_selection\); not in this binary: fibre\n/,
  },
] as const;

for (const { variant, line } of SIMULATED) {
  ebpfTest(
    `a normal start on the ${variant} simulator: one line for what is attached, no WARNING or ERROR`,
    async () => {
      const bin = buildSim(variant);
      const sim = await Sim.start(bin, ['-n', '20', '-w', '60', '-s', '5', '-l']);
      const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '--user', 'nobody', ...NO_SLOW_BLOCKS]);
      try {
        await agent.waitFor(/\[INFO\] fibre-agent: Waiting for events\.\.\.\n/);
        assert.match(agent.output, line);
        assert.doesNotMatch(agent.output, /Attached probe:/, 'no line per probe at INFO');
        await sim.waitDone();
        await eventually(async () => {
          const e = parseExposition(await agent.metrics());
          assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'localhost' }), 20);
        });
        await assertQuiet(agent);
      } finally {
        await agent.stop();
        await sim.stop();
      }
    },
  );
}

for (const real of REAL_NODES) {
  realNodeTest(
    real,
    `a normal start on a real bitcoind ${real.release}: no WARNING or ERROR`,
    async (_t, { bitcoind, cli }) => {
      const missing = ebpfUnavailable();
      if (missing) throw new Error(`eBPF is unavailable: ${missing}`);
      const binary = privateCopy(bitcoind);
      // A node at its defaults: RPC with its cookie, which the rpc pack finds from the process.
      const node = await RegtestNode.start(binary, undefined, [], cli, { cookie: true });
      const agent = await AgentProc.start(['-b', binary, '-n', 'regtest', '--user', 'nobody']);
      try {
        await agent.waitFor(/\[INFO\] fibre-agent: Waiting for events\.\.\.\n/);
        assert.match(
          agent.output,
          /\[INFO\] fibre-agent: Attached \d+ probes \(packs: validation, .*; not in this binary: fibre/,
        );
        await agent.waitFor(/RPC pack: bitcoind answers/, 30_000);
        await node.mine(3);
        await eventually(async () => {
          const e = parseExposition(await agent.metrics());
          assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'regtest' }), 3);
        }, 20_000);
        await assertQuiet(agent);
      } finally {
        await agent.stop();
        await node.stop();
      }
    },
  );
}
