/**
 * Counting in the kernel, bpftrace's event lines between two reads reach the metrics process in one
 * write, with the read that flushes them, not 4 KiB at a time (glibc's buffer for a pipe): bpftrace is
 * started the agent's way (BpftraceProcess, -B full, through stdbuf) and every chunk its stdout
 * delivers is looked at. The lines are 120 bytes, 24 kB between flushes, so a 4 KiB buffer would cut
 * chunks in the middle of a line; the same program run line-buffered shows what a chunk looks like
 * otherwise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpftraceProcess, executable } from '../../agent/source/bpftrace.js';
import type { OutputBuffering } from '../../probes/protocol.js';
import { ebpfTest } from '../helpers/ebpf.js';

const LINE = 'x'.repeat(119);
const FLUSHES = 3;
const PROGRAM = [
  'BEGIN { print("start"); }',
  `interval:ms:5 { printf("${LINE}\\n"); }`,
  `interval:ms:1000 { @n = @n + 1; print("flush"); if (@n == ${FLUSHES}) { exit(); } }`,
  'END { clear(@n); }',
].join('\n');

interface Seen {
  chunks: string[];
  /** Whether bpftrace had coreutils' stdbuf library loaded (its buffer set before main). */
  preloaded: boolean;
}

async function watch(buffering: OutputBuffering): Promise<Seen> {
  // -p needs a process to follow; the probes here are bpftrace's own timers.
  const target = spawn('sleep', ['60'], { stdio: 'ignore' });
  const chunks: string[] = [];
  let preloaded = false;
  const proc = new BpftraceProcess();
  try {
    await new Promise<void>((resolve, reject) => {
      const stderr: string[] = [];
      proc.start(
        {
          bpftrace: 'bpftrace',
          binary: '/bin/sleep',
          pid: target.pid as number,
          program: PROGRAM,
          perfRbPages: 64,
          stdout: 'pipe',
          mapKeysMax: 64,
          buffering,
        },
        {
          data: (chunk) => {
            chunks.push(chunk.toString('latin1'));
            if (proc.pid !== undefined && chunks.length === 1) {
              preloaded = readFileSync(`/proc/${proc.pid}/maps`, 'latin1').includes('libstdbuf');
            }
          },
          stderr: (l) => stderr.push(l),
          exit: (code) => (code === 0 ? resolve() : reject(new Error(`bpftrace exit ${code}: ${stderr.join('\n')}`))),
        },
      );
    });
  } finally {
    await proc.stop();
    target.kill();
  }
  return { chunks, preloaded };
}

ebpfTest(
  'kernel counting: event lines wait in bpftrace for the flush of a read, one write with it (stdbuf)',
  async () => {
    assert.ok(executable('stdbuf'), 'stdbuf (coreutils) is on PATH');
    const full = await watch('full');
    assert.ok(full.preloaded, "bpftrace runs with stdbuf's library, which sets its stdout buffer");
    const text = full.chunks.join('');
    const lines = text.split('\n').filter((l) => l === LINE).length;
    assert.ok(lines > FLUSHES * 100, `${lines} event lines came`);
    assert.equal(text.split('\n').filter((l) => l === 'flush').length, FLUSHES);
    // Each flush is one write: every chunk of event lines ends with the flush's line, and no chunk
    // ends inside a line (bpftrace's blank lines at exit come alone).
    const cut = full.chunks.filter((c) => !c.endsWith('\n'));
    assert.deepEqual(
      cut.map((c) => c.length),
      [],
      'no chunk ends inside a line',
    );
    const between = full.chunks.filter((c) => c.includes(LINE) && !/\nflush\n+$/.test(c));
    assert.deepEqual(
      between.map((c) => c.length),
      [],
      'no chunk of event lines arrives without the flush that ends it',
    );

    // The control: written as they come, the same lines arrive in many more, smaller chunks.
    const line = await watch('line');
    assert.ok(!line.preloaded, 'line-buffered bpftrace is started without stdbuf');
    assert.ok(
      line.chunks.length > full.chunks.length * 10,
      `${line.chunks.length} chunks line-buffered, ${full.chunks.length} fully buffered`,
    );
  },
  60_000,
);
