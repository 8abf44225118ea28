/**
 * Throughput of the agent's per-event path (what the kernel path leaves to it: events with peer labels,
 * --verbose, and --aggregation events): decode alone, decode + record, and one scrape, on lines captured
 * from real bpftrace. Prints numbers and ratios; asserts nothing.
 *   npm run bench [-- LINES]
 */
import { readFileSync } from 'node:fs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Decoder } from '../agent/decode/decoder.js';
import { StoreProducer } from '../agent/export/producer.js';
import { createPullReader, Exposition } from '../agent/export/prometheus.js';
import { Ingest } from '../agent/ingest.js';
import type { Logger } from '../agent/log.js';
import { Recorder, type RecorderOptions } from '../agent/record/recorder.js';
import { MetricStore } from '../agent/record/store.js';

const total = Number(process.argv[2] ?? 1_000_000);
/**
 * Real bpftrace output of the hostile-peer run (test/fixtures/bpftrace-hostile.txt, read as data): its
 * udp:block_race_winner lines, with the fields the generated program prints with --verbose.
 */
const captured = readFileSync(new URL('../../test/fixtures/bpftrace-hostile.txt', import.meta.url), 'latin1')
  .split('\n')
  .filter((l) => l.startsWith('block_race_winner '))
  .map((l) => `udp:${l}`);
const lines = Array.from({ length: total }, (_, i) => captured[i % captured.length] as string);

function time(label: string, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(28)} ${(total / s).toFixed(0).padStart(10)} lines/s  (${((s / total) * 1e6).toFixed(2)} us/line)`,
  );
  return s;
}

const decoder = new Decoder('kernel', false);
// The metrics process's path, as agent/pipeline.ts builds it: ingest -> recorder -> store, read by /metrics.
const options: RecorderOptions = {
  node: 'bench',
  peerLabelLimit: 1000,
  verbose: false,
  version: '9.9.9',
  bitcoindPath: '/b',
  aggregation: 'kernel',
};
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const store = new MetricStore(options.node);
const reader = createPullReader(new StoreProducer(store, options.version));
new MeterProvider({ readers: [reader] });
const ingest = new Ingest(new Recorder(store, options, quiet), quiet, options);
const render = () => new Exposition(reader).render();

console.log(`${total} lines, ${captured.length} distinct, from a real bpftrace capture (hostile peer strings)`);
const decodeOnly = time('decode', () => {
  for (const l of lines) decoder.decode(l);
});
const full = time('decode + record', () => {
  for (const l of lines) ingest.line(l);
});
const t0 = process.hrtime.bigint();
const text = await render();
const scrapeMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`scrape (render /metrics)     ${scrapeMs.toFixed(2)} ms, ${text.length} bytes`);
console.log(`record share of the hot path ${(((full - decodeOnly) / full) * 100).toFixed(0)}%`);
console.log(`heap used                    ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
