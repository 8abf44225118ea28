/** The /metrics endpoint: GET or HEAD /metrics, nothing else. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { EXPOSITION_CONTENT_TYPE } from '../export/prometheus.js';
import type { Logger } from '../log.js';

export function pathOf(req: IncomingMessage): string {
  const target = req.url ?? '';
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

export function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function metricsHandler(render: () => Promise<string>, log: Logger): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathOf(req) !== '/metrics') {
      reply(res, 404, 'not found: metrics are at /metrics\n');
      return;
    }
    render().then(
      (text) => reply(res, 200, text, { 'Content-Type': EXPOSITION_CONTENT_TYPE }),
      (err: Error) => {
        log.error(`collecting metrics failed: ${err.message}`);
        reply(res, 500, 'collecting metrics failed\n');
      },
    );
  };
}
