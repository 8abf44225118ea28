/**
 * Throughput of the agent's hot path on lines captured from real bpftrace: decode alone, decode +
 * record, and decode + record + one scrape. Prints numbers and ratios; asserts nothing.
 *   npm run bench [-- LINES]
 */
import { readFileSync } from 'node:fs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Decoder } from '../agent/decode/decoder.js';
import { createPullReader, Exposition } from '../agent/export/prometheus.js';
import { Instruments } from '../agent/record/instruments.js';
import { Recorder } from '../agent/record/recorder.js';
import { PROBES } from '../probes/catalogue.js';

const total = Number(process.argv[2] ?? 1_000_000);
const captured = readFileSync(new URL('../../test/fixtures/bpftrace-hostile.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && l !== 'ready');
const lines = Array.from({ length: total }, (_, i) => captured[i % captured.length] as string);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function time(label: string, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(28)} ${(total / s).toFixed(0).padStart(10)} lines/s  (${((s / total) * 1e6).toFixed(2)} us/line)`,
  );
  return s;
}

const decoder = new Decoder(PROBES);
const reader = createPullReader();
const provider = new MeterProvider({ readers: [reader] });
const recorder = new Recorder(
  new Instruments(provider.getMeter('bench')),
  { node: 'bench', connectTimeUnit: 'ns', peerLabelLimit: 1000, verbose: false, version: '0', bitcoindPath: '/b' },
  quiet,
);

console.log(`${total} lines, ${captured.length} distinct, from a real bpftrace capture (hostile peer strings)`);
const decodeOnly = time('decode', () => {
  for (const l of lines) decoder.decode(l);
});
const full = time('decode + record', () => {
  for (const l of lines) {
    const d = decoder.decode(l);
    if (d.kind === 'event') recorder.record(d.entry, d.event as never);
  }
});
const t0 = process.hrtime.bigint();
const text = await new Exposition(reader).render();
const scrapeMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`scrape (render /metrics)     ${scrapeMs.toFixed(2)} ms, ${text.length} bytes`);
console.log(`record share of the hot path ${(((full - decodeOnly) / full) * 100).toFixed(0)}%`);
console.log(`blocks/s at 4 lines a block  ${(total / full / 4).toFixed(0)}`);
console.log(`heap used                    ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
