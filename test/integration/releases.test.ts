/**
 * Every Bitcoin Core release line through real bpftrace: the simulator built with each line's notes
 * (probe set, semaphores or none, argument sizes, 7 or 8 arguments) and .rodata markers. The agent,
 * given nothing but the binary and the process, must tell the line and count every value exactly as
 * that line means it.
 */
import assert from 'node:assert/strict';
import { inRange, type Release } from '../../probes/releases.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { buildSim, RELEASE_SIMS, Sim } from '../helpers/sim.js';

/** Runs a simulator built as `variant` under the agent; returns what it fired and what the agent shows. */
async function run(variant: keyof typeof RELEASE_SIMS, seed: number, edge = true) {
  const release = RELEASE_SIMS[variant] as Release;
  const semaphores = inRange(release, { from: 'v29' });
  const bin = buildSim(variant);
  // Without semaphores the probes fire whether or not anything is attached: the simulator waits for
  // a signal, sent once the agent says every probe is attached.
  const sim = await Sim.start(bin, [
    '-n',
    '60',
    '-s',
    String(seed),
    '-x',
    ...(edge ? ['-e'] : []),
    '-l',
    ...(semaphores ? ['-w', '60'] : ['-S']),
  ]);
  const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '--map-read-interval', '0.2']);
  try {
    await agent.waitFor(/Waiting for events/);
    if (!semaphores) sim.go();
    await sim.waitDone();
    const unit = inRange(release, { to: 'v24' }) ? 'us' : 'ns';
    const expected = expectedSamples(sim.events, 'localhost', unit, undefined, release);
    const e = await eventually(async () => {
      const text = await agent.metrics();
      assertSamples(text, expected);
      return parseExposition(text);
    }, 20_000);
    return { release, e, events: sim.events, output: agent.output };
  } finally {
    await agent.stop();
    await sim.stop();
  }
}

for (const variant of Object.keys(RELEASE_SIMS) as (keyof typeof RELEASE_SIMS)[]) {
  ebpfTest(
    `release line ${RELEASE_SIMS[variant]}: told from the binary alone, every value exact as it means it`,
    async () => {
      const { release, e, output } = await run(variant, 21);
      assert.equal(sample(e, 'bitcoin_build_info', { node: 'localhost', release, semantics: release }), 1);
      assert.match(output, new RegExp(`bitcoind release ${release}, told from its notes`));
      assert.equal(sample(e, 'fibre_exporter_probes_refused'), 0);
      assert.doesNotMatch(output, /Probe refused|connect-time-unit/);
    },
  );
}

ebpfTest('a v23 connect time in microseconds gives the same seconds as a v29 one in nanoseconds', async () => {
  const seconds = async (variant: keyof typeof RELEASE_SIMS) => {
    // Without edge values: a -1 ns is refused as negative, while -1 ns in whole microseconds is 0.
    const { e, events } = await run(variant, 33, false);
    const count = sample(e, 'bitcoin_block_connection_duration_seconds_count', { node: 'localhost' }) as number;
    assert.ok(count > 10, `${variant}: ${events.length} events`);
    return [count, sample(e, 'bitcoin_block_connection_duration_seconds_sum', { node: 'localhost' }) as number];
  };
  const [oldCount, oldSum] = await seconds('v23');
  const [newCount, newSum] = await seconds('v29');
  assert.equal(oldCount, newCount);
  // The same blocks, timed in whole microseconds on v23: at most a microsecond apart each.
  assert.ok(Math.abs((oldSum as number) - (newSum as number)) <= (newCount as number) * 1e-6, `${oldSum} vs ${newSum}`);
});
