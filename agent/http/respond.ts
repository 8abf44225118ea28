/** What both endpoints need to answer a request: its path without the query, and a plain reply. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function pathOf(req: IncomingMessage): string {
  const target = req.url ?? '';
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

export function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
