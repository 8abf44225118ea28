/**
 * A map keyed by a peer's bytes fills when more peers deliver blocks than it has room for: no count may
 * be lost with it. The simulator gives each block a peer of its own, more than the deliveries map holds.
 */
import assert from 'node:assert/strict';
import { mapKeysMax } from '../../probes/protocol.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';

const NODE = 'full';
const PEER_LABEL_LIMIT = 100;

ebpfTest(
  'a full peer-keyed map: every delivery still counted (as peer="other"), and fibre_exporter_map_full_total says which map',
  async (t) => {
    // Each block's winner is its own peer: more distinct keys than both epochs' maps hold, so that
    // one of them fills however the reads split the blocks.
    const blocks = 2 * mapKeysMax(PEER_LABEL_LIMIT) + 2000;
    const bin = buildSim('full');
    const sim = await Sim.start(bin, [
      '-n',
      String(blocks),
      '-P',
      String(blocks),
      '-w',
      '60',
      '-k',
      '5',
      '-s',
      '4',
      '-l',
    ]);
    const agent = await AgentProc.start([
      ...['-b', bin, '-p', String(sim.pid), '-n', NODE, '--packs', 'fibre'],
      ...['--peer-label-limit', String(PEER_LABEL_LIMIT), '--no-journal'],
    ]);
    try {
      await agent.waitFor(/Waiting for events/);
      await sim.waitDone(120_000);
      const winners = sim.events.filter((e) => e.probe === 'udp:block_race_winner').length;
      assert.ok(winners > 2 * mapKeysMax(PEER_LABEL_LIMIT), `${winners} winners, more than the maps' room`);
      const e = parseExposition(
        await eventually(async () => {
          const text = await agent.metrics();
          const total = samplesOf(parseExposition(text), 'fibre_block_deliveries_total').reduce(
            (a, s) => a + s.value,
            0,
          );
          assert.equal(total, winners, 'every delivery counted');
          return text;
        }, 20_000),
      );
      const refused = sample(e, 'fibre_exporter_map_full_total', { map: '@c_deliveries' }) as number;
      t.diagnostic(`${winners} deliveries, ${refused} refused by the full map`);
      assert.ok(refused > 0, 'the map filled');
      const other = samplesOf(e, 'fibre_block_deliveries_total')
        .filter((s) => s.labels.peer === 'other')
        .reduce((a, s) => a + s.value, 0);
      assert.ok(other >= refused, `peer="other" (${other}) holds what the map refused (${refused})`);
      assert.match(agent.output, /Attached/);
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
  240_000,
);
