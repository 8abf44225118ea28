import assert from 'node:assert/strict';
import test from 'node:test';
import { labelValue, logSafe, OVERFLOW_PEER, PeerLabels } from '../../agent/record/peer-label.js';
import { MECHANISM, selectedTracepoints, TRACEPOINTS } from '../../probes/catalogue.js';
import { printedBuffer, sourceValue, unprintBuffer } from '../../probes/protocol.js';
import { sample, samplesOf } from '../helpers/exposition.js';
import { hex, ingestPipeline } from '../helpers/ingest.js';

test('a peer key as bpftrace prints a buffer reads back to its bytes; only a literal "\\x" of an escaped byte cannot', () => {
  const peers = ['1.2.3.4:8333', 'bücher.example:8333', 'tab\there', 'new\nline', 'back\\x41slash\\', 'q"uote]: 9', ''];
  for (const peer of peers) {
    const bytes = Buffer.concat([Buffer.from(peer), Buffer.alloc(8)]);
    assert.deepEqual(unprintBuffer(printedBuffer(bytes)), bytes, peer);
  }
  assert.equal(printedBuffer(Buffer.from('a\tb\xff')), 'a\\x09b\\xc3\\xbf');
  // The one ambiguity: literal text "\x09" reads as the tab it spells.
  assert.deepEqual(unprintBuffer(printedBuffer(Buffer.from('\\x09'))), Buffer.from('\t'));
});

test('mechanism mapping', () => {
  const mechanism = (w: string) => sourceValue(MECHANISM, Buffer.from(w, 'latin1'));
  assert.equal(mechanism('FIBRE/UDP'), 'fibre_udp');
  assert.equal(mechanism('BIP152/CMPCTBLOCK'), 'bip152_cmpct');
  for (const other of ['P2P/BLOCK', 'fibre/udp', 'FIBRE/UDP ', '', 'BIP152/BLOCKTXN', 'constructor', '__proto__'])
    assert.equal(mechanism(other), 'other');
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

test('per event, values out of range: negative durations and times are counted, not observed; reorgs lower the height', async () => {
  // The same rules the generated probe bodies apply in the kernel (checked against real bpftrace in
  // the integration tests with the simulator's edge values).
  const { feed, scrape } = ingestPipeline({ aggregation: 'events' });
  feed('ready 1');
  feed('udp:block_reconstructed 0 0 -1 5', 'udp:block_reconstructed 5 6 -250 6', 'udp:block_reconstructed 7 9 1500 -1');
  // height, tx_count, inputs, sigops, connect_time
  feed('validation:block_connected 100 0 1 0 0', 'validation:block_connected 99 1 -3 0 -5');
  feed(`udp:block_race_winner -1 ${hex('FIBRE/UDP')} ${hex('p')}`);
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
  assert.equal(sample(e, 'fibre_last_reconstructed_height', { node: 'n1' }), 6, 'the unknown height -1 is ignored');
  assert.equal(sample(e, 'bitcoin_block_inputs_count', { node: 'n1' }), 1, 'negative inputs are not observed');
  assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'value_out_of_range' }), 4);
  assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'block_connected' }), 2);
  for (const s of samplesOf(e, 'fibre_block_reconstruction_duration_seconds_bucket'))
    assert.ok(s.value >= 0 && !Number.isNaN(s.value));
});

test('kernel maps: each read replaces the last, whole or not at all; a new attempt keeps the previous totals, so counters never go backwards', async () => {
  const { feed, scrape } = ingestPipeline();
  const sendStart = TRACEPOINTS.findIndex((t) => t.probe === 'udp:block_send_start');
  // Counts are kept in one map per epoch; a read prints and applies the one at rest.
  feed(
    'ready 1',
    'read 0',
    '@c_blocksSent_e0: 5',
    `@ev_e0[${sendStart}]: 5`,
    '@h_txPerBlock_e0[0]: 2',
    '@h_txPerBlock_e0[3]: 1',
    '@s_txPerBlock_e0: 81',
    'read_end',
  );
  // Epoch 0's maps are written while epoch 1's are read: a value of epoch 0 in this read (6, which the
  // program does not print) waits for epoch 0's own read.
  feed(
    'read 1',
    '@c_blocksSent_e0: 6',
    '@c_blocksSent_e1: 2',
    `@ev_e0[${sendStart}]: 6`,
    `@ev_e1[${sendStart}]: 2`,
    '@g_lastHeight: 800123',
    '@oor_e1: 2',
    '@dirty: 0',
  );
  let e = await scrape();
  assert.equal(sample(e, 'fibre_blocks_sent_total', { node: 'n1' }), 5, 'nothing of a read before its end');
  assert.equal(sample(e, 'fibre_last_block_height', { node: 'n1' }), undefined, 'not even a gauge');
  feed('read_end');
  e = await scrape();
  assert.equal(sample(e, 'fibre_blocks_sent_total', { node: 'n1' }), 7, 'an absolute read, not an increment');
  assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'block_send_start' }), 7);
  assert.equal(sample(e, 'bitcoin_block_tx_count_bucket', { node: 'n1', le: '1.0' }), 2);
  assert.equal(sample(e, 'bitcoin_block_tx_count_bucket', { node: 'n1', le: '50.0' }), 2);
  assert.equal(sample(e, 'bitcoin_block_tx_count_bucket', { node: 'n1', le: '100.0' }), 3);
  assert.equal(sample(e, 'bitcoin_block_tx_count_bucket', { node: 'n1', le: '+Inf' }), 3);
  assert.equal(sample(e, 'bitcoin_block_tx_count_count', { node: 'n1' }), 3);
  assert.equal(sample(e, 'bitcoin_block_tx_count_sum', { node: 'n1' }), 81);
  assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'value_out_of_range' }), 2);
  assert.equal(sample(e, 'fibre_last_block_height', { node: 'n1' }), 800123);
  // bpftrace was killed before printing again, and a new one starts from 0.
  feed('ready 2', 'read 0', '@c_blocksSent_e0: 1', '@h_txPerBlock_e0[0]: 1', '@s_txPerBlock_e0: 1', 'read_end');
  e = await scrape();
  assert.equal(sample(e, 'fibre_blocks_sent_total', { node: 'n1' }), 8);
  assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'block_send_start' }), 7);
  assert.equal(sample(e, 'bitcoin_block_tx_count_bucket', { node: 'n1', le: '1.0' }), 3);
  assert.equal(sample(e, 'bitcoin_block_tx_count_sum', { node: 'n1' }), 82);
  assert.equal(sample(e, 'fibre_last_block_height', { node: 'n1' }), 800123, 'a gauge keeps its value until set again');
  assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'value_out_of_range' }), 2);
  // bpftrace's last print as it exits has no read around it: applied as it comes.
  feed('@g_lastHeight: 800124');
  assert.equal(sample(await scrape(), 'fibre_last_block_height', { node: 'n1' }), 800124);
  // A count map's name without its epoch is no map the program prints: nothing of it is taken.
  feed('@c_blocksSent: 99', '@c_blocksSent[0]: 99', `@ev[0, ${sendStart}]: 99`);
  e = await scrape();
  assert.equal(sample(e, 'fibre_blocks_sent_total', { node: 'n1' }), 8);
  assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'block_send_start' }), 7);
  // A read cut short by a new attempt is applied, not lost.
  feed('read 1', '@c_blocksSent_e1: 4', 'ready 3');
  assert.equal(sample(await scrape(), 'fibre_blocks_sent_total', { node: 'n1' }), 12);
});

test('connect time sums are nanoseconds whatever the release (the program converts older units); the kernel sum stays an exact integer', async () => {
  const ns = ingestPipeline();
  ns.feed('ready 1', 'read 0', '@h_connectionDuration_e0[2]: 1', '@s_connectionDuration_e0: 7000000', 'read_end');
  assert.equal(sample(await ns.scrape(), 'bitcoin_block_connection_duration_seconds_sum', { node: 'n1' }), 0.007);
});

test('every counter series starts at 0 and the info gauge carries version, node and path', async () => {
  const { scrape } = ingestPipeline();
  const e = await scrape();
  for (const name of [
    'fibre_blocks_reconstructed_total',
    'fibre_chunks_used_total',
    'fibre_blocks_sent_total',
    'bitcoin_blocks_connected_total',
  ]) {
    assert.equal(sample(e, name, { node: 'n1' }), 0, name);
  }
  // One per event type of the default selection: the opt-in probes' only when they are attached.
  assert.equal(
    samplesOf(e, 'fibre_exporter_events_processed_total').length,
    new Set(selectedTracepoints(undefined).map((t) => t.eventType)).size,
  );
  assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'utxocache_add' }), undefined);
  assert.equal(sample(e, 'fibre_exporter_info', { version: '9.9.9', node_name: 'n1', bitcoind_path: '/b' }), 1);
  assert.equal(sample(e, 'fibre_exporter_up'), 1);
  assert.equal(sample(e, 'fibre_exporter_probes_attached'), 0);
  assert.ok(![...e.types.keys()].includes('target_info'));
  assert.ok(e.samples.every((s) => !Object.keys(s.labels).some((k) => k.startsWith('otel_scope'))));
});

test('a full map: what its all-keys map counted beyond the printed entries goes to other and fibre_exporter_map_full_total', async () => {
  const { feed, scrape } = ingestPipeline();
  // 5 FIBRE deliveries, of which the kernel kept 3 under their peer: the map refused 2.
  feed('ready 1', 'read 0', '@c_deliveries_e0[0, 1.2.3.4:8333]: 3', '@c_deliveries_all_e0[0]: 5', 'read_end');
  let e = await scrape();
  const at = (peer: string) => sample(e, 'fibre_block_deliveries_total', { node: 'n1', mechanism: 'fibre_udp', peer });
  assert.equal(at('1.2.3.4:8333'), 3);
  assert.equal(at('other'), 2);
  assert.equal(sample(e, 'fibre_exporter_map_full_total', { map: '@c_deliveries' }), 2);
  // The other epoch: nothing refused there; epoch 0 printed again while written is not this read's.
  feed(
    'read 1',
    '@c_deliveries_e0[0, 1.2.3.4:8333]: 4',
    '@c_deliveries_all_e0[0]: 9',
    '@c_deliveries_e1[0, 5.6.7.8:8333]: 1',
    '@c_deliveries_all_e1[0]: 1',
    'read_end',
  );
  e = await scrape();
  assert.equal(at('5.6.7.8:8333'), 1);
  assert.equal(at('other'), 2, 'the refused count is a total, not added again at each read');
  assert.equal(sample(e, 'fibre_exporter_map_full_total', { map: '@c_deliveries' }), 2);
  // Epoch 0 at rest again: 4 kept, 9 counted.
  feed('read 0', '@c_deliveries_e0[0, 1.2.3.4:8333]: 4', '@c_deliveries_all_e0[0]: 9', 'read_end');
  e = await scrape();
  assert.equal(at('other'), 5);
  assert.equal(sample(e, 'fibre_exporter_map_full_total', { map: '@c_deliveries' }), 5);
});
