/** The journal's declarations in the catalogue against its field list and the lines the program prints. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { TRACEPOINTS } from '../../probes/catalogue.js';
import { JOURNAL_FIELD_NAMES, JOURNAL_FIELDS } from '../../probes/journal-fields.js';
import { lineArgs } from '../../probes/protocol.js';

const joined = TRACEPOINTS.filter((t) => t.journal !== undefined);

test('every field not computed is filled by some tracepoint; computed ones by none', () => {
  for (const field of JOURNAL_FIELD_NAMES) {
    const fillers = joined.filter((t) => Object.hasOwn(t.journal?.fields ?? {}, field));
    if ('computed' in JOURNAL_FIELDS[field]) assert.equal(fillers.length, 0, field);
    else assert.ok(fillers.length > 0, `${field}: no tracepoint fills it, so it would stay null`);
  }
});

test('every argument a journal declaration reads is on the line the probe prints while the journal is on', () => {
  for (const t of joined) {
    const read = Object.values(t.journal?.fields ?? {}).map((how) => (typeof how === 'string' ? how : how.arg));
    for (const [aggregation, verbose] of [
      ['kernel', false],
      ['kernel', true],
      ['events', false],
    ] as const) {
      const printed = lineArgs(t, aggregation, verbose, true).map((a) => a.name);
      for (const arg of read)
        assert.ok(printed.includes(arg), `${t.probe}: ${arg} (${aggregation}, verbose ${verbose})`);
    }
  }
});

test('one tracepoint says a block is connected: the record closes after it', () => {
  assert.deepEqual(
    joined.filter((t) => t.journal?.connected).map((t) => t.probe),
    ['validation:block_connected'],
  );
});
