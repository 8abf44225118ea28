/**
 * Throughput of the agent's per-event path (what the kernel path leaves to it: events with peer labels,
 * --verbose, and --aggregation events): decode alone, decode + record, and one scrape, on lines captured
 * from real bpftrace. Prints numbers and ratios; asserts nothing.
 *   npm run bench [-- LINES]
 */
import { Decoder } from '../agent/decode/decoder.js';
import { capturedWinnerLines, ingestPipeline } from '../test/helpers/ingest.js';

const total = Number(process.argv[2] ?? 1_000_000);
const captured = capturedWinnerLines();
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
const { ingest, render } = ingestPipeline({ node: 'bench' });

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
