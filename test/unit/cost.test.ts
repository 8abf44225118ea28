/** What watching costs, without eBPF: parsing /proc, the program layout, increments, the sysctl's restore. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { BpfStats, BpfStatsError } from '../../agent/source/bpf-stats.js';
import { loadOrder, parseProgInfo } from '../../agent/source/probe-stats.js';
import { canSee, ProcessCost } from '../../agent/source/process-cost.js';
import { parseStat, readUnits } from '../../agent/source/process-stats.js';

test('parseStat: utime + stime over clock ticks, rss in pages, a command name with spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[14 - 3] = '250';
  fields[15 - 3] = '50';
  fields[24 - 3] = '1000';
  const line = `4242 (a (b) c) ${fields.join(' ')}\n`;
  assert.deepEqual(parseStat(line, 100, 4096), { cpuSeconds: 3, residentBytes: 4_096_000 });
  assert.equal(parseStat('4242 (x) S', 100, 4096), undefined);
});

test('parseProgInfo: a uprobe program (type 2) with its id and counts; others are not probes', () => {
  const info = (type: number) =>
    `pos:\t0\nflags:\t02000002\nprog_type:\t${type}\nprog_jited:\t1\nprog_tag:\tcd15ef7275135908\nprog_id:\t6288\nrun_time_ns:\t32318\nrun_cnt:\t21\n`;
  assert.deepEqual(parseProgInfo(info(2)), { id: 6288, runs: 21, runNs: 32318 });
  assert.equal(parseProgInfo(info(7)), undefined, 'the map-read timer is not a probe');
});

test('loadOrder: one program per site, the last block first; a second block of a probe does not count runs', () => {
  const program = [
    'BEGIN { printf("ready"); }',
    'usdt:/opt/bit:coin/bitcoind:net:inbound_message',
    '{ @a = count(); }',
    'usdt:/opt/bit:coin/bitcoind:udp:block_race_winner',
    '{ @b = count(); }',
    'usdt:/opt/bit:coin/bitcoind:udp:block_race_winner',
    '{ printf("line"); }',
    'interval:ms:1000 { print(@a); }',
  ].join('\n');
  const sites: Record<string, number> = { 'net:inbound_message': 2, 'udp:block_race_winner': 1 };
  assert.deepEqual(
    loadOrder(program, (p) => sites[p] ?? 0),
    [
      { probe: 'udp:block_race_winner', counts: false },
      { probe: 'udp:block_race_winner', counts: true },
      { probe: 'net:inbound_message', counts: true },
      { probe: 'net:inbound_message', counts: true },
    ],
  );
});

test('ProcessCost: increments per process, a new bpftrace PID counted from its start, 0 memory while detached', () => {
  const pids: Record<string, number | undefined> = { supervisor: process.pid, bpftrace: process.pid };
  const watch = new ProcessCost(() => pids);
  const first = watch.sample();
  assert.ok((first.cpuSeconds.supervisor ?? 0) > 0, 'first sample: everything since the process started');
  assert.ok((first.residentBytes.supervisor ?? 0) > 10_000_000);
  const second = watch.sample();
  assert.ok((second.cpuSeconds.supervisor ?? 1) < (first.cpuSeconds.supervisor ?? 0), 'then only the increment');
  pids.bpftrace = undefined;
  const detached = watch.sample();
  assert.equal(detached.residentBytes.bpftrace, 0);
  assert.equal(detached.cpuSeconds.bpftrace, undefined);
  assert.equal(detached.cpuSeconds.metrics, undefined, 'no metrics process (--user root): no series');
  watch.close();
});

test('ProcessCost samples only the processes it is given; canSee tells a readable process from a gone one', () => {
  const watch = new ProcessCost(() => ({ supervisor: process.pid, metrics: process.pid }), ['metrics']);
  const sample = watch.sample();
  assert.deepEqual(Object.keys(sample.cpuSeconds), ['metrics']);
  assert.deepEqual(Object.keys(sample.residentBytes), ['metrics'], 'no bpftrace entry when bpftrace is not its own');
  watch.close();
  assert.equal(canSee(process.pid), true);
  assert.equal(canSee(2 ** 22 + 1), false, 'beyond pid_max: no such process');
});

test('BpfStats: turns the statistics on, puts back what it found, and says why when it cannot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-sysctl-'));
  const path = join(dir, 'bpf_stats_enabled');
  writeFileSync(path, '0\n');
  const stats = BpfStats.enable(path);
  assert.equal(readFileSync(path, 'utf8'), '1\n');
  stats.restore();
  assert.equal(readFileSync(path, 'utf8'), '0\n');
  writeFileSync(path, '1\n');
  BpfStats.enable(path).restore();
  assert.equal(readFileSync(path, 'utf8'), '1\n', 'found on: left on');
  assert.throws(() => BpfStats.enable(join(dir, 'missing', 'x')), BpfStatsError);
});

test('clock ticks and page size come from the auxiliary vector, as getconf says them', () => {
  const getconf = (name: string) => Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
  assert.deepEqual(readUnits(), { ticks: getconf('CLK_TCK'), page: getconf('PAGESIZE') });
  // Values no default has (64 KiB pages, 250 ticks), among other entries, up to AT_NULL.
  const entries = [
    [3n, 0x400040n],
    [6n, 65536n],
    [17n, 250n],
    [0n, 0n],
    [6n, 1n],
  ];
  const auxv = Buffer.alloc(16 * entries.length);
  entries.forEach(([type, value], i) => {
    auxv.writeBigUInt64LE(type as bigint, 16 * i);
    auxv.writeBigUInt64LE(value as bigint, 16 * i + 8);
  });
  const path = join(mkdtempSync(join(tmpdir(), 'fibre-auxv-')), 'auxv');
  writeFileSync(path, auxv);
  assert.deepEqual(readUnits(path), { ticks: 250, page: 65536 });
  assert.deepEqual(readUnits(join(path, 'missing')), { ticks: 100, page: 4096 });
});
