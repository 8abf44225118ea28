import { createServer, type RequestListener, type Server } from 'node:http';

/** Limits so a slow or silent client cannot hold a connection (and the agent's memory) for long. */
export function hardenServer(server: Server): Server {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  // Prometheus needs a handful of connections; a flood of idle ones must not exhaust file descriptors.
  server.maxConnections = 256;
  // CONNECT and Upgrade never reach the request handler; answer them rather than drop them silently.
  const refuse = (_req: unknown, socket: import('node:stream').Duplex) =>
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  server.on('connect', refuse);
  server.on('upgrade', refuse);
  return server;
}

export class ListenError extends Error {}

export function listen(server: Server, host: string, port: number, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'address already in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
      reject(new ListenError(`cannot listen for ${what} on ${host}:${port}: ${why}`));
    });
    server.listen(port, host, () => resolve(server));
  });
}

export function plainServer(handler: RequestListener): Server {
  return hardenServer(createServer({ maxHeaderSize: 16 * 1024 }, handler));
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Where a listening server is: host:port, an IPv6 host in brackets. */
export function addressOf(server: Server): string {
  const a = server.address();
  return a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
}
