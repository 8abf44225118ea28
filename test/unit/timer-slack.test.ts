/**
 * The timer slack bpftrace starts with: the child of the spawn inherits it, the spawning process gets
 * its own back (after a spawn that throws too), and a slack the kernel refuses leaves the spawn as it
 * would have been, with the reason said. A stop gives bpftrace the kernel's default back before its
 * SIGINT, and says so when it cannot.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { BpftraceProcess } from '../../agent/source/bpftrace.js';
import {
  BPFTRACE_TIMER_SLACK_NS,
  DEFAULT_TIMER_SLACK_NS,
  lowerTimerSlack,
  spawnWithTimerSlack,
} from '../../agent/source/timer-slack.js';

const own = () => Number(readFileSync('/proc/self/timerslack_ns', 'utf8'));
/** What a new child process reads as its own slack. */
const childSlack = () => Number(spawnSync('cat', ['/proc/self/timerslack_ns'], { encoding: 'utf8' }).stdout);

test('the spawned child has the slack; this process is back to its own', () => {
  const before = own();
  assert.notEqual(before, BPFTRACE_TIMER_SLACK_NS);
  const unset: string[] = [];
  const seen = spawnWithTimerSlack(BPFTRACE_TIMER_SLACK_NS, childSlack, (r) => unset.push(r));
  assert.equal(seen, BPFTRACE_TIMER_SLACK_NS, 'inherited across fork and exec');
  assert.deepEqual(unset, []);
  assert.equal(own(), before);
  assert.equal(childSlack(), before, 'a later child has the usual slack');
});

test('a spawn that throws still gives this process its slack back', () => {
  const before = own();
  assert.throws(
    () =>
      spawnWithTimerSlack(
        BPFTRACE_TIMER_SLACK_NS,
        () => {
          throw new Error('spawn failed');
        },
        () => {},
      ),
    /spawn failed/,
  );
  assert.equal(own(), before);
});

test('a slack the kernel refuses: the spawn runs anyway, with the usual slack, and the reason is heard', () => {
  const before = own();
  const unset: string[] = [];
  // Not a number of nanoseconds: the kernel answers EINVAL.
  const seen = spawnWithTimerSlack(-1, childSlack, (r) => unset.push(r));
  assert.equal(seen, before);
  assert.equal(unset.length, 1);
  assert.match(
    unset[0] ?? '',
    /^bpftrace keeps the default timer slack \(.*(EINVAL|invalid).*\): idle, it wakes ten times a second$/i,
  );
  assert.equal(own(), before);
});

/**
 * Stands in for bpftrace: says it runs, and on SIGINT prints the slack it has then (its own, read by
 * a child that inherits it) on stderr and exits, as bpftrace's drain would run with it.
 */
function standIn(dir: string): string {
  const path = join(dir, 'bpftrace');
  writeFileSync(
    path,
    `#!/bin/sh\ntrap 'echo "slack $(cat /proc/self/timerslack_ns)" >&2; exit 0' INT\necho running >&2\nwhile :; do sleep 0.2 & wait $!; done\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

async function stopStandIn(t: test.TestContext, beforeStop: (pid: number) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'slack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proc = new BpftraceProcess();
  const stderr: string[] = [];
  const trouble: string[] = [];
  let running: () => void = () => {};
  const started = new Promise<void>((r) => {
    running = r;
  });
  proc.start(
    {
      bpftrace: standIn(dir),
      binary: '/bin/true',
      pid: process.pid,
      program: 'BEGIN {}',
      perfRbPages: 64,
      stdout: 'pipe',
      mapKeysMax: 16,
      buffering: 'line',
      timerSlackNs: BPFTRACE_TIMER_SLACK_NS,
    },
    {
      data: () => {},
      stderr: (l) => {
        stderr.push(l);
        if (l === 'running') running();
      },
      exit: () => {},
      slackTrouble: (l) => trouble.push(l),
    },
  );
  await started;
  const pid = proc.pid as number;
  assert.equal(Number(readFileSync(`/proc/${pid}/timerslack_ns`, 'utf8')), BPFTRACE_TIMER_SLACK_NS);
  beforeStop(pid);
  await proc.stop();
  return { stderr, trouble };
}

const asRoot = process.getuid?.() === 0 ? undefined : "setting another process's slack needs CAP_SYS_NICE: run as root";

test("lowerTimerSlack gives another process the kernel's default", { skip: asRoot }, async () => {
  const child = spawnWithTimerSlack(
    BPFTRACE_TIMER_SLACK_NS,
    () => spawn('sleep', ['30']),
    () => {},
  );
  const pid = child.pid as number;
  const gone = new Promise((r) => child.on('exit', r));
  try {
    const slack = () => Number(readFileSync(`/proc/${pid}/timerslack_ns`, 'utf8'));
    assert.equal(slack(), BPFTRACE_TIMER_SLACK_NS);
    lowerTimerSlack(pid);
    assert.equal(slack(), DEFAULT_TIMER_SLACK_NS);
  } finally {
    child.kill();
    await gone;
  }
  // A process that is gone: the kernel's answer is thrown.
  assert.throws(() => lowerTimerSlack(pid), /ENOENT|ESRCH/);
});

test(
  "a stop lowers bpftrace's slack before its SIGINT, so its last drain runs with the default",
  { skip: asRoot },
  async (t) => {
    const { stderr, trouble } = await stopStandIn(t);
    assert.deepEqual(trouble, []);
    assert.ok(stderr.includes(`slack ${DEFAULT_TIMER_SLACK_NS}`), stderr.join(' | '));
  },
);

test('without CAP_SYS_NICE the stop goes on, with the slack, and says why', { skip: asRoot }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bpftrace = standIn(dir);
  // The same stop, in a process whose bounding set lacks CAP_SYS_NICE (root's exec then drops it).
  const script = `
    import { BpftraceProcess } from ${JSON.stringify(new URL('../../agent/source/bpftrace.js', import.meta.url).href)};
    const proc = new BpftraceProcess();
    const said = [];
    await new Promise((running) => proc.start(
      { bpftrace: ${JSON.stringify(bpftrace)}, binary: '/bin/true', pid: process.pid, program: '', perfRbPages: 64,
        stdout: 'pipe', mapKeysMax: 16, buffering: 'line', timerSlackNs: ${BPFTRACE_TIMER_SLACK_NS} },
      { data() {}, exit() {}, stderr: (l) => { said.push(l); if (l === 'running') running(); },
        slackTrouble: (l) => said.push(l) }));
    await proc.stop();
    console.log(JSON.stringify(said));`;
  const run = spawnSync(
    'setpriv',
    ['--bounding-set=-sys_nice', process.execPath, '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const said = JSON.parse(run.stdout) as string[];
  assert.ok(
    said.some((l) =>
      /^bpftrace keeps its timer slack as it stops \(.*EPERM.*\): its stop takes up to that much longer$/.test(l),
    ),
    said.join(' | '),
  );
  assert.ok(said.includes(`slack ${BPFTRACE_TIMER_SLACK_NS}`), 'the drain ran with the slack');
});
