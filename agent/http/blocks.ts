/**
 * The journal on the metrics port (behind its auth and TLS, checked before this is reached):
 * GET /blocks?limit=N&since=HEIGHT (JSON, newest first; HTML for a browser that asks for it),
 * /blocks.html, and /blocks/HASH (one record or 404). A bad query gets 400 and one line saying why.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { blocksPage } from '../journal/html.js';
import { type BlockRecord, HASH_HEX } from '../journal/record.js';
import type { Query } from '../journal/store.js';
import { pathOf, reply } from './respond.js';

export interface BlocksSource {
  list(q: Query): BlockRecord[];
  get(hash: string): BlockRecord | undefined;
}

const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;

/** The query as a Query, or the one line a 400 says. */
export function parseQuery(search: string): Query | string {
  const params = new URLSearchParams(search);
  const q: Query = { limit: DEFAULT_LIMIT };
  for (const [key, value] of params) {
    if (key === 'limit') {
      if (!/^[0-9]{1,6}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT)
        return `limit must be a whole number from 1 to ${MAX_LIMIT}`;
      q.limit = Number(value);
    } else if (key === 'since') {
      if (!/^[0-9]{1,10}$/.test(value)) return 'since must be a block height (a whole number)';
      q.sinceHeight = Number(value);
    } else return `unknown query parameter (known: limit, since)`;
  }
  return q;
}

function wantsHtml(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '');
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  reply(res, status, `${JSON.stringify(body)}\n`, { 'Content-Type': 'application/json; charset=utf-8' });
}

/** Answers the request if it is one of the journal's paths; false otherwise. */
export function blocksHandler(source: BlocksSource | undefined, node: string) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = pathOf(req);
    if (path !== '/blocks' && path !== '/blocks.html' && !path.startsWith('/blocks/')) return false;
    if (!source) {
      reply(res, 404, 'the per-block journal is off (--no-journal or --journal-blocks 0)\n');
      return true;
    }
    const target = req.url ?? '';
    const search = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
    if (path.startsWith('/blocks/') && path !== '/blocks/') {
      const hash = path.slice('/blocks/'.length).toLowerCase();
      if (!HASH_HEX.test(hash)) {
        reply(res, 400, 'not a block hash: expected 64 hexadecimal digits\n');
        return true;
      }
      const record = source.get(hash);
      if (!record) json(res, 404, { error: 'no such block in the journal' });
      else json(res, 200, record);
      return true;
    }
    const q = parseQuery(search);
    if (typeof q === 'string') {
      reply(res, 400, `${q}\n`);
      return true;
    }
    const records = source.list(q);
    if (path === '/blocks.html' || wantsHtml(req)) {
      reply(res, 200, blocksPage(records, node), {
        'Content-Type': 'text/html; charset=utf-8',
        // Belt and braces over the escaping: the page may run nothing and load nothing.
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
        'X-Content-Type-Options': 'nosniff',
        Vary: 'Accept',
      });
    } else json(res, 200, records);
    return true;
  };
}
