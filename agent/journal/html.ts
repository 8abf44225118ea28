/**
 * The journal as one HTML page: no scripts, no external assets (it works offline and behind any
 * firewall), every value escaped, since peers and their strings come from the network. Slow blocks
 * are highlighted; the columns an operator reads first come first.
 */
import { logSafe } from '../record/peer-label.js';
import type { BlockRecord } from './record.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

const ms = (v: number | null, perMs: number) => (v === null ? '' : (v / perMs).toFixed(1));

/** Column title and cell text; the cell text is escaped when the row is written. */
const COLUMNS: readonly [string, (r: BlockRecord) => string][] = [
  ['height', (r) => (r.height === null ? '' : String(r.height))],
  ['first seen (UTC)', (r) => r.first_seen.replace('T', ' ').replace(/\.\d+Z$/, '')],
  ['winner', (r) => r.winner ?? ''],
  ['margin ms', (r) => ms(r.margin_ns, 1e6)],
  ['reconstruction ms', (r) => ms(r.reconstruction_us, 1e3)],
  ['connect ms', (r) => ms(r.connect_seconds, 1e-3)],
  ['missing tx', (r) => (r.missing_tx_count === null ? '' : String(r.missing_tx_count))],
  ['slow', (r) => (r.slow ? r.slow.replace('_', ' ') : '')],
  // Control characters as escapes, as in the log: invisible (or, a CR, rewritten) in a page otherwise.
  ['winner peer', (r) => (r.winner_peer === null ? '' : logSafe(r.winner_peer))],
  ['FIBRE ms', (r) => ms(r.udp_ns, 1e6)],
  ['compact ms', (r) => ms(r.cmpct_ns, 1e6)],
  ['chunks used/recvd', (r) => (r.chunks_used === null ? '' : `${r.chunks_used}/${r.chunks_recvd ?? ''}`)],
  ['txs', (r) => (r.tx_count === null ? '' : String(r.tx_count))],
  ['seen to connected ms', (r) => (r.seen_to_connected_ms === null ? '' : String(r.seen_to_connected_ms))],
  ['hash', (r) => r.hash],
];

export function blocksPage(records: readonly BlockRecord[], node: string): string {
  const head = COLUMNS.map(([title]) => `<th>${escapeHtml(title)}</th>`).join('');
  const rows = records
    .map((r) => {
      const cells = COLUMNS.map(([, cell]) => `<td>${escapeHtml(cell(r))}</td>`).join('');
      const cls = r.slow ? ` class="${r.slow === 'very_slow' ? 'very-slow' : 'slow'}"` : '';
      const title = r.slow_reason ? ` title="${escapeHtml(r.slow_reason)}"` : '';
      return `<tr${cls}${title}>${cells}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fibre-agent blocks: ${escapeHtml(node)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1em; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
td:nth-child(9), td:nth-child(15) { text-align: left; font-family: monospace; white-space: pre; }
tr.slow { background: #fff3c4; }
tr.very-slow { background: #ffd0c9; }
</style>
</head>
<body>
<h1>Blocks seen by ${escapeHtml(node)}</h1>
<p>${records.length} newest first. Highlighted: slow (yellow), very slow (red). JSON: <code>/blocks</code>.</p>
<table id="blocks">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
