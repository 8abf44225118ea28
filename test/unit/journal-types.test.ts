/**
 * The wrong journal declarations of test/types/journal.ts, checked from the other side: with the
 * @ts-expect-error markers removed, the compiler reports each marked line, for the reason given.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { typeErrors } from '../helpers/type-errors.js';

/** For each marker's reason, what the compiler's message must say. */
const EXPECTED: Readonly<Record<string, string>> = {
  'the tracepoint has no argument called chunks': `Type '"chunks"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'`,
  'the record has no field chunk_used': `'chunk_used' does not exist in type 'JournalFills<`,
  'margin_ns is computed by the journal, not filled from an argument': `'margin_ns' does not exist in type 'JournalFills<`,
  'a peer field takes a string argument, not an integer': `Type '"n"' is not assignable to type '"peer"'`,
  'an integer field takes an integer argument, not a string': `Type '"peer"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'`,
  'a pointer is never read': `Type '"p"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'`,
  'a label field needs the label set its string is matched against': `Type 'string' is not assignable to type 'LabelFill<"peer">'`,
  'a label is matched on a string argument': `Type '"n"' is not assignable to type '"peer"'`,
  "negative is 'skip' or 'null'": `Type '"zero"' is not assignable to type '"skip" | "null" | undefined'`,
  'the hash comes from a hash32 or string argument': `Type '"n"' is not assignable to type '"peer" | "hash"'`,
  'every journal tracepoint names the hash its events join by': `Property 'hash' is missing in type '{ height: "height"; }'`,
  'a record has no property chunk_used': `Property 'chunk_used' does not exist on type 'BlockRecord'`,
  'fibre_peer holds a string': `Type 'number' is not assignable to type 'string'`,
  'chunks_used holds a number': `Type 'string' is not assignable to type 'number'`,
  'a column shows a field the record has': `Type '"chunk_used"' is not assignable to type '"winner" | "slow" | "hash"`,
};

test('each wrong journal declaration in test/types/journal.ts fails to compile, for its reason', () => {
  const { marked, errors, output } = typeErrors('test/types/journal.ts');
  assert.ok(marked.length >= 12, 'the file holds the wrong declarations');
  for (const { line, reason } of marked) {
    const expected = EXPECTED[reason];
    assert.ok(expected !== undefined, `line ${line}: no expected error for "${reason}"`);
    const said = (errors.get(line) ?? []).join('\n');
    assert.ok(said.includes(expected), `line ${line} (${reason}): expected ${expected}\ngot: ${said || 'no error'}`);
  }
  const unmarked = [...errors.keys()].filter((line) => !marked.some((m) => m.line === line));
  assert.deepEqual(unmarked, [], `errors only on the marked lines:\n${output}`);
});
