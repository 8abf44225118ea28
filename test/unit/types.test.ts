/**
 * The type-level tests of test/types/catalogue.ts, checked from the other side: with the
 * @ts-expect-error markers removed, the compiler must report each marked line, for the reason given.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import test from 'node:test';

const root = new URL('../../../', import.meta.url).pathname;

test('each wrong recording in test/types/catalogue.ts fails to compile, on its own line', () => {
  const source = readFileSync(`${root}test/types/catalogue.ts`, 'utf8').split('\n');
  const expected: number[] = [];
  const stripped = source.map((line, i) => {
    if (!line.trim().startsWith('// @ts-expect-error')) return line;
    expected.push(i + 2); // the marker applies to the next line (1-based)
    return '';
  });
  assert.ok(expected.length >= 8, 'the file holds the wrong recordings');
  const probe = `${root}test/types/unmarked-probe.ts`;
  writeFileSync(probe, stripped.join('\n'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [
        `${root}node_modules/typescript/bin/tsc`,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--target',
        'ES2022',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--types',
        'node',
        probe,
      ],
      { encoding: 'utf8', cwd: root },
    );
    const errorLines = new Set(
      [...tsc.stdout.matchAll(/unmarked-probe\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])),
    );
    assert.deepEqual(
      [...errorLines].sort((a, b) => a - b),
      expected,
      `errors on exactly the marked lines:\n${tsc.stdout}`,
    );
  } finally {
    rmSync(probe, { force: true });
  }
});
