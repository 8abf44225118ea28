/**
 * An idle agent wakes as little as it can: what an idle node costs is mostly how often its processes
 * wake. The journal arms its flush timer only while a block is open; the supervisor's cost watch, with
 * nothing to sample (the metrics process samples at each scrape), sets no timer at all, and otherwise
 * samples with each read and once every IDLE_COST_INTERVAL_MS; the RPC credential's file is watched
 * by the kernel (its directory, or the nearest one above it), and looked at on its own only once per
 * poll interval.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { mock } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Journal } from '../../agent/journal/journal.js';
import { JournalStore } from '../../agent/journal/store.js';
import { ConsoleLogger } from '../../agent/log.js';
import { ASKED_LOOK_MIN_MS, HELD_LOOK_MS, RpcAccess } from '../../agent/rpc/access.js';
import type { RpcEndpoint } from '../../agent/rpc/endpoint.js';
import { CostWatch, IDLE_COST_INTERVAL_MS } from '../../agent/source/cost-watch.js';
import type { CostSample } from '../../agent/source/downstream.js';
import { TRACEPOINTS } from '../../probes/catalogue.js';

const connected = TRACEPOINTS.find((t) => t.probe === 'validation:block_connected');

/** A journal that writes 20 ms after a block is connected, its timer every 10 ms. */
function quickJournal(store: JournalStore): Journal {
  const thresholds = { slowReconstructionMs: 50, verySlowReconstructionMs: 100, slowConnectMs: 1000 };
  return new Journal(
    { keep: 10, graceMs: 20, flushEveryMs: 10, ...thresholds },
    { store, log: new ConsoleLogger('ERROR'), slow: () => {} },
  );
}

/** block_connected's fields for block n. */
function blockConnected(n: number) {
  return { hash: Buffer.alloc(32, n), height: n, tx_count: 1, inputs: 1, sigops: 1, connect_time: 1 };
}

/** Records the delay of every timer the code under test sets, and lets each run as asked. */
function recordTimers(): { delays: number[]; restore: () => void } {
  const delays: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetInterval(fn, ms);
  }) as typeof setInterval;
  return {
    delays,
    restore: () => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.setInterval = realSetInterval;
    },
  };
}

test('the journal sets no timer while no block is open, one while one is, and none once it is written', async () => {
  assert.ok(connected);
  const dir = mkdtempSync(join(tmpdir(), 'fibre-idle-'));
  const store = JournalStore.open(join(dir, 'journal.sqlite'));
  const timers = recordTimers();
  const armed = timers.delays;
  const journal = quickJournal(store);
  try {
    assert.deepEqual(armed, [], 'an idle journal has no timer');
    journal.event(connected, blockConnected(7));
    assert.equal(armed.length, 1, 'an open block arms one timer');
    await delay(200);
    assert.equal(store.count(), 1, 'the block was written');
    const after = armed.length;
    await delay(100);
    assert.equal(armed.length, after, 'with nothing open the timer is not armed again');
  } finally {
    timers.restore();
    await journal.stop();
    rmSync(dir, { recursive: true });
  }
});

test('a read writes the records due and puts the timer off past the next read: while reads come, the journal sets off no wake', async () => {
  assert.ok(connected);
  const dir = mkdtempSync(join(tmpdir(), 'fibre-idle-'));
  const store = JournalStore.open(join(dir, 'journal.sqlite'));
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const journal = quickJournal(store);
  try {
    journal.event(connected, blockConnected(1));
    journal.read(1000);
    assert.equal(store.count(), 0, 'not due yet: within its grace');
    // The timer would have fired at 10 ms; the read put it off to two read intervals.
    mock.timers.tick(25);
    assert.equal(store.count(), 0, 'no write between reads');
    journal.read(1000);
    assert.equal(store.count(), 1, 'written by the read, past its grace');
    journal.event(connected, blockConnected(2));
    mock.timers.tick(2000);
    assert.equal(store.count(), 2, 'with no read coming, the timer writes it');
  } finally {
    mock.timers.reset();
    await journal.stop();
    rmSync(dir, { recursive: true });
  }
});

test('the cost watch samples once at start, then every IDLE_COST_INTERVAL_MS while nothing is read', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const samples: CostSample[] = [];
  const watch = new CostWatch(
    { pids: () => ({ supervisor: process.pid }), attached: () => undefined },
    (s) => samples.push(s),
    new ConsoleLogger('ERROR'),
    { intervalMs: 1000, probeStats: true },
  );
  try {
    watch.start();
    assert.equal(samples.length, 1);
    assert.equal(samples[0]?.probes, undefined, 'nothing attached: no probe figures');
    assert.deepEqual(samples[0]?.cpuSeconds, {}, 'processes are sampled by the metrics process');
    // A read just after a sample adds nothing: reads come once a read interval at most.
    watch.busy();
    assert.equal(samples.length, 1);
    mock.timers.tick(IDLE_COST_INTERVAL_MS - 1);
    assert.equal(samples.length, 1, 'no sample on a second tick while idle');
    mock.timers.tick(1);
    assert.equal(samples.length, 2);
    mock.timers.tick(IDLE_COST_INTERVAL_MS);
    assert.equal(samples.length, 3);
    watch.stop();
    mock.timers.tick(10 * IDLE_COST_INTERVAL_MS);
    assert.equal(samples.length, 3, 'none after stop');
  } finally {
    mock.timers.reset();
  }
});

test('with nothing to sample the cost watch sets no timer; processes /proc hides from the metrics process start it', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const samples: CostSample[] = [];
  const watch = new CostWatch(
    { pids: () => ({ supervisor: process.pid, metrics: process.pid }), attached: () => undefined },
    (s) => samples.push(s),
    new ConsoleLogger('ERROR'),
    { intervalMs: 1000, probeStats: false },
  );
  try {
    watch.start();
    watch.busy();
    mock.timers.tick(10 * IDLE_COST_INTERVAL_MS);
    assert.equal(samples.length, 0, 'no sample, no timer');
    watch.watch(['supervisor', 'bpftrace']);
    assert.equal(samples.length, 1);
    assert.deepEqual(
      Object.keys(samples[0]?.cpuSeconds ?? {}),
      ['supervisor'],
      'the supervisor, not the metrics process',
    );
    assert.equal(samples[0]?.residentBytes.bpftrace, 0, 'bpftrace not running');
    mock.timers.tick(IDLE_COST_INTERVAL_MS);
    assert.equal(samples.length, 2);
    watch.stop();
  } finally {
    mock.timers.reset();
  }
});

/** Waits (on timers the recording does not see) until `sent`'s last credential is `expected`. */
async function until(sent: RpcEndpoint[], expected: string): Promise<void> {
  for (let i = 0; i < 200 && lastCredential(sent) !== expected; i++) await delay(50);
  assert.equal(lastCredential(sent), expected);
}

/** The password of the last endpoint delivered, or its state when it has none. */
function lastCredential(sent: RpcEndpoint[]): string | undefined {
  const e = sent.at(-1);
  return e === undefined ? undefined : e.state === 'ready' ? e.password : e.state;
}

/** The poll interval given to RpcAccess: an hour, so any change seen within a test came from a watch. */
const HOUR_MS = 3_600_000;

/**
 * Follows this process with its cookie at `path` under a new temporary directory, the timers recorded,
 * and runs `body`; stops and cleans up whatever happens. `eventually` (test/helpers) is not used here:
 * its own timers would be recorded with the ones under test.
 */
async function withCookieAt(
  path: string,
  body: (at: {
    dir: string;
    cookie: string;
    sent: RpcEndpoint[];
    timers: number[];
    access: RpcAccess;
  }) => Promise<void>,
  intervalMs = HOUR_MS,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-cookie-'));
  const cookie = join(dir, path);
  const sent: RpcEndpoint[] = [];
  const timers = recordTimers();
  const access = new RpcAccess(
    { rpcUrl: 'http://127.0.0.1:8332/', rpcCookieFile: cookie },
    (e) => sent.push(e),
    new ConsoleLogger('ERROR'),
    intervalMs,
  );
  try {
    access.follow(process.pid);
    await body({ dir, cookie, sent, timers: timers.delays, access });
  } finally {
    access.stop();
    timers.restore();
    rmSync(dir, { recursive: true });
  }
}

/** Writes a cookie as bitcoind does: to a temporary file, renamed into place. */
function writeCookie(cookie: string, password: string): void {
  writeFileSync(`${cookie}.tmp`, `__cookie__:${password}`);
  renameSync(`${cookie}.tmp`, cookie);
}

/** Only looks an hour or more apart (the interval given, or the hourly look while a credential is held): no poll. */
function noPoll(timers: readonly number[]): void {
  assert.deepEqual(
    timers.filter((t) => t < HOUR_MS),
    [],
    'no poll: every change came from a watch',
  );
}

test('the RPC credential is watched, not polled: a new cookie arrives with no timer but the hour-long backstop', () =>
  withCookieAt('.cookie', async ({ cookie, sent, timers }) => {
    assert.equal(lastCredential(sent), 'waiting', 'no cookie yet');
    assert.deepEqual(timers, [HOUR_MS], 'the directory exists: one backstop timer, no poll');
    writeCookie(cookie, 'first');
    await until(sent, 'first');
    writeCookie(cookie, 'second');
    await until(sent, 'second');
    rmSync(cookie);
    await until(sent, 'waiting');
    noPoll(timers);
  }));

test("while the credential's directory does not exist, the nearest one above it is watched, and each step down in turn", () =>
  withCookieAt('datadir/regtest/.cookie', async ({ dir, cookie, sent, timers }) => {
    assert.equal(lastCredential(sent), 'waiting');
    // bitcoind makes its data directory, then the network's, then writes the cookie.
    mkdirSync(join(dir, 'datadir'));
    await delay(100);
    mkdirSync(join(dir, 'datadir', 'regtest'));
    await delay(100);
    writeCookie(cookie, 'found');
    await until(sent, 'found');
    writeCookie(cookie, 'rewritten');
    await until(sent, 'rewritten');
    noPoll(timers);
  }));

test('with a credential in hand the file is looked at hourly, without one once an interval', () =>
  withCookieAt(
    '.cookie',
    async ({ cookie, sent, timers }) => {
      assert.deepEqual(timers, [2 * HOUR_MS], 'no credential yet: the interval');
      writeCookie(cookie, 'held');
      await until(sent, 'held');
      assert.deepEqual(timers, [2 * HOUR_MS, HELD_LOOK_MS], 'in hand: hourly');
      rmSync(cookie);
      await until(sent, 'waiting');
      assert.deepEqual(timers, [2 * HOUR_MS, HELD_LOOK_MS, 2 * HOUR_MS], 'gone: the interval again');
    },
    2 * HOUR_MS,
  ));

test('a credential bitcoind refused is read again at once, not at the next look', () =>
  withCookieAt('.cookie', async ({ cookie, sent, access }) => {
    writeCookie(cookie, 'old');
    await until(sent, 'old');
    // Written, and looked for before the watch's event can arrive (it comes on a later turn).
    writeCookie(cookie, 'new');
    access.lookAgain();
    assert.equal(lastCredential(sent), 'new');
    const count = sent.length;
    await delay(ASKED_LOOK_MIN_MS);
    access.lookAgain();
    assert.equal(sent.length, count, 'the same file again: nothing new is sent');
  }));

test('the metrics process cannot make the supervisor look more than once a second', () =>
  withCookieAt('.cookie', async ({ cookie, sent, access }) => {
    writeCookie(cookie, 'old');
    await until(sent, 'old');
    access.lookAgain();
    writeCookie(cookie, 'new');
    // Asked again at once: not looked, so the new cookie waits for the watch.
    access.lookAgain();
    assert.equal(lastCredential(sent), 'old');
    await until(sent, 'new');
  }));
