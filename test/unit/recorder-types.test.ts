/**
 * The type-level tests of test/types/recorder.ts, checked from the other side: with the
 * @ts-expect-error markers removed, the compiler must report each marked line, and for the reason its
 * marker gives in backquotes (a metric of the wrong kind), and no other line.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import test from 'node:test';
import { typeErrors } from '../helpers/tsc.js';

const root = new URL('../../../', import.meta.url).pathname;
const MARKER = /^\s*\/\/ @ts-expect-error [^`]+`([^`]+)`$/;

test('each swapped recording in test/types/recorder.ts fails to compile, on its own line, for its kind', () => {
  const source = readFileSync(`${root}test/types/recorder.ts`, 'utf8').split('\n');
  const expected = new Map<number, string>();
  const stripped = source.map((line, i) => {
    if (!line.trim().startsWith('// @ts-expect-error')) return line;
    const m = MARKER.exec(line);
    assert.ok(m, `line ${i + 1}: a marker gives its reason and, in backquotes, the compiler's words`);
    expected.set(i + 2, m[1] as string); // the marker applies to the next line (1-based)
    return '';
  });
  assert.ok(expected.size >= 6, 'the file holds the swapped recordings');
  const file = 'test/types/unmarked-recorder.ts';
  writeFileSync(`${root}${file}`, stripped.join('\n'));
  try {
    const errors = typeErrors(file);
    assert.deepEqual(
      [...errors.keys()].sort((a, b) => a - b),
      [...expected.keys()],
      `errors on exactly the marked lines:\n${[...errors].map(([l, m]) => `${l}: ${m.join('; ')}`).join('\n')}`,
    );
    for (const [line, words] of expected) {
      const messages = (errors.get(line) ?? []).join('\n');
      assert.ok(messages.includes(words), `line ${line}: expected "${words}", got:\n${messages}`);
    }
  } finally {
    rmSync(`${root}${file}`, { force: true });
  }
});
