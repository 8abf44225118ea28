/**
 * How bpftrace is started: through stdbuf when fully buffered (its stdout buffer then holds a read
 * interval's lines), never for line buffering, and never in front of a bpftrace that is not there
 * (its absence keeps the agent's own message). setpriv, when used, comes first.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { bpftraceCommand, executable, STDOUT_BUFFER_BYTES } from '../../agent/source/bpftrace.js';

const ARGS = ['-B', 'full', '-e', 'BEGIN {}'];
// Any executable stands in for bpftrace: the command is only built, not run.
const BPFTRACE = process.execPath;

test('fully buffered bpftrace runs through stdbuf with a buffer for a read interval', () => {
  const stdbuf = executable('stdbuf');
  assert.ok(stdbuf, 'stdbuf (coreutils) is on PATH');
  assert.deepEqual(bpftraceCommand(BPFTRACE, ARGS, undefined, 'full'), [
    stdbuf,
    [`--output=${STDOUT_BUFFER_BYTES}`, BPFTRACE, ...ARGS],
  ]);
  assert.deepEqual(bpftraceCommand(BPFTRACE, ARGS, ['SYS_ADMIN'], 'full'), [
    'setpriv',
    ['--bounding-set=-all,+sys_admin', '--', stdbuf, `--output=${STDOUT_BUFFER_BYTES}`, BPFTRACE, ...ARGS],
  ]);
});

test('line-buffered or absent bpftrace runs as itself', () => {
  assert.deepEqual(bpftraceCommand(BPFTRACE, ARGS, undefined, 'line'), [BPFTRACE, ARGS]);
  assert.deepEqual(bpftraceCommand('/nonexistent/bpftrace', ARGS, undefined, 'full'), ['/nonexistent/bpftrace', ARGS]);
  assert.equal(executable('no-such-command-here'), null);
  assert.match(executable('sh') ?? '', /^\/.*\/sh$/, 'a bare name is found on PATH');
});
