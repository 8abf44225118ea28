/** The journal's parts on their own: joining by hash, the store's bound, queries, escaping, settings. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { resolveConfig } from '../../agent/config/load.js';
import { journalOn } from '../../agent/config/settings.js';
import { parseQuery } from '../../agent/http/blocks.js';
import { Assembler, displayHash } from '../../agent/journal/assembler.js';
import { parseAge, table } from '../../agent/journal/cli.js';
import { blocksPage, escapeHtml } from '../../agent/journal/html.js';
import { wallClockMs } from '../../agent/journal/journal.js';
import { logsUrl } from '../../agent/journal/otlp-logs.js';
import { type BlockRecord, classify, emptyRecord } from '../../agent/journal/record.js';
import { checkThresholds } from '../../agent/journal/setup.js';
import { SkipLog } from '../../agent/journal/skipped.js';
import { SlowLog } from '../../agent/journal/slow-log.js';
import { JournalStore } from '../../agent/journal/store.js';
import { webhookTarget } from '../../agent/journal/webhook.js';
import { TRACEPOINTS } from '../../probes/catalogue.js';
import { CLI } from '../helpers/agent.js';

const tp = (probe: string) => TRACEPOINTS.find((t) => t.probe === probe) as (typeof TRACEPOINTS)[number];
const internal = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const display = Buffer.from(internal).reverse().toString('hex');

test('a hash32 argument is shown byte-reversed; a hex string as it is; both join on one key', () => {
  assert.equal(displayHash(tp('validation:block_connected'), { hash: internal }), display);
  assert.equal(displayHash(tp('udp:block_reconstructed'), { hash: Buffer.from(display.toUpperCase()) }), display);
  assert.equal(displayHash(tp('udp:block_reconstructed'), { hash: Buffer.from('not a hash') }), undefined);
});

test('events join by hash in any order; a record completes after connected + grace, or at the timeout', () => {
  const done: BlockRecord[] = [];
  const a = new Assembler({ graceMs: 100, timeoutMs: 1000, maxOpen: 10 }, (r) => done.push(r));
  a.event(
    tp('validation:block_connected'),
    { hash: internal, height: 5, tx_count: 3, inputs: 4, sigops: 8, connect_time: 2e6 },
    0,
  );
  a.event(
    tp('udp:block_race_time'),
    { hash: internal, height: 5, udp_ns: -1, udp_peer: Buffer.from('u'), cmpct_ns: 7, cmpct_peer: Buffer.from('c') },
    50,
  );
  a.flush(90);
  assert.equal(done.length, 0, 'still within the grace');
  a.event(
    tp('udp:block_reconstructed'),
    {
      hash: Buffer.from(display),
      peer: Buffer.from('p'),
      chunks_used: 1,
      chunks_recvd: 2,
      num_peers: 3,
      duration_us: 4,
      height: 5,
    },
    95,
  );
  a.flush(100);
  assert.equal(done.length, 1);
  const r = done[0] as BlockRecord;
  assert.equal(r.hash, display);
  assert.deepEqual(
    [r.height, r.udp_ns, r.cmpct_ns, r.margin_ns, r.cmpct_peer, r.chunks_recvd, r.connect_seconds, r.missing_tx_count],
    [5, null, 7, null, 'c', 2, 0.002, null],
  );
  // Never connected: written at the timeout, with what it has.
  a.event(
    tp('udp:block_race_winner'),
    { hash: Buffer.alloc(32, 1), height: 6, winner: Buffer.from('P2P/BLOCK'), peer: Buffer.from('x') },
    200,
  );
  a.flush(1199);
  assert.equal(done.length, 1);
  a.flush(1200);
  assert.equal(done[1]?.winner, 'other');
  assert.equal(done[1]?.tx_count, null);
});

test('open records are bounded: the oldest is written early', () => {
  const done: BlockRecord[] = [];
  const a = new Assembler({ graceMs: 100, timeoutMs: 1e9, maxOpen: 3 }, (r) => done.push(r));
  for (let i = 0; i < 5; i++)
    a.event(
      tp('udp:block_race_winner'),
      { hash: Buffer.alloc(32, i), height: i, winner: Buffer.from('FIBRE/UDP'), peer: Buffer.from('') },
      i,
    );
  assert.equal(a.size, 3);
  assert.deepEqual(
    done.map((r) => r.height),
    [0, 1],
  );
});

test('severity: reconstruction at 50 and 100 ms, first seen to connected at its own threshold', () => {
  const t = { slowReconstructionMs: 50, verySlowReconstructionMs: 100, slowConnectMs: 2000 };
  const r = (reconstruction_us: number | null, seen_to_connected_ms: number | null) => ({
    ...emptyRecord(display, 0),
    reconstruction_us,
    seen_to_connected_ms,
  });
  assert.equal(classify(r(49_999, 10), t).slow, null);
  assert.equal(classify(r(50_000, 10), t).slow, 'slow');
  assert.equal(classify(r(100_000, 10), t).slow, 'very_slow');
  assert.equal(classify(r(-1, 10), t).slow, null, 'a negative duration is unknown, not fast or slow');
  assert.equal(classify(r(null, 2000), t).slow, 'slow');
  assert.match(
    classify(r(120_000, 2500), t).reason ?? '',
    /reconstruction 120\.0 ms >= 100 ms; first seen to connected 2500 ms/,
  );
});

test('the store keeps the newest N, upserts by hash, and keeps the alert history per block', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'fibre-journal-unit-')), 'j.sqlite');
  const store = JournalStore.open(path);
  const rec = (i: number): BlockRecord => ({
    ...emptyRecord(i.toString(16).padStart(64, '0'), 1000 * i),
    height: i,
    slow: i % 2 ? 'slow' : null,
  });
  store.put([1, 2, 3, 4, 5].map(rec), 3);
  assert.deepEqual(
    store.list({ limit: 10 }).map((r) => r.height),
    [5, 4, 3],
  );
  store.put([{ ...rec(4), tx_count: 9 }], 3);
  assert.equal(store.get(rec(4).hash)?.tx_count, 9);
  assert.deepEqual(
    store.list({ limit: 10, slowOnly: true }).map((r) => r.height),
    [5, 3],
  );
  assert.deepEqual(
    store.list({ limit: 10, sinceHeight: 4 }).map((r) => r.height),
    [5, 4],
  );
  assert.deepEqual(
    store.list({ limit: 10, sinceMs: 4500 }).map((r) => r.height),
    [5],
  );
  store.addAlert(rec(5).hash, { time: new Date(7).toISOString(), attempt: 1, status: null, error: 'ECONNREFUSED' });
  store.addAlert(rec(1).hash, { time: new Date(7).toISOString(), attempt: 1, status: 200, error: null });
  assert.deepEqual(store.get(rec(5).hash)?.alerts, [
    { time: new Date(7).toISOString(), attempt: 1, status: null, error: 'ECONNREFUSED' },
  ]);
  store.put([6, 7, 8].map(rec), 3);
  assert.equal(store.get(rec(5).hash), undefined);
  assert.equal(store.integrity(), 'ok');
  store.close();
  const reader = JournalStore.open(path, { readonly: true });
  assert.equal(reader.count(), 3);
  reader.close();
  assert.throws(() => JournalStore.open(join(tmpdir(), 'no-such-dir-fibre', 'j.sqlite'), { readonly: true }));
});

test('query parameters: limit and since checked, anything else refused with one line', () => {
  assert.deepEqual(parseQuery(''), { limit: 100 });
  assert.deepEqual(parseQuery('limit=5&since=800000'), { limit: 5, sinceHeight: 800000 });
  for (const bad of ['limit=0', 'limit=10001', 'limit=-1', 'limit=1e3', 'since=x', 'since=-5', 'x=1'])
    assert.equal(typeof parseQuery(bad), 'string', bad);
});

test('HTML: every string escaped; slow rows marked', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const page = blocksPage(
    [{ ...emptyRecord(display, 0), winner_peer: '<script>alert(1)</script>', slow: 'very_slow', slow_reason: '"x"' }],
    '<node>',
  );
  assert.doesNotMatch(page, /<script>|<node>/);
  assert.match(page, /<tr class="very-slow" title="&quot;x&quot;">/);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('CLI: ages, and a table whose peer column cannot carry terminal escapes', () => {
  assert.equal(parseAge('24h'), 86_400_000);
  assert.equal(parseAge('90s'), 90_000);
  assert.throws(() => parseAge('1w'), /30m, 24h or 7d/);
  const out = table([{ ...emptyRecord(display, 0), winner_peer: '\x1b[31mred\n' }]);
  assert.ok(!out.includes('\x1b') && !out.includes('red\n'));
  assert.match(out, /\\x1b\[31mred\\x0a/);
});

test('settings: on by default; --no-journal, 0 blocks or FIBRE_JOURNAL=false turn it off; thresholds ordered', () => {
  const cfg = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => resolveConfig({ flags, env, file: {} });
  assert.equal(journalOn(cfg({})), true);
  assert.equal(cfg({}).journalPath, '/var/lib/fibre-agent/journal.sqlite');
  assert.equal(journalOn(cfg({ journal: false })), false);
  assert.equal(journalOn(cfg({ journalBlocks: '0' })), false);
  assert.equal(journalOn(cfg({}, { FIBRE_JOURNAL: 'false' })), false);
  assert.throws(() => checkThresholds(cfg({ slowReconstructionMs: '200' })), /must not be below/);
  assert.throws(() => cfg({ slowConnectMs: '0' }), /milliseconds/);
});

test('webhook credentials travel as basic auth; the logs URL sits beside the metrics URL', () => {
  assert.deepEqual(webhookTarget('https://u:p%40ss@h.example/x?t=1'), {
    url: 'https://h.example/x?t=1',
    headers: { Authorization: `Basic ${Buffer.from('u:p@ss').toString('base64')}` },
  });
  assert.equal(logsUrl('http://c:4318/v1/metrics'), 'http://c:4318/v1/logs');
  assert.equal(logsUrl('http://c:4318/otlp/v1/metrics?k=1'), 'http://c:4318/otlp/v1/logs?k=1');
  assert.equal(logsUrl('http://c:4318/custom'), 'http://c:4318/custom/v1/logs');
});

test('fibre-agent blocks reads the file the agent writes (flag, environment, config file), read-only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-journal-cli-'));
  const path = join(dir, 'j.sqlite');
  const store = JournalStore.open(path);
  const recs = [1, 2, 3].map((i) => ({
    ...emptyRecord(i.toString(16).padStart(64, 'a'), Date.now()),
    height: 700 + i,
    winner_peer: 'peer\x1b[2J',
    slow: i === 2 ? ('very_slow' as const) : null,
  }));
  store.put(recs, 10);
  store.close();
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [CLI, 'blocks', ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });

  const one = cli(['--journal-path', path, '--hash', (recs[1] as BlockRecord).hash.toUpperCase(), '--json']);
  assert.equal(one.status, 0, one.stderr);
  assert.deepEqual(JSON.parse(one.stdout), [recs[1]]);
  const byEnv = cli(['--slow'], { FIBRE_JOURNAL_PATH: path });
  assert.equal(byEnv.status, 0, byEnv.stderr);
  assert.deepEqual(
    byEnv.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
    ['702'],
  );
  assert.ok(!byEnv.stdout.includes('\x1b'), 'no escape sequence reaches the terminal');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `journal_path: ${path}\n`);
  const byFile = cli(['-c', config, '--limit', '2']);
  assert.equal(byFile.status, 0, byFile.stderr);
  assert.deepEqual(
    byFile.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
    ['703', '702'],
  );

  // A bad value of a setting the command never reads: the agent would refuse it, blocks does not.
  const unrelated = cli(['--journal-path', path, '--limit', '1'], { FIBRE_METRICS_PORT: 'abc' });
  assert.equal(unrelated.status, 0, unrelated.stderr);
  assert.equal(unrelated.stdout.trimEnd().split('\n').length, 2, 'the header and the newest block');
  const badFile = join(dir, 'bad.yaml');
  writeFileSync(badFile, `journal_path: ${path}\nmetrics_port: abc\npacks: [nosuch]\n`);
  const unrelatedInFile = cli(['-c', badFile, '--limit', '1']);
  assert.equal(unrelatedInFile.status, 0, unrelatedInFile.stderr);
  // Its own setting is still checked as the agent checks it.
  const badPath = cli([], { FIBRE_JOURNAL_PATH: '' });
  assert.equal(badPath.status, 2, badPath.stderr);
  const bad = cli(['--journal-path', path, '--limit', 'x']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'fibre-agent: error: --limit must be a whole number from 1 to 999999\n');
  const missing = cli(['--journal-path', join(dir, 'none', 'j.sqlite')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^fibre-agent: error: cannot read the journal .*none\/j\.sqlite: .+\n$/);
});

test('skipped blocks are told at once, then at most once a minute, all of them, and never when none were skipped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 1_000_000;
  const lines: string[] = [];
  const skips = new SkipLog({ warn: (line: string) => lines.push(line) }, 60_000, () => now);
  skips.total(0);
  assert.equal(lines.length, 0);
  skips.total(3);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] as string,
    /^Journal: 3 blocks skipped \(3 since the agent started\): more than 20 blocks a second/,
  );
  assert.match(lines[0] as string, /fibre_journal_blocks_skipped_total/);
  // More within the minute: held back, then told together when the minute is up.
  now += 10_000;
  skips.total(10);
  skips.total(40);
  skips.total(40);
  assert.equal(lines.length, 1);
  now += 50_000;
  t.mock.timers.tick(50_000);
  assert.equal(lines.length, 2);
  assert.match(lines[1] as string, /^Journal: 37 blocks skipped \(40 since the agent started\)/);
  // Nothing more skipped: no further line however long it runs; a later skip is told at once.
  now += 120_000;
  t.mock.timers.tick(120_000);
  skips.total(40);
  assert.equal(lines.length, 2);
  skips.total(41);
  assert.equal(lines.length, 3);
  assert.match(lines[2] as string, /^Journal: 1 block skipped \(41 since/);
  skips.total(42);
  skips.stop();
  t.mock.timers.tick(120_000);
  assert.equal(lines.length, 3);
});

test('slow blocks are logged one by one up to ten a minute; the rest in one line when the minute is up', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 5_000_000;
  const lines: string[] = [];
  const log = new SlowLog({ warn: (line: string) => lines.push(line) }, 10, 60_000, () => now);
  const record = (height: number): BlockRecord => ({
    ...emptyRecord(display, 0),
    height,
    slow: 'slow',
    slow_reason: 'connect 2500 ms >= 2000 ms',
  });
  for (let h = 1; h <= 25; h++) log.block(record(h));
  assert.equal(lines.length, 10);
  assert.match(lines[9] as string, /^Slow block \(slow\): height=10 hash=/);
  now += 59_999;
  t.mock.timers.tick(59_999);
  assert.equal(lines.length, 10, 'held back until the minute is up');
  now += 1;
  t.mock.timers.tick(1);
  assert.equal(lines.length, 11);
  assert.match(lines[10] as string, /^15 more slow blocks in the last minute, past the 10 logged one by one/);
  assert.match(lines[10] as string, /fibre_slow_blocks_total/);
  // A new minute logs one by one again; stopping tells what it held back.
  for (let h = 26; h <= 37; h++) log.block(record(h));
  assert.equal(lines.length, 21);
  assert.match(lines[20] as string, /height=35 /);
  log.stop();
  assert.equal(lines.length, 22);
  assert.match(lines[21] as string, /^2 more slow blocks in the last minute/);
  // Nothing held back: no line at all.
  t.mock.timers.tick(120_000);
  log.stop();
  assert.equal(lines.length, 22);
});

test('a record takes its times from when the probes fired, in any order of arrival; the grace counts from arrival', () => {
  const done: BlockRecord[] = [];
  const a = new Assembler({ graceMs: 100, timeoutMs: 1000, maxOpen: 10 }, (r) => done.push(r));
  const connected = { hash: internal, height: 5, tx_count: 3, inputs: 4, sigops: 8, connect_time: 2e6 };
  const race = {
    hash: internal,
    height: 5,
    udp_ns: 1,
    udp_peer: Buffer.from('u'),
    cmpct_ns: 7,
    cmpct_peer: Buffer.from('c'),
  };
  // One read brings both lines at 10,000; the race fired first, on another CPU, and comes second.
  a.event(tp('validation:block_connected'), connected, 9_400, 10_000);
  a.event(tp('udp:block_race_time'), race, 9_150, 10_000);
  a.flush(10_099);
  assert.equal(done.length, 0, 'the grace runs from when the lines arrived');
  a.flush(10_100);
  assert.equal(done.length, 1);
  assert.equal(done[0]?.first_seen, new Date(9_150).toISOString());
  assert.equal(done[0]?.seen_to_connected_ms, 250);
});

test('the kernel clock of an event becomes wall-clock time', () => {
  const [s, n] = process.hrtime();
  const now = Date.now();
  const ns = s * 1e9 + n - 1.5e9;
  assert.ok(Math.abs(wallClockMs(ns, now) - (now - 1500)) < 50);
});
