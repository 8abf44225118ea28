/**
 * The RPC client's connection: polls come every --rpc-interval (15 s), so a connection kept open
 * between them would only cost the idle agent a wake to close it; each batch has its own, closed as
 * bitcoind answers.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import test from 'node:test';
import { batch } from '../../agent/rpc/client.js';

test('each batch opens its own connection and asks bitcoind to close it with the answer', async () => {
  const sockets = new Set<Socket>();
  const closed = new Set<Socket>();
  const connectionHeaders: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    connectionHeaders.push(req.headers.connection);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":0,"result":7}]'));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => closed.add(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const credential = { url: `http://127.0.0.1:${port}/`, username: 'u', password: 'p' };
  try {
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await batch(credential, [{ method: 'uptime' }], 5000), [7]);
      // Closed with the answer: not left open for a keep-alive timeout to close seconds later.
      const deadline = Date.now() + 2000;
      while (closed.size <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(closed.size, i + 1, `the connection of batch ${i + 1} is closed once it is answered`);
    }
    assert.equal(sockets.size, 2, 'one connection per batch');
    assert.deepEqual(connectionHeaders, ['close', 'close']);
  } finally {
    server.close();
  }
});
