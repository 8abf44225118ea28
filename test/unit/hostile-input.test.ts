/**
 * Hostile or broken bpftrace output: a million mutated lines through the splitter, decoder and
 * recorder must raise nothing, be counted, and leave memory bounded; a hundred thousand distinct peers
 * must not grow the series count past the cap.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { MAX_LINE_LENGTH } from '../../agent/ingest.js';
import { sample, samplesOf } from '../helpers/exposition.js';
import { capturedWinnerLines, hex, ingestPipeline } from '../helpers/ingest.js';

/** Every kind of line the program prints, events in both aggregations' shapes. */
function corpus(): Buffer[] {
  return [
    ...capturedWinnerLines(),
    'ready 1',
    'ready 2',
    '@c_blocksSent: 17',
    '@h_txPerBlock[3]: 2',
    '@s_txPerBlock: 81',
    '@g_lastHeight: 800000',
    '@ev[0]: 4',
    '@oor: 1',
    'udp:block_reconstructed 120 130 4500 800001',
    'validation:block_connected 800001 2847 12345678',
    'udp:block_send_start',
    'Lost 3 events',
  ].map((l) => Buffer.from(l, 'latin1'));
}

function setup(peerLabelLimit = 1000) {
  const p = ingestPipeline({ peerLabelLimit, verbose: true, aggregation: 'events' });
  return {
    splitter: { push: (b: Buffer) => p.ingest.write(b) },
    recorder: p.recorder,
    scrape: p.scrape,
    /** The agent's own counts of bad lines, as /metrics reports them. */
    counts: async () => {
      const e = await p.scrape();
      return {
        invalid: sample(e, 'fibre_exporter_errors_total', { error_type: 'decode' }) ?? 0,
        tooLong: sample(e, 'fibre_exporter_errors_total', { error_type: 'line_too_long' }) ?? 0,
      };
    },
  };
}

/** xorshift: the same mutations on every run, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test('a million mutated bpftrace lines: no exception escapes, every bad line is counted, memory stays bounded', async () => {
  const captured = corpus();
  const r = rng(20261124);
  const pick = () => captured[Math.floor(r() * captured.length)] as Buffer;
  const { splitter, scrape, counts } = setup();
  const heapBefore = process.memoryUsage().heapUsed;
  const LINES = 1_000_000;
  let mutated = 0;
  for (let i = 0; i < LINES; i++) {
    let line = Buffer.from(pick());
    const kind = Math.floor(r() * 10);
    if (kind === 0) line = line.subarray(0, Math.floor(r() * line.length));
    else if (kind === 1) line[Math.floor(r() * line.length)] = Math.floor(r() * 256);
    else if (kind === 2) line = Buffer.concat([line, Buffer.from(' '), pick()]);
    else if (kind === 3) line = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
    else if (kind === 4 && i % 100 === 0) line = Buffer.alloc(MAX_LINE_LENGTH * 3 + Math.floor(r() * 5000), 0x41);
    else if (kind === 5) line = Buffer.from(line.toString('latin1').replace(/ /g, r() < 0.5 ? '  ' : '\t'));
    else if (kind === 6)
      line = Buffer.from(line.toString('latin1').replace(/\d/g, () => String.fromCharCode(48 + Math.floor(r() * 75))));
    if (kind <= 6) mutated++;
    // Lines arrive in arbitrary chunks, as from a pipe.
    const cut = Math.floor(r() * (line.length + 1));
    splitter.push(line.subarray(0, cut));
    splitter.push(Buffer.concat([line.subarray(cut), Buffer.from('\n')]));
  }
  const heapAfter = process.memoryUsage().heapUsed;
  const e = await scrape();
  const { invalid, tooLong } = await counts();
  assert.ok(mutated > 500_000, `${mutated} of the lines were mutated`);
  assert.ok(invalid > 200_000, `${invalid} lines were invalid`);
  assert.ok(tooLong > 500, `${tooLong} overlong lines`);
  const processed = samplesOf(e, 'fibre_exporter_events_processed_total').reduce((a, s) => a + s.value, 0);
  assert.ok(processed > 200_000, `${processed} valid events still recorded`);
  assert.ok(samplesOf(e, 'fibre_block_deliveries_total').length <= 3 * 1001, 'series bounded by the peer cap');
  for (const s of e.samples) assert.ok(Number.isFinite(s.value) || s.labels.le === '+Inf', `${s.name} is a number`);
  const grew = (heapAfter - heapBefore) / 2 ** 20;
  assert.ok(grew < 150, `heap grew ${grew.toFixed(1)} MiB over a million lines`);
});

test('100,000 distinct peers: at most peer_label_limit peer series per mechanism, the rest as "other" and counted', async () => {
  const { splitter, recorder, scrape } = setup(1000);
  const winner = hex('FIBRE/UDP');
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) {
    splitter.push(
      Buffer.from(
        `udp:block_race_winner ${800000 + i} ${winner} ${hex(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8333`)}\n`,
      ),
    );
  }
  const grew = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const e = await scrape();
  const series = samplesOf(e, 'fibre_block_deliveries_total');
  assert.equal(series.length, 1001, '1000 peers and "other"');
  assert.equal(
    sample(e, 'fibre_block_deliveries_total', { node: 'n1', mechanism: 'fibre_udp', peer: 'other' }),
    99_000,
  );
  assert.equal(
    series.reduce((a, s) => a + s.value, 0),
    100_000,
    'every delivery counted',
  );
  assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'peer_label_overflow' }), 99_000);
  assert.equal(recorder.distinctPeers, 1000);
  assert.ok(grew < 50, `heap grew ${grew.toFixed(1)} MiB`);
});
