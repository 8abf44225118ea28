/**
 * The timer slack bpftrace starts with: the child of the spawn inherits it, the spawning process gets
 * its own back (after a spawn that throws too), and a slack the kernel refuses leaves the spawn as it
 * would have been, with the reason said.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { BPFTRACE_TIMER_SLACK_NS, spawnWithTimerSlack } from '../../agent/source/timer-slack.js';

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
