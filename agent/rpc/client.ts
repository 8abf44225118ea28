/**
 * One JSON-RPC batch request to bitcoind: an HTTP POST with Basic auth and a timeout, through Node's
 * own http module (no dependency). Every way it can fail becomes an RpcFailure with a short, bounded
 * code for the errors metric and a reason for the log; neither ever holds the credential.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RpcCredential {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface RpcCall {
  readonly method: string;
  readonly params?: readonly unknown[];
}

/** A poll that failed: `method` is 'batch' when the request as a whole failed. */
export class RpcFailure extends Error {
  constructor(
    readonly method: string,
    /** bitcoind's error code, or http_NNN, refused, unreachable, timeout, bad_answer. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** bitcoind's "still starting" error: the request is fine, the node is loading. */
export const RPC_IN_WARMUP = -28;

const MAX_ANSWER_BYTES = 64 << 20;

interface Reply {
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string } | null;
}

/** POSTs the calls as one batch; resolves with each call's result, in order, or rejects with an RpcFailure. */
export function batch(credential: RpcCredential, calls: readonly RpcCall[], timeoutMs: number): Promise<unknown[]> {
  const body = JSON.stringify(calls.map((c, id) => ({ jsonrpc: '1.0', id, method: c.method, params: c.params ?? [] })));
  const url = new URL(credential.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const auth = Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Basic ${auth}`,
        },
        timeout: timeoutMs,
        // A connection per poll, closed by bitcoind as it answers. Node's shared keep-alive agent would
        // keep the socket 5 s and then wake the process only to close it: polls come every 15 s.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(new RpcFailure('batch', 'bad_answer', `an answer over ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 401) {
            reject(new RpcFailure('batch', 'http_401', 'bitcoind refused the credentials (HTTP 401)'));
            return;
          }
          let replies: Reply[];
          try {
            replies = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Reply[];
          } catch {
            reject(new RpcFailure('batch', `http_${status}`, `bitcoind answered HTTP ${status} without JSON`));
            return;
          }
          if (!Array.isArray(replies)) {
            const error = (replies as Reply | null)?.error;
            reject(
              error
                ? new RpcFailure('batch', String(error.code), `bitcoind: ${error.message} (${error.code})`)
                : new RpcFailure('batch', 'bad_answer', `bitcoind answered HTTP ${status} with no batch`),
            );
            return;
          }
          try {
            resolve(
              calls.map((c, id) =>
                resultOf(
                  c.method,
                  replies.find((r) => r?.id === id),
                ),
              ),
            );
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', (err) => reject(transportFailure(err)));
      },
    );
    req.on('timeout', () => req.destroy(new RpcFailure('batch', 'timeout', `no answer within ${timeoutMs / 1000}s`)));
    req.on('error', (err) => reject(transportFailure(err)));
    req.end(body);
  });
}

function resultOf(method: string, reply: Reply | undefined): unknown {
  if (!reply) throw new RpcFailure(method, 'bad_answer', `no answer to ${method} in the batch`);
  if (reply.error) throw new RpcFailure(method, String(reply.error.code), `${method}: ${reply.error.message}`);
  return reply.result;
}

function transportFailure(err: Error): RpcFailure {
  if (err instanceof RpcFailure) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return new RpcFailure('batch', 'refused', 'connection refused');
  return new RpcFailure('batch', 'unreachable', `unreachable (${code ?? err.message})`);
}
