import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { Decoder } from '../../agent/decode/decoder.js';
import { LineSplitter } from '../../agent/source/line-splitter.js';
import { PROBES } from '../../probes/catalogue.js';
import type { SimEvent } from '../helpers/sim.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const decoder = new Decoder(PROBES);

test('lines captured from real bpftrace decode to exactly what the simulator fired, hostile strings included', () => {
  // bpftrace-hostile.txt is real bpftrace output for the run recorded in sim-hostile.jsonl.
  const fired = fixture('sim-hostile.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SimEvent)
    .filter((e) => e.probe);
  const lines = fixture('bpftrace-hostile.txt').split('\n').filter(Boolean);
  assert.equal(decoder.decode(lines[0] as string).kind, 'ready');
  const decoded = lines.slice(1).map((l) => decoder.decode(l));
  assert.equal(decoded.length, fired.length);
  let peers = 0;
  decoded.forEach((d, i) => {
    const want = fired[i] as SimEvent;
    assert.equal(d.kind, 'event', `line ${i + 2}`);
    if (d.kind !== 'event') return;
    assert.equal(d.entry.probe, want.probe);
    for (const [name, value] of Object.entries(d.event)) {
      if (Buffer.isBuffer(value)) {
        assert.deepEqual(value, Buffer.from(String(want[`${name}_hex`]), 'hex'), `${want.probe} ${name}`);
        peers++;
      } else assert.equal(value, want[name], `${want.probe} ${name}`);
    }
  });
  assert.ok(peers >= 80, 'the capture holds many strings');
  const allPeers = decoded.flatMap((d) =>
    d.kind === 'event' && Buffer.isBuffer(d.event.peer) ? [d.event.peer.toString('latin1')] : [],
  );
  for (const hostile of ['new\nline', 'back\\x41slash\\', 'peer with spaces 1.2.3.4:8333', '']) {
    assert.ok(allPeers.includes(hostile), `capture includes ${JSON.stringify(hostile)}`);
  }
  assert.ok(
    allPeers.some((p) => p.length === 127),
    'a 127-byte peer arrives whole',
  );
});

test('typed fields: integer ranges are enforced per type', () => {
  const ok = decoder.decode('block_connected -1 18446744073709551615 -9223372036854775808');
  assert.equal(ok.kind, 'event');
  assert.deepEqual(ok.kind === 'event' && ok.event, { height: -1, tx_count: 2 ** 64, connect_time: -(2 ** 63) });
  for (const bad of [
    'block_reconstructed 4294967296 1 1 1',
    'block_reconstructed -1 1 1 1',
    'block_connected 2147483648 1 1',
    'block_connected 1 -1 1',
    'block_connected 1 1 1e3',
    'block_connected 1 1 0x10',
  ]) {
    assert.equal(decoder.decode(bad).kind, 'invalid', bad);
  }
});

test('malformed lines are invalid with a reason, never an exception', () => {
  const cases = [
    '',
    'block_connected',
    'block_connected 1 2',
    'block_connected 1 2 3 4',
    'block_connected  1 2',
    'block_race_winner 1 \\x41 \\x4',
    'block_race_winner 1 \\x41 \\X41',
    'block_race_winner 1 \\x41 A',
    'block_race_winner 1 \\x41 \\x41\\',
    'block_race_winner 1 \\x41 \\xzz',
    'no_such_event 1 2',
    'Lost events',
    'Lost -3 events',
    '\u0000\u00ff binary',
    'ready ',
  ];
  for (const line of cases) {
    const d = decoder.decode(line);
    assert.equal(d.kind, 'invalid', JSON.stringify(line));
    assert.ok(d.kind === 'invalid' && d.reason.length > 0);
  }
});

test('control lines: ready and lost events', () => {
  assert.deepEqual(decoder.decode('ready'), { kind: 'ready' });
  assert.deepEqual(decoder.decode('Lost 17 events'), { kind: 'lost', count: 17 });
});

test('strings stop at the first NUL, and every byte value survives', () => {
  const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
  const hex = [...all, 0, 0, 0].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const d = decoder.decode(`block_race_winner 5 \\x46\\x00\\x41 ${hex}`);
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
  s.push(Buffer.from('block_connected 800000 2847 12'));
  assert.equal(s.discardPartial(), true);
  s.push(Buffer.from('3\nready\n'));
  assert.deepEqual(lines, ['3', 'ready'], 'the cut-off value is not joined to what follows');
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
