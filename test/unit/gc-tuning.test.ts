/**
 * agent/gc-tuning.ts keeps V8's memory reducer off the agent's small heaps: without it, each node
 * process of an idle agent ran one full collection some 8 s after start, half of the agent's CPU in
 * its first 30 s attached. The setting counts only if it is in place before the modules load, so each
 * executable imports it first and everything else after.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DIST_AGENT = new URL('../../agent/', import.meta.url).href;
/** What --trace-gc prints for a collection the memory reducer started. */
const REDUCER_GC = /Mark-Compact \(reduce\)/;

/**
 * Loads the modules of the supervisor and of the metrics process, with or without the tuning first,
 * then stays idle, as an attached agent does; `out` is what V8 printed of its collections so far.
 */
function idleAfterLoading(tuned: boolean): { child: ChildProcess; out: () => string } {
  const script = [
    tuned ? `await import('${DIST_AGENT}gc-tuning.js');` : '',
    `await import('${DIST_AGENT}agent.js');`,
    `await import('${DIST_AGENT}pipeline.js');`,
    'setInterval(() => {}, 60_000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--trace-gc', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c;
  });
  return { child, out: () => out };
}

test('with the tuning loaded first the memory reducer leaves the idle heaps alone; without it, it collects', async () => {
  const tuned = idleAfterLoading(true);
  const untuned = idleAfterLoading(false);
  try {
    // The reducer acts 8 s after the heap first grew, or 8 s later again if the process was busy.
    const deadline = Date.now() + 30_000;
    while (!REDUCER_GC.test(untuned.out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(untuned.out(), REDUCER_GC, 'the same modules, untuned, get the reducer: the test can fail');
    await new Promise((r) => setTimeout(r, 2000));
    assert.match(tuned.out(), /Scavenge/, 'V8 traces the tuned process too');
    assert.doesNotMatch(tuned.out(), REDUCER_GC);
  } finally {
    tuned.child.kill();
    untuned.child.kill();
  }
});

test('each executable imports the tuning before anything else, and the rest only once it is in place', () => {
  for (const [file, tuning] of [
    ['agent/cli.ts', './gc-tuning.js'],
    ['agent/privsep/worker.ts', '../gc-tuning.js'],
    ['packaging/entry.ts', '../agent/gc-tuning.js'],
  ] as const) {
    const text = readFileSync(`${ROOT}${file}`, 'utf8');
    const statics = [...text.matchAll(/^import\s+(?:[^;]*?\s+from\s+)?'([^']+)';/gm)].map((m) => m[1]);
    assert.equal(statics[0], tuning, `${file} imports ${tuning} first`);
    if (file !== 'packaging/entry.ts') {
      // ES modules load all their static imports before any of them runs: the executables' own
      // modules must come through import(), after the tuning ran.
      assert.deepEqual(statics, [tuning], `${file} imports nothing else statically`);
      assert.match(text, /void import\('\.\/[\w-]+\.js'\);/, `${file} loads the rest with import()`);
    }
  }
});
