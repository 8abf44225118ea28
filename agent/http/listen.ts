import { createServer, type RequestListener, type Server } from 'node:http';

/** Limits so a slow or silent client cannot hold a connection (and the agent's memory) for long. */
export function hardenServer(server: Server): Server {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
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
