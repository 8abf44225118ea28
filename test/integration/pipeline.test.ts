/**
 * The whole pipeline for real: the simulated bitcoind fires its tracepoints, real bpftrace started by
 * the agent reads them, and /metrics must hold exactly what was fired.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest, uprobeLeaks } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { outOfRange } from '../helpers/expected-packs.js';
import { parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';
import { slowBpftrace } from '../helpers/slow-bpftrace.js';

/** The catalogue's probes: the full simulator has every one. */
const PROBES = selectedTracepoints(undefined).map((t) => t.probe);

ebpfTest('every metric matches what the simulator fired, hostile peer strings included', async () => {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '300', '-w', '60', '-x', '-s', '11', '-l']);
  const agent = await AgentProc.start([
    '-b',
    bin,
    '-p',
    String(sim.pid),
    '-n',
    'testnode',
    '-v',
    '--bpftrace',
    slowBpftrace(1.5),
  ]);
  try {
    const before = await eventually(() => agent.health());
    assert.equal(before.status, 503, 'health is 503 until the probes are attached');
    assert.equal(before.body.status, 'unavailable');

    await agent.waitFor(/Waiting for events/);
    const after = await agent.health();
    assert.equal(after.status, 200);
    assert.deepEqual(after.body, { status: 'ok', probes_attached: PROBES.length });
    // Every pack of the default selection, each with a probe attached, and nothing the binary lacks.
    assert.match(
      agent.output,
      new RegExp(
        `\\[INFO\\] fibre-agent: Attached ${PROBES.length} probes \\(packs: fibre, validation, net, mempool, utxocache, coin_selection\\)\n`,
      ),
    );
    assert.match(agent.output, new RegExp(`Prometheus metrics: http://127.0.0.1:${agent.port}/metrics`));
    assert.match(agent.output, new RegExp(`Health check: http://127.0.0.1:${agent.healthPort}/health`));
    assert.match(agent.output, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[INFO\] fibre-agent: fibre-agent v\d+\.\d+\.\d+$/m);

    await sim.waitDone();
    const expected = expectedSamples(sim.events, 'testnode');
    const winners = sim.events.filter((e) => e.probe === 'udp:block_race_winner').length;
    assert.ok(winners === 300 && expected.length > 60, 'the run covers every metric');
    const text = await eventually(async () => {
      const t = await agent.metrics();
      assertSamples(t, expected);
      return t;
    });
    const e = parseExposition(text);
    assert.equal(
      samplesOf(e, 'fibre_block_deliveries_total').length,
      expected.filter((s) => s.name === 'fibre_block_deliveries_total').length,
      'no delivery series beyond those fired',
    );
    assert.equal(sample(e, 'fibre_exporter_probes_attached'), PROBES.length);
    assert.equal(sample(e, 'fibre_exporter_up'), 1);
    assert.equal(sample(e, 'fibre_exporter_info', { version: '0.1.0', node_name: 'testnode', bitcoind_path: bin }), 1);
    for (const s of samplesOf(e, 'fibre_exporter_errors_total'))
      assert.equal(s.value, 0, `no ${s.labels.error_type} errors`);
    assert.equal(sample(e, 'fibre_exporter_events_lost_total'), 0);
    const start = sample(e, 'fibre_exporter_start_time_seconds') as number;
    assert.ok(Math.abs(start - Date.now() / 1000) < 600, 'start time is a unix time in seconds');
    // Each CPU has its own perf buffer, so an event line may come after the map read that counted it.
    await eventually(async () =>
      assert.equal(agent.output.match(/Block delivery: height=\d+ mechanism=\w+ peer=/g)?.length, winners),
    );
    assert.match(agent.output, /Block connected: height=\d+ tx_count=\d+ connection_time=\d+\.\dms/);

    assert.deepEqual(
      Object.values(await sim.semaphores()).filter((v) => v > 0).length,
      PROBES.length,
      'a semaphore enabled for every probe of the catalogue',
    );
    const leaks = uprobeLeaks();
    const stop = await agent.stop('SIGTERM');
    assert.equal(stop.code, 0);
    assert.equal(uprobeLeaks(), leaks, 'the kernel removed every uprobe (no "leaking uprobe" in dmesg)');
    assert.match(agent.output, /SIGTERM received/);
    // The kernel drops a semaphore as it unregisters each uprobe, just after bpftrace exits.
    await eventually(
      async () =>
        assert.deepEqual(
          Object.entries(await sim.semaphores()).filter(([, v]) => v !== 0),
          [],
          'every semaphore back to 0 after SIGTERM',
        ),
      30_000,
    );
  } finally {
    await agent.stop();
    await sim.stop();
  }
});

ebpfTest(
  'a bitcoind without udp:* probes still gets block_connected metrics; --log-file gets the log too',
  async () => {
    const bin = buildSim('noudp');
    const logFile = join(mkdtempSync(join(tmpdir(), 'fibre-log-')), 'agent.log');
    const sim = await Sim.start(bin, ['-n', '50', '-w', '60', '-k', '1', '-s', '3', '-l']);
    // The packs of a FIBRE node: the Bitcoin Core packs have tests of their own.
    const agent = await AgentProc.start([
      '-b',
      bin,
      '-n',
      'public',
      '--log-file',
      logFile,
      '-v',
      '--packs',
      'fibre,validation',
    ]);
    try {
      await agent.waitFor(/Waiting for events/);
      // The one probe of validation attached; fibre named with --packs but absent: the one warning.
      assert.match(
        agent.output,
        /\[INFO\] fibre-agent: Attached 1 probe \(packs: validation\); not in this binary: fibre\n/,
      );
      assert.equal(agent.output.match(/--packs names/g)?.length, 1, 'one warning for the pack, not one per probe');
      assert.match(
        agent.output,
        new RegExp(
          `\\[WARNING\\] fibre-agent: --packs names fibre, but ${bin} has none of its probes: its metrics stay at zero`,
        ),
      );
      await sim.waitDone();
      assert.equal(sim.events.length, 50);
      await eventually(async () =>
        assertSamples(await agent.metrics(), expectedSamples(sim.events, 'public', 'ns', ['fibre', 'validation'])),
      );
      const e = parseExposition(await agent.metrics());
      assert.equal(sample(e, 'fibre_exporter_probes_attached'), 1);
      assert.equal(sample(e, 'fibre_blocks_reconstructed_total', { node: 'public' }), 0);
      assert.equal((await agent.health()).status, 200);
      const logged = readFileSync(logFile, 'utf8');
      assert.match(logged, /\[INFO\] fibre-agent: Attached 1 probe \(packs: validation\); not in this binary: fibre\n/);
      assert.match(
        logged,
        /\[INFO\] fibre-agent: Metrics endpoint basic auth: disabled/,
        'the metrics process logs there too',
      );
      assert.equal(logged.match(/Block connected: height=/g)?.length, 50);
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
);

for (const aggregation of ['kernel', 'events'] as const) {
  ebpfTest(
    `--aggregation ${aggregation}: edge values (negative durations and times, zero chunks, reorgs) are exact`,
    async () => {
      // The probe bodies in the kernel and the agent's per-event recording apply the same rules.
      const bin = buildSim('full');
      // One line per event for every pack's probes at full speed would overrun the perf buffer: the
      // per-event path is kept for FIBRE's own probes, and compared on them.
      const packs = aggregation === 'events' ? (['fibre', 'validation'] as const) : undefined;
      const args = ['-n', '400', '-w', '60', '-e', '-s', '17', '-l'];
      // Event lines travel through per-CPU buffers, which bpftrace reads one CPU after another: a
      // simulator moving between CPUs could have its last height arrive before an earlier one. On
      // one CPU (taskset execs it, so the PID stays), the lines keep the order they were fired in.
      const sim = packs
        ? await Sim.start('taskset', ['-c', '0', bin, ...args, '-k', String(selectedTracepoints([...packs]).length)])
        : await Sim.start(bin, args);
      const agent = await AgentProc.start([
        '-b',
        bin,
        '--aggregation',
        aggregation,
        ...(packs ? ['--packs', packs.join(',')] : []),
      ]);
      try {
        await sim.waitDone();
        const expected = expectedSamples(sim.events, 'localhost', 'ns', packs);
        const refused = outOfRange(sim.events);
        assert.ok(refused > 10, 'the run has negative values');
        expected.push({
          name: 'fibre_exporter_errors_total',
          labels: { error_type: 'value_out_of_range' },
          value: refused,
        });
        await eventually(async () => assertSamples(await agent.metrics(), expected));
      } finally {
        await agent.stop();
        await sim.stop();
      }
    },
  );
}

ebpfTest('connect time in microseconds (bitcoind v23, v24) with --connect-time-unit us', async () => {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '80', '-w', '60', '-u', '-s', '5', '-l']);
  const agent = await AgentProc.start(['-b', bin, '--connect-time-unit', 'us']);
  try {
    await sim.waitDone();
    const expected = expectedSamples(sim.events, 'localhost', 'us');
    await eventually(async () => assertSamples(await agent.metrics(), expected));
  } finally {
    await agent.stop();
    await sim.stop();
  }
});

ebpfTest(
  'a probe whose note disagrees with the catalogue is refused alone: one line naming it, a self-metric, the others attached',
  async () => {
    const bin = buildSim('wideheight');
    const sim = await Sim.start(bin, ['-n', '0', '-r', '20', '-s', '4', '-l']);
    const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid)]);
    try {
      await agent.waitFor(/Waiting for events/);
      assert.match(
        agent.output,
        /\[WARNING\] fibre-agent: Probe refused, not attached: udp:block_reconstructed argument 7 \(height\): on v\d+ the catalogue reads i32, the binary's note says 8 bytes signed \(-8@\S+\)/,
      );
      assert.equal(agent.output.match(/Probe refused/g)?.length, 1, 'one line, for that probe alone');
      const e = await eventually(async () => {
        const x = parseExposition(await agent.metrics());
        assert.ok((sample(x, 'bitcoin_blocks_connected_total', { node: 'localhost' }) as number) > 0, 'still counting');
        return x;
      });
      assert.equal(sample(e, 'fibre_exporter_probes_refused'), 1);
      assert.equal(sample(e, 'fibre_exporter_probes_attached'), PROBES.length - 1);
      assert.equal(sample(e, 'fibre_blocks_reconstructed_total', { node: 'localhost' }), 0, 'nothing read wrongly');
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
);

ebpfTest('a binary without USDT probes: the troubleshooting message and exit 1', async () => {
  const sleeper = await Sim.start('/bin/sleep', ['30']).catch(() => undefined);
  assert.ok(sleeper, 'started a process without probes');
  const agent = await AgentProc.start(['-b', '/bin/sleep', '-p', String(sleeper.pid)]);
  try {
    const { code } = await agent.waitExit();
    assert.equal(code, 1);
    assert.match(
      agent.output,
      /\[ERROR\] fibre-agent: No USDT probes could be attached to \S+ \(pid \d+\): .*built with USDT support.*readelf -n/,
    );
  } finally {
    sleeper.child.kill('SIGKILL');
  }
});

ebpfTest('the demo: the real pipeline against the simulator, blocks arriving, and a clean stop', async () => {
  const agent = await AgentProc.start(['demo', '--block-interval', '0.2']);
  try {
    await agent.waitFor(/Demo: simulated bitcoind \S+ \(pid \d+\), one block every 0\.2s/);
    await agent.waitFor(new RegExp(`Attached ${PROBES.length} probes \\(packs: `));
    const simPid = Number(/\(pid (\d+)\), one block/.exec(agent.output)?.[1]);
    await eventually(async () => {
      const e = parseExposition(await agent.metrics());
      assert.ok((sample(e, 'bitcoin_blocks_connected_total', { node: 'localhost' }) as number) >= 5);
      assert.ok(samplesOf(e, 'fibre_block_deliveries_total').length >= 2, 'several winners and peers');
    }, 20_000);
    const { code } = await agent.stop('SIGINT');
    assert.equal(code, 0);
    await eventually(async () => assert.throws(() => process.kill(simPid, 0)), 5000);
  } finally {
    await agent.stop();
  }
});
