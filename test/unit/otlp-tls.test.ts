/** OTLP push to an https:// collector: trusted through --otlp-ca, refused without it (and counted). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import test from 'node:test';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createPushReader } from '../../agent/export/otlp-push.js';
import { StoreProducer } from '../../agent/export/producer.js';
import type { Logger } from '../../agent/log.js';
import { MetricStore } from '../../agent/record/store.js';
import { freePort } from '../helpers/agent.js';
import { makePki } from '../helpers/certs.js';

test('https collector: the CA file makes the push succeed; without it the push fails and is counted', async () => {
  const pki = makePki();
  const server = pki.issue('collector');
  let received = 0;
  const https = createServer({ cert: readFileSync(server.cert), key: readFileSync(server.key) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      res.end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => https.listen(port, '127.0.0.1', resolve));
  const warnings: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
  const push = async (caFile?: string) => {
    let failures = 0;
    const reader = createPushReader(
      {
        endpoint: `https://127.0.0.1:${port}/v1/metrics`,
        protocol: 'http/protobuf',
        headers: {},
        intervalSeconds: 3600,
        caFile,
      },
      () => failures++,
      log,
      new StoreProducer(new MetricStore('n'), '0'),
    );
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createCounter('fibre_test').add(1);
    await provider.forceFlush().catch(() => {});
    await provider.shutdown().catch(() => {});
    return failures;
  };
  try {
    assert.equal(await push(pki.caCert), 0);
    assert.ok(received >= 1, 'the collector received the push');
    const before = received;
    assert.ok((await push(undefined)) >= 1, 'an untrusted certificate fails the push');
    assert.equal(received, before, 'nothing reached the collector');
    assert.match(warnings.join('\n'), /OTLP export to https:\/\/127\.0\.0\.1:\d+\/v1\/metrics failed/);
  } finally {
    https.close();
    https.closeAllConnections();
  }
});
