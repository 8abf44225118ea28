/**
 * /health: 200 while bpftrace runs with at least one probe attached, 503 otherwise. It never needs
 * credentials (local liveness probes use it) and so says nothing beyond the status: no paths, PIDs
 * or configuration.
 */
import type { RequestListener } from 'node:http';
import type { AttachStatus } from '../source/downstream.js';
import { pathOf, reply } from './respond.js';

export function healthHandler(status: () => AttachStatus): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathOf(req) !== '/health') {
      reply(res, 404, 'not found\n');
      return;
    }
    const s = status();
    const body = s.attached
      ? { status: 'ok', probes_attached: s.probes }
      : { status: 'unavailable', probes_attached: 0, reason: s.reason };
    reply(res, s.attached ? 200 : 503, `${JSON.stringify(body)}\n`, { 'Content-Type': 'application/json' });
  };
}
