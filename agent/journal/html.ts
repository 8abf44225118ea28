/**
 * The journal as one HTML page: no scripts, no external assets (it works offline and behind any
 * firewall), every value escaped, since peers and their strings come from the network. Slow blocks
 * are highlighted.
 */
import { type Column, cellText, isVerbatim } from './columns.js';
import type { BlockRecord } from './record.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** The columns an operator reads first come first. */
const COLUMNS: readonly Column[] = [
  ['height', 'height'],
  ['first seen (UTC)', 'first_seen'],
  ['winner', 'winner'],
  ['margin ms', 'margin_ns'],
  ['reconstruction ms', 'reconstruction_us'],
  ['connect ms', 'connect_seconds'],
  ['missing tx', 'missing_tx_count'],
  ['slow', (r) => r.slow?.replace('_', ' ') ?? null],
  ['winner peer', 'winner_peer'],
  ['FIBRE ms', 'udp_ns'],
  ['compact ms', 'cmpct_ns'],
  ['chunks used/recvd', (r) => (r.chunks_used === null ? null : `${r.chunks_used}/${r.chunks_recvd ?? ''}`)],
  ['txs', 'tx_count'],
  ['seen to connected ms', 'seen_to_connected_ms'],
  ['hash', 'hash'],
];

/** Peers and the hash left-aligned in a fixed-width font, as text; numbers right-aligned. */
const VERBATIM = COLUMNS.flatMap((c, i) => (isVerbatim(c) ? [`td:nth-child(${i + 1})`] : [])).join(', ');

export function blocksPage(records: readonly BlockRecord[], node: string): string {
  const head = COLUMNS.map(([title]) => `<th>${escapeHtml(title)}</th>`).join('');
  const rows = records
    .map((r) => {
      const cells = COLUMNS.map((c) => `<td>${escapeHtml(cellText(c, r) ?? '')}</td>`).join('');
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
${VERBATIM} { text-align: left; font-family: monospace; white-space: pre; }
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
