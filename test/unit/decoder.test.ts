import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { Decoder } from '../../agent/decode/decoder.js';
import { LineSplitter } from '../../agent/line-splitter.js';
import { capturedWinnerLines, hex } from '../helpers/ingest.js';
import type { SimEvent } from '../helpers/sim.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const decoder = new Decoder('kernel', false);
/** With --verbose, udp:block_race_winner lines carry height, winner and peer, as the capture does. */
const verbose = new Decoder('kernel', true);
/** In 'events' aggregation every update travels per event: block_connected lines carry height, tx count, time. */
const perEvent = new Decoder('events', false);

test('lines captured from real bpftrace decode to exactly what the simulator fired, hostile strings included', () => {
  const fired = fixture('sim-hostile.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SimEvent)
    .filter((e) => e.probe === 'udp:block_race_winner');
  // The peer comes in both forms: its first four words when its NUL falls in them, all sixteen else.
  const peerWidths = new Set(capturedWinnerLines().map((l) => l.split(' ')[3]?.length));
  assert.deepEqual(
    [...peerWidths].sort((a = 0, b = 0) => a - b),
    [4 * 16, 16 * 16],
  );
  const decoded = capturedWinnerLines().map((l) => verbose.decode(l));
  assert.equal(decoded.length, fired.length);
  decoded.forEach((d, i) => {
    const want = fired[i] as SimEvent;
    assert.equal(d.kind, 'event', `line ${i}`);
    if (d.kind !== 'event') return;
    assert.equal(d.tracepoint.probe, want.probe);
    assert.equal(d.event.height, want.height);
    assert.deepEqual(d.event.winner, Buffer.from(String(want.winner_hex), 'hex'));
    assert.deepEqual(d.event.peer, Buffer.from(String(want.peer_hex), 'hex'));
  });
  const allPeers = decoded.flatMap((d) =>
    d.kind === 'event' && Buffer.isBuffer(d.event.peer) ? [d.event.peer.toString('latin1')] : [],
  );
  assert.ok(allPeers.length >= 40, 'the capture holds many strings');
  for (const hostile of ['new\nline', 'back\\x41slash\\', 'peer with spaces 1.2.3.4:8333', '']) {
    assert.ok(allPeers.includes(hostile), `capture includes ${JSON.stringify(hostile)}`);
  }
  assert.ok(
    allPeers.some((p) => p.length === 127),
    'a 127-byte peer arrives whole',
  );
});

test('typed fields: integer ranges are enforced per type', () => {
  // height i32, tx_count u64, inputs i32, sigops i64, connect_time i64
  const ok = perEvent.decode('validation:block_connected -1 18446744073709551615 -2147483648 0 -9223372036854775808');
  assert.equal(ok.kind, 'event');
  assert.deepEqual(ok.kind === 'event' && ok.event, {
    height: -1,
    tx_count: 2 ** 64,
    inputs: -(2 ** 31),
    sigops: 0,
    connect_time: -(2 ** 63),
  });
  for (const bad of [
    'udp:block_reconstructed 4294967296 1 1 1',
    'udp:block_reconstructed -1 1 1 1',
    'validation:block_connected 2147483648 1 1 1 1',
    'validation:block_connected 1 -1 1 1 1',
    'validation:block_connected 1 1 2147483648 1 1',
    'validation:block_connected 1 1 1 1 1e3',
    'validation:block_connected 1 1 1 1 0x10',
    'validation:block_connected 1 1 1',
  ]) {
    assert.equal(perEvent.decode(bad).kind, 'invalid', bad);
  }
});

test('map entries: the key text as printed, an integer value', () => {
  assert.deepEqual(decoder.decode('@c_blocksSent: 17'), { kind: 'map', map: '@c_blocksSent', key: '', value: 17 });
  assert.deepEqual(decoder.decode('@h_txPerBlock[3]: 2'), { kind: 'map', map: '@h_txPerBlock', key: '3', value: 2 });
  assert.deepEqual(decoder.decode('@x[1, a]: b\\x0a]: 3]: -40'), {
    kind: 'map',
    map: '@x',
    key: '1, a]: b\\x0a]: 3',
    value: -40,
  });
  for (const bad of ['@a: x', '@a[1]:3', '@: 1', '@a[]: 1', '@a: 1 2', '@a[1]: 1.5']) {
    assert.equal(decoder.decode(bad).kind, 'invalid', bad);
  }
});

test('malformed lines are invalid with a reason, never an exception', () => {
  const cases = [
    '',
    'udp:block_race_winner',
    'udp:block_race_winner 1 \\x41',
    'udp:block_race_winner 1 \\x41 \\x41 \\x41',
    'udp:block_race_winner  1 \\x41 \\x41',
    'udp:block_race_winner 1 \\x41 \\x4',
    'udp:block_race_winner 1 \\x41 \\X41',
    'udp:block_race_winner 1 \\x41 A',
    'udp:block_race_winner 1 \\x41 \\x41\\',
    'udp:block_race_winner 1 \\x41 \\xzz',
    'block_race_winner 1 \\x41 \\x41',
    // Words: 16 lower-case hex digits each, whole words only.
    `udp:block_race_winner 1 ${'4'.repeat(15)} ${'4'.repeat(16)}`,
    `udp:block_race_winner 1 ${'4'.repeat(16)} ${'A'.repeat(16)}`,
    `udp:block_race_winner 1 ${'4'.repeat(16)} ${'4'.repeat(17)}`,
    `udp:block_race_winner 1 ${'4'.repeat(16)} 0x${'4'.repeat(14)}`,
    'no_such_event 1 2',
    'Lost events',
    'Lost -3 events',
    '\u0000\u00ff binary',
    'ready ',
    'ready',
    'ready -1',
  ];
  for (const line of cases) {
    const d = verbose.decode(line);
    assert.equal(d.kind, 'invalid', JSON.stringify(line));
    assert.ok(d.kind === 'invalid' && d.reason.length > 0);
  }
});

test('control lines: ready with its attempt, and lost events', () => {
  assert.deepEqual(decoder.decode('ready 3'), { kind: 'ready', attempt: 3 });
  assert.deepEqual(decoder.decode('Lost 17 events'), { kind: 'lost', count: 17 });
});

test('strings stop at the first NUL, and every byte value survives', () => {
  const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
  const padded = hex(Buffer.concat([all, Buffer.alloc(3)]));
  const d = verbose.decode(`udp:block_race_winner 5 ${hex(Buffer.from('F\0A'))} ${padded}`);
  assert.equal(d.kind, 'event');
  if (d.kind !== 'event') return;
  assert.deepEqual(d.event.winner, Buffer.from('F'));
  assert.deepEqual(d.event.peer, all);
});

test('a line left unfinished when bpftrace stops is dropped, not completed', () => {
  const lines: string[] = [];
  const s = new LineSplitter(
    100,
    (l) => lines.push(l),
    () => {},
  );
  s.push(Buffer.from('validation:block_connected 800000 2847 12'));
  assert.equal(s.discardPartial(), true);
  s.push(Buffer.from('3\nready 2\n'));
  assert.deepEqual(lines, ['3', 'ready 2'], 'the cut-off value is not joined to what follows');
  assert.equal(s.discardPartial(), false);
});

test('the line splitter joins chunks, caps line length and resynchronises after an overlong line', () => {
  const lines: string[] = [];
  let tooLong = 0;
  const s = new LineSplitter(
    10,
    (l) => lines.push(l),
    () => tooLong++,
  );
  s.push(Buffer.from('abc\nde'));
  s.push(Buffer.from('f\n'));
  s.push(Buffer.from('0123456789ABCDEF'));
  s.push(Buffer.from('more of the same\nok\n'));
  s.push(Buffer.from('0123456789X\nlast\n'));
  s.push(Buffer.from([0xff, 0x0a]));
  assert.deepEqual(lines, ['abc', 'def', 'ok', 'last', '\u00ff']);
  assert.equal(tooLong, 2);
});

test("with the journal on, a joined probe's line ends with the time its probe fired; without it the line is refused", () => {
  const journal = new Decoder('kernel', false, true);
  const hash = '0123456789abcdef'.repeat(4);
  const line = `validation:block_connected ${hash} 7 3 4 8 2000000`;
  const d = journal.decode(`${line} 123456789012345`);
  assert.equal(d.kind, 'event');
  assert.equal(d.kind === 'event' && d.ns, 123456789012345);
  assert.equal(d.kind === 'event' && d.event.height, 7);
  for (const bad of [line, `${line} -5`, `${line} 12x`]) assert.equal(journal.decode(bad).kind, 'invalid', bad);
  // The time is the journal's: a line the journal does not join, or the journal off, has none.
  assert.equal(decoder.decode('validation:block_connected').kind, 'event');
  const counted = perEvent.decode('validation:block_connected 7 3 4 8 2000000');
  assert.equal(counted.kind === 'event' && counted.ns, undefined);
});
