import assert from 'node:assert/strict';
import test from 'node:test';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Decoder } from '../../agent/decode/decoder.js';
import { createPullReader, Exposition } from '../../agent/export/prometheus.js';
import type { Logger } from '../../agent/log.js';
import { Instruments } from '../../agent/record/instruments.js';
import { labelValue, logSafe, OVERFLOW_PEER, PeerLabels } from '../../agent/record/peer-label.js';
import { Recorder } from '../../agent/record/recorder.js';
import { mechanismOf, PROBES } from '../../probes/catalogue.js';
import { parseExposition, sample, samplesOf } from '../helpers/exposition.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function pipeline(options: Partial<ConstructorParameters<typeof Recorder>[1]> = {}) {
  const reader = createPullReader();
  const provider = new MeterProvider({ readers: [reader] });
  const recorder = new Recorder(
    new Instruments(provider.getMeter('test')),
    {
      node: 'n1',
      connectTimeUnit: 'ns',
      peerLabelLimit: 1000,
      verbose: false,
      version: '9.9.9',
      bitcoindPath: '/b',
      ...options,
    },
    quiet,
  );
  const decoder = new Decoder(PROBES);
  const feed = (line: string) => {
    const d = decoder.decode(line);
    assert.equal(d.kind, 'event', line);
    if (d.kind === 'event') recorder.record(d.entry, d.event as never);
  };
  const scrape = async () => parseExposition(await new Exposition(reader).render());
  return { recorder, feed, scrape };
}

const hex = (s: string) => [...Buffer.from(s, 'latin1')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');

test('mechanism mapping', () => {
  assert.equal(mechanismOf('FIBRE/UDP'), 'fibre_udp');
  assert.equal(mechanismOf('BIP152/CMPCTBLOCK'), 'bip152_cmpct');
  for (const other of ['P2P/BLOCK', 'fibre/udp', 'FIBRE/UDP ', '', 'BIP152/BLOCKTXN'])
    assert.equal(mechanismOf(other), 'other');
});

test('peer labels are the peer string itself; only invalid UTF-8 is replaced, by U+FFFD', () => {
  for (const peer of [
    '1.2.3.4:8333',
    'bücher.example:8333',
    'tab\there:8333',
    'back\\slash:8333',
    'q"uote\nline',
    '',
  ]) {
    assert.equal(labelValue(Buffer.from(peer)), peer);
  }
  assert.equal(labelValue(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0x62])), 'a\ufffd\ufffd(b');
});

test('strings from outside cannot forge or break a log line', () => {
  assert.equal(logSafe('new\nline\r[INFO] x'), 'new\\x0aline\\x0d[INFO] x');
  assert.equal(logSafe('tab\there back\\slash \u0085 bücher'), 'tab\\x09here back\\\\slash \\x85 bücher');
});

test('the peer label set is capped; later peers count as "other" and as overflow errors', () => {
  let overflow = 0;
  const labels = new PeerLabels(3, () => overflow++);
  assert.deepEqual(
    ['a', 'b', 'c', 'a'].map((p) => labels.label(Buffer.from(p))),
    ['a', 'b', 'c', 'a'],
  );
  assert.equal(labels.label(Buffer.from('d')), OVERFLOW_PEER);
  assert.equal(labels.label(Buffer.from('b')), 'b');
  assert.equal(overflow, 1);
  assert.equal(labels.size, 3);
});

test('values out of range: negative durations and times are counted, not observed; reorgs lower the height', async () => {
  const { feed, scrape } = pipeline();
  feed('block_reconstructed 0 0 1 -1');
  feed('block_reconstructed 5 6 1 -250');
  feed('block_reconstructed 7 9 2 1500');
  feed('block_connected 100 0 0');
  feed('block_connected 99 1 -5');
  feed(`block_race_winner -1 ${hex('FIBRE/UDP')} ${hex('p')}`);
  const e = await scrape();
  assert.equal(sample(e, 'fibre_blocks_reconstructed_total', { node: 'n1' }), 3);
  assert.equal(sample(e, 'fibre_block_reconstruction_duration_seconds_count', { node: 'n1' }), 1);
  assert.equal(sample(e, 'fibre_block_reconstruction_duration_seconds_sum', { node: 'n1' }), 0.0015);
  assert.equal(sample(e, 'fibre_block_chunks_used_count', { node: 'n1' }), 3, 'zero chunks is a real observation');
  assert.equal(sample(e, 'fibre_block_chunks_used_bucket', { node: 'n1', le: '1.0' }), 1);
  assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'n1' }), 2);
  assert.equal(
    sample(e, 'bitcoin_block_connection_duration_seconds_count', { node: 'n1' }),
    undefined,
    'no time observed for 0 or negative',
  );
  assert.equal(sample(e, 'bitcoin_block_tx_count_count', { node: 'n1' }), 1, 'tx count 0 not observed');
  assert.equal(
    sample(e, 'fibre_last_block_height', { node: 'n1' }),
    99,
    'a reorg lowers the height; an unknown (-1) height is ignored',
  );
  assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'value_out_of_range' }), 3);
  for (const s of samplesOf(e, 'fibre_block_reconstruction_duration_seconds_bucket'))
    assert.ok(s.value >= 0 && !Number.isNaN(s.value));
});

test('every counter series starts at 0 and the info gauge carries version, node and path', async () => {
  const { scrape } = pipeline();
  const e = await scrape();
  for (const name of [
    'fibre_blocks_reconstructed_total',
    'fibre_chunks_used_total',
    'fibre_blocks_sent_total',
    'bitcoin_blocks_connected_total',
  ]) {
    assert.equal(sample(e, name, { node: 'n1' }), 0, name);
  }
  assert.equal(samplesOf(e, 'fibre_exporter_events_processed_total').length, 4);
  assert.equal(sample(e, 'fibre_exporter_info', { version: '9.9.9', node_name: 'n1', bitcoind_path: '/b' }), 1);
  assert.equal(sample(e, 'fibre_exporter_up'), 1);
  assert.equal(sample(e, 'fibre_exporter_probes_attached'), 0);
  assert.ok(![...e.types.keys()].includes('target_info'));
  assert.ok(e.samples.every((s) => !Object.keys(s.labels).some((k) => k.startsWith('otel_scope'))));
});
