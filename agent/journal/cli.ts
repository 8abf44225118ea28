/**
 * `fibre-agent blocks`: the journal read straight from its file (read-only), with or without a running
 * agent. Strings from the network are escaped for the terminal: a peer cannot send escape sequences.
 */

import { BlocksUsageError } from '../shared/errors.js';
import { type Column, cellText, fieldText } from './columns.js';
import { type BlockRecord, HASH_HEX } from './record.js';
import { JournalStore } from './store.js';

export interface BlocksOptions {
  limit: string;
  slow?: boolean;
  hash?: string;
  since?: string;
  json?: boolean;
  journalPath: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An age such as 90s, 30m, 24h or 7d, in milliseconds. */
export function parseAge(text: string): number {
  const m = /^([0-9]{1,9})([smhd])$/.exec(text.trim());
  if (!m) throw new BlocksUsageError(`--since ${JSON.stringify(text)}: expected an age such as 30m, 24h or 7d`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

const COLUMNS: readonly Column[] = [
  ['HEIGHT', 'height'],
  ['FIRST SEEN (UTC)', 'first_seen'],
  ['WINNER', 'winner'],
  ['MARGIN_MS', 'margin_ns'],
  ['RECON_MS', 'reconstruction_us'],
  ['CONNECT_MS', 'connect_seconds'],
  ['MISSING_TX', 'missing_tx_count'],
  ['TXS', 'tx_count'],
  ['SLOW', 'slow'],
  // Cut to keep the row on one screen line; `--json` has the whole of it.
  ['PEER', (r) => fieldText(r, 'winner_peer')?.slice(0, 40) ?? null],
  ['HASH', 'hash'],
];

export function table(records: readonly BlockRecord[]): string {
  const rows = [COLUMNS.map(([t]) => t), ...records.map((r) => COLUMNS.map((c) => cellText(c, r) ?? '-'))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function blocksOutput(o: BlocksOptions, now = Date.now()): string {
  if (!/^[0-9]{1,6}$/.test(o.limit) || Number(o.limit) < 1)
    throw new BlocksUsageError('--limit must be a whole number from 1 to 999999');
  const hash = o.hash?.toLowerCase();
  if (hash !== undefined && !HASH_HEX.test(hash)) throw new BlocksUsageError('--hash must be 64 hexadecimal digits');
  const sinceMs = o.since === undefined ? undefined : now - parseAge(o.since);
  let store: JournalStore;
  try {
    store = JournalStore.open(o.journalPath, { readonly: true });
  } catch (err) {
    throw new Error(`cannot read the journal ${o.journalPath}: ${(err as Error).message}`);
  }
  try {
    let records: BlockRecord[];
    if (hash !== undefined) {
      const r = store.get(hash);
      records = r && (!o.slow || r.slow) ? [r] : [];
    } else records = store.list({ limit: Number(o.limit), slowOnly: o.slow, sinceMs });
    if (o.json) return `${JSON.stringify(records, null, 2)}\n`;
    return records.length ? `${table(records)}\n` : 'no blocks\n';
  } finally {
    store.close();
  }
}
