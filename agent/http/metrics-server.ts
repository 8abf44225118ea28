/**
 * The /metrics endpoint, over HTTP or HTTPS, optionally behind basic auth. With auth on, every request
 * to this port is authenticated before anything else looks at it, whatever its path or method, so no
 * spelling of the path (`/metrics/`, `//metrics`, `/%6Detrics`, absolute-form targets) can bypass it.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsMaterial } from '../config/security.js';
import { EXPOSITION_CONTENT_TYPE } from '../export/prometheus.js';
import type { Logger } from '../log.js';
import { type BasicAuth, CHALLENGE } from './auth.js';
import { close, hardenServer, listen, plainServer } from './listen.js';
import { pathOf, reply } from './respond.js';
import { loadTls } from './tls.js';

export function metricsHandler(
  render: () => Promise<string>,
  log: Logger,
  auth?: BasicAuth,
  blocks?: (req: IncomingMessage, res: ServerResponse) => boolean,
): RequestListener {
  return (req, res) => {
    if (auth) {
      const result = auth.check(req.headers.authorization);
      if (result !== 'ok') {
        reply(res, 401, 'unauthorized\n', { 'WWW-Authenticate': CHALLENGE });
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathOf(req) !== '/metrics') {
      if (blocks?.(req, res)) return;
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

export interface MetricsServerOptions {
  host: string;
  port: number;
  render: () => Promise<string>;
  log: Logger;
  auth?: BasicAuth;
  tls?: TlsMaterial;
  /** The per-block journal's paths (/blocks...), behind the same auth and TLS. */
  blocks?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export class MetricsServer {
  private constructor(
    private readonly server: Server,
    private readonly options: MetricsServerOptions,
  ) {}

  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const handler = metricsHandler(options.render, options.log, options.auth, options.blocks);
    const { tls } = options;
    const server = tls
      ? hardenServer(
          createHttpsServer(
            {
              ...loadTls(tls),
              requestCert: !!tls.files.clientCa,
              rejectUnauthorized: !!tls.files.clientCa,
              maxHeaderSize: 16 * 1024,
              handshakeTimeout: 10_000,
            },
            handler,
          ) as unknown as Server,
        )
      : plainServer(handler);
    // A failed handshake (wrong CA, no client certificate) is the client's problem, not ours to log loudly.
    server.on('tlsClientError', (err: Error) => options.log.debug(`TLS handshake failed: ${err.message}`));
    await listen(server, options.host, options.port, '/metrics');
    return new MetricsServer(server, options);
  }

  get tlsEnabled(): boolean {
    return this.options.tls !== undefined;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.options.host}:${this.options.port}/metrics`;
  }

  /** Serves a new certificate and key; throws (and keeps the current pair) if they are unusable. */
  reloadTls(material: TlsMaterial): void {
    if (!this.options.tls) return;
    const context = loadTls(material);
    (this.server as unknown as { setSecureContext(o: object): void }).setSecureContext(context);
  }

  close(): Promise<void> {
    return close(this.server);
  }
}
