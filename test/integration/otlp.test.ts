/**
 * OTLP push, for real: the agent attached to the simulated bitcoind pushes to a receiver that decodes
 * the payload itself; the values must be what the simulator fired, the names what /metrics says
 * once the collector's translation is applied; a receiver that is down or failing must cost nothing
 * but counted, once-logged errors, and exports must resume by themselves.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AgentProc, eventually, freePort } from '../helpers/agent.js';
import { collectorSamples, sampleKey } from '../helpers/collector-names.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertExpected, expectedSamples } from '../helpers/expected.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import type { OtlpExport } from '../helpers/otlp-receiver.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { buildSim, Sim } from '../helpers/sim.js';

function connected(exp: OtlpExport | undefined): number | undefined {
  return exp?.metrics.find((m) => m.name === 'bitcoin_blocks_connected')?.points[0]?.value;
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  ebpfTest(
    `OTLP ${protocol}: resource, every metric, types, temporality and values; names equal /metrics`,
    async () => {
      const receiver = new OtlpReceiver(await freePort());
      await receiver.start();
      const bin = buildSim('full');
      // Hostile peers: their exact strings must arrive as attribute values, as on /metrics.
      const sim = await Sim.start(bin, ['-n', '120', '-w', '60', '-s', '9', '-x', '-l']);
      const agent = await AgentProc.start(
        [
          '-b',
          bin,
          '-n',
          'pushnode',
          '--otlp-endpoint',
          receiver.url,
          '--otlp-interval',
          '0.5',
          '--otlp-protocol',
          protocol,
          '--otlp-header',
          'x-api-key=t0ken',
        ],
        { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,region=eu' },
      );
      try {
        await sim.waitDone();
        await eventually(async () => assert.equal(connected(receiver.last()), 120), 20_000);
        const exp = receiver.last() as OtlpExport;
        assert.match(exp.contentType, protocol === 'http/json' ? /application\/json/ : /application\/x-protobuf/);
        assert.equal(exp.headers['x-api-key'], 't0ken');
        assert.deepEqual(
          Object.fromEntries(Object.entries(exp.resource).filter(([k]) => !k.startsWith('telemetry.sdk'))),
          {
            'service.name': 'fibre-agent',
            'service.version': '0.1.0',
            'service.instance.id': 'pushnode',
            'host.name': hostname(),
            'deployment.environment': 'test',
            region: 'eu',
          },
        );
        for (const m of exp.metrics) {
          assert.equal(m.unit, '', `${m.name} has no unit`);
          assert.ok(m.description.length > 0, `${m.name} has a description`);
          if (m.type !== 'gauge') assert.equal(m.temporality, 2, `${m.name} is cumulative`);
          if (m.type === 'sum') assert.equal(m.monotonic, true, `${m.name} is monotonic`);
        }
        // Values: the translated OTLP samples hold everything the simulator fired.
        // A push may fall between two lines of one map read (a histogram's buckets before its sum): the
        // next one carries the whole read.
        await eventually(async () => {
          const pushed = new Map(collectorSamples(receiver.last() as OtlpExport).map((s) => [sampleKey(s), s.value]));
          for (const want of expectedSamples(sim.events, 'pushnode')) {
            assertExpected(
              pushed.get(sampleKey({ name: want.name, labels: want.labels, value: 0 })),
              want,
              ' (pushed)',
            );
          }
        });
        // Names: the collector's translation of the push gives exactly the series of /metrics.
        // Both read once the simulator is done and a push has followed the last map read.
        const pulled = await eventually(async () => {
          const x = parseExposition(await agent.metrics());
          const pullKeys = x.samples.map(sampleKey).sort();
          const pushKeys = collectorSamples(receiver.last() as OtlpExport)
            .map(sampleKey)
            .sort();
          assert.deepEqual(
            pushKeys,
            pullKeys,
            'push (through the collector translation) and pull carry the same series',
          );
          return x;
        });
        assert.equal(sample(pulled, 'fibre_exporter_errors_total', { error_type: 'otlp_export' }), 0);
        assert.doesNotMatch(agent.output, /t0ken/, 'header values are not logged');
      } finally {
        await agent.stop();
        await sim.stop();
        await receiver.stop();
      }
    },
  );
}

ebpfTest(
  'collector down or failing: /metrics keeps working, failures counted and logged once a streak, exports resume',
  async () => {
    const port = await freePort();
    const receiver = new OtlpReceiver(port);
    await receiver.start();
    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-n', '0', '-r', '50', '-w', '60', '-s', '4', '-l']);
    const agent = await AgentProc.start(['-b', bin, '--otlp-endpoint', receiver.url, '--otlp-interval', '0.3']);
    const errors = async () =>
      sample(parseExposition(await agent.metrics()), 'fibre_exporter_errors_total', {
        error_type: 'otlp_export',
      }) as number;
    try {
      await eventually(async () => assert.ok((connected(receiver.last()) ?? 0) > 0), 20_000);
      const rssBefore = rssKiB(agent.child.pid as number);

      await receiver.stop();
      await eventually(async () => assert.ok((await errors()) >= 10, 'failures are counted'), 20_000);
      const down = parseExposition(await agent.metrics());
      assert.ok(
        (sample(down, 'bitcoin_blocks_connected_total', { node: 'localhost' }) as number) > 0,
        '/metrics keeps working',
      );
      assert.equal(agent.output.match(/OTLP export to \S+ failed/g)?.length, 1, 'logged once for the streak');

      await receiver.start();
      const before = receiver.exports.length;
      await eventually(async () => assert.ok(receiver.exports.length > before, 'exports resume'), 20_000);
      await agent.waitFor(/OTLP export to \S+ recovered after \d+ failed attempts/);

      receiver.status = 503;
      const failedBefore = await errors();
      await eventually(
        async () => assert.ok((await errors()) >= failedBefore + 3, 'error answers are counted'),
        20_000,
      );
      assert.equal(agent.output.match(/OTLP export to \S+ failed/g)?.length, 2, 'a new streak, one more line');
      receiver.status = 200;
      const after = receiver.exports.length;
      await eventually(async () => assert.ok(receiver.exports.length > after), 20_000);
      const rssAfter = rssKiB(agent.child.pid as number);
      assert.ok(
        rssAfter - rssBefore < 64 * 1024,
        `resident memory grew ${rssAfter - rssBefore} KiB while the collector was away`,
      );
    } finally {
      await agent.stop();
      await sim.stop();
      await receiver.stop();
    }
  },
);
