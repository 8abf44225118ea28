/**
 * Type-level tests of the journal's declarations: each entry below is wrong, and each must fail to
 * compile. `npm run build` type-checks this file, so a wrong entry that compiled would leave its
 * @ts-expect-error unused and fail the build; test/unit/types.test.ts checks that each error is
 * the intended one, on the marked line.
 */
import type { Column } from '../../agent/journal/columns.js';
import type { BlockRecord } from '../../agent/journal/record.js';
import { type JournalSpec, MECHANISM, tracepoint } from '../../probes/catalogue.js';

const ARGS = [
  { name: 'hash', type: 'hash32' },
  { name: 'height', type: 'i32' },
  { name: 'peer', type: 'str' },
  { name: 'n', type: 'u32' },
  { name: 'p', type: 'ptr' },
] as const;

/** A tracepoint with ARGS that the journal joins as declared. */
const joined = (journal: JournalSpec<typeof ARGS>) =>
  tracepoint({ probe: 'x:y', pack: 'fibre', eventType: 'x', args: ARGS, updates: [], journal });

export const wrongDeclarations = [
  // As in the catalogue: the declaration is checked against the arguments tracepoint() infers.
  tracepoint({
    probe: 'x:unknown_argument',
    pack: 'fibre',
    eventType: 'x',
    args: ARGS,
    updates: [],
    journal: {
      fields: {
        hash: 'hash',
        // @ts-expect-error TS2322 `Type '"chunks"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'` the tracepoint has no argument called chunks
        chunks_used: 'chunks',
      },
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2561 `'chunk_used' does not exist in type 'JournalFills<` the record has no field chunk_used
      chunk_used: 'n',
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2353 `'margin_ns' does not exist in type 'JournalFills<` margin_ns is computed by the journal, not filled from an argument
      margin_ns: 'n',
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2322 `Type '"n"' is not assignable to type '"peer"'` a peer field takes a string argument, not an integer
      fibre_peer: 'n',
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2322 `Type '"peer"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'` an integer field takes an integer argument, not a string
      chunks_used: 'peer',
      // @ts-expect-error TS2322 `Type '"p"' is not assignable to type 'NumberFill<"height" | "n"> | undefined'` a pointer is never read
      sigops: 'p',
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2322 `Type 'string' is not assignable to type 'LabelFill<"peer">'` a label field needs the label set its string is matched against
      winner: 'peer',
    },
  }),
  joined({
    fields: {
      hash: 'hash',
      // @ts-expect-error TS2322 `Type '"n"' is not assignable to type '"peer"'` a label is matched on a string argument
      winner: { arg: 'n', label: MECHANISM },
      // @ts-expect-error TS2322 `Type '"zero"' is not assignable to type '"skip" | "null" | undefined'` negative is 'skip' or 'null'
      udp_ns: { arg: 'n', negative: 'zero' },
    },
  }),
  joined({
    fields: {
      // @ts-expect-error TS2322 `Type '"n"' is not assignable to type '"peer" | "hash"'` the hash comes from a hash32 or string argument
      hash: 'n',
    },
  }),
  joined({
    // @ts-expect-error TS2322 `Property 'hash' is missing in type '{ height: "height"; }'` every journal tracepoint names the hash its events join by
    fields: { height: 'height' },
  }),
];

export function wrongRecords(r: BlockRecord): Column[] {
  // @ts-expect-error TS2551 `Property 'chunk_used' does not exist on type 'BlockRecord'` a record has no property chunk_used
  r.chunk_used = 1;
  // @ts-expect-error TS2322 `Type 'number' is not assignable to type 'string'` fibre_peer holds a string
  r.fibre_peer = 1;
  // @ts-expect-error TS2322 `Type 'string' is not assignable to type 'number'` chunks_used holds a number
  r.chunks_used = '1';
  return [
    // @ts-expect-error TS2820 `Type '"chunk_used"' is not assignable to type '"winner" | "slow" | "hash"` a column shows a field the record has
    ['CHUNKS', 'chunk_used'],
  ];
}
