/**
 * A scrape sees whole reads of the kernel's maps: scraped as fast as possible while the simulator
 * fires 20,000 blocks a second, every exposition must hold the equalities between metrics that the
 * same probe feeds in the same event, which a read printed map by map while the probes go on firing
 * (or applied line by line) breaks.
 */
import assert from 'node:assert/strict';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { type Exposition, parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';

const NODE = 'atomic';
const BLOCKS = 20_000;

/** Each broken equality of one exposition, as text; none when the read it shows is whole. */
function broken(e: Exposition): string[] {
  const out: string[] = [];
  const at = (name: string, labels: Record<string, string> = { node: NODE }) => sample(e, name, labels) ?? 0;
  const equal = (a: string, b: string, x: number, y: number) => {
    if (x !== y) out.push(`${a} ${x} != ${b} ${y}`);
  };
  // udp:block_reconstructed adds 1 to the first and observes the duration of each block in the second.
  equal(
    'blocks_reconstructed',
    'duration_count',
    at('fibre_blocks_reconstructed_total'),
    at('fibre_block_reconstruction_duration_seconds_count'),
  );
  // ... and adds its chunks used to a counter and to a histogram's sum: the sum is of the same read.
  equal(
    'chunks_used',
    'chunks_used_per_block_sum',
    at('fibre_block_chunks_used_total'),
    at('fibre_block_chunks_used_per_block_sum'),
  );
  equal(
    'blocks_reconstructed',
    'events_processed',
    at('fibre_blocks_reconstructed_total'),
    at('fibre_exporter_events_processed_total', { event_type: 'block_reconstructed' }),
  );
  // Every histogram: its _count is its +Inf bucket, and its buckets never decrease.
  for (const [family, type] of e.types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { le: number; value: number }[]>();
    for (const s of samplesOf(e, `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), { le: Number(le), value: s.value }]);
    }
    for (const [key, buckets] of series) {
      buckets.sort((a, b) => a.le - b.le);
      const labels = JSON.parse(key) as Record<string, string>;
      equal(`${family}${key} +Inf`, '_count', buckets.at(-1)?.value ?? 0, sample(e, `${family}_count`, labels) ?? 0);
      for (let i = 1; i < buckets.length; i++) {
        const [lower, upper] = [buckets[i - 1], buckets[i]] as [
          { le: number; value: number },
          { le: number; value: number },
        ];
        if (upper.value < lower.value)
          out.push(`${family}${key} le=${upper.le} ${upper.value} < le=${lower.le} ${lower.value}`);
      }
    }
  }
  return out;
}

ebpfTest(
  'a scrape sees whole reads: equalities between metrics of one probe hold at every scrape during 20,000 blocks/s',
  async (t) => {
    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-n', String(BLOCKS), '-r', '20000', '-w', '60', '-s', '31', '-l']);
    const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '-n', NODE, '--map-read-interval', '0.2']);
    try {
      await agent.waitFor(/Waiting for events/);
      let scrapes = 0;
      let moving = 0;
      let last = -1;
      const failures: string[] = [];
      while (!sim.done) {
        const e = parseExposition(await agent.metrics());
        scrapes++;
        const blocks = sample(e, 'fibre_blocks_reconstructed_total', { node: NODE }) ?? 0;
        if (blocks !== last && blocks > 0 && blocks < BLOCKS) moving++;
        last = blocks;
        for (const b of broken(e)) failures.push(`scrape ${scrapes}: ${b}`);
      }
      t.diagnostic(`${scrapes} scrapes, ${moving} while the counts moved`);
      await sim.waitDone();
      const reconstructed = sim.events.filter((x) => x.probe === 'udp:block_reconstructed').length;
      // The run must have raced reads against scrapes: many scrapes saw a count still moving.
      assert.ok(moving >= 10, `${moving} of ${scrapes} scrapes fell while the counts moved`);
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} broken equalities in ${scrapes} scrapes`);
      // And the reads, once the firing stops, are the exact totals.
      await eventually(async () =>
        assert.equal(
          sample(parseExposition(await agent.metrics()), 'fibre_blocks_reconstructed_total', { node: NODE }),
          reconstructed,
        ),
      );
      assert.deepEqual(broken(parseExposition(await agent.metrics())), []);
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
  180_000,
);
