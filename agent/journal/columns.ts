/**
 * The tables of journal records (`fibre-agent blocks`, the page): a column is a title and a field,
 * whose cell text follows from the field's kind (probes/journal-fields.ts), or a cell of its own. A
 * peer is always escaped: a table cannot show a string from the network raw by forgetting to.
 */
import { JOURNAL_FIELDS, type JournalField } from '../../probes/journal-fields.js';
import { logSafe } from '../record/peer-label.js';
import type { BlockRecord } from './record.js';

export type Column = readonly [title: string, cell: JournalField | ((r: BlockRecord) => string | null)];

/** Milliseconds are what an operator compares (the slow thresholds are in them). */
const PER_MS = { ns: 1e6, us: 1e3, s: 1e-3 } as const;

/** A field as a cell's text; null when the record has no value. */
export function fieldText(r: BlockRecord, field: JournalField): string | null {
  const v = r[field];
  if (v === null) return null;
  const spec = JOURNAL_FIELDS[field];
  switch (spec.kind) {
    case 'instant':
      return String(v)
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '');
    case 'peer':
      // Control characters as escapes, as in the log: invisible (or, a CR, rewritten) otherwise.
      return logSafe(String(v));
    case 'duration':
      // Whole milliseconds already: shown as they are.
      return spec.unit === 'ms' ? String(v) : (Number(v) / PER_MS[spec.unit]).toFixed(1);
    default:
      return String(v);
  }
}

export function cellText([, cell]: Column, r: BlockRecord): string | null {
  return typeof cell === 'function' ? cell(r) : fieldText(r, cell);
}

/** Whether a column shows a peer or the hash: text an operator copies, not a number to compare. */
export function isVerbatim([, cell]: Column): boolean {
  return typeof cell === 'string' && (JOURNAL_FIELDS[cell].kind === 'peer' || JOURNAL_FIELDS[cell].kind === 'hash');
}
