/** /metrics and /health: basic auth without bypass, TLS, mutual TLS, certificate rotation. */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import test from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { readTls, type TlsFiles } from '../../agent/config/security.js';
import { BasicAuth, CHALLENGE } from '../../agent/http/auth.js';
import { healthHandler } from '../../agent/http/health-server.js';
import { close, listen, plainServer } from '../../agent/http/listen.js';
import { MetricsServer } from '../../agent/http/metrics-server.js';
import { loadTls } from '../../agent/http/tls.js';
import type { Logger } from '../../agent/log.js';
import { TlsError } from '../../agent/shared/errors.js';
import { freePort } from '../helpers/agent.js';
import { makePki } from '../helpers/certs.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const BODY = '# HELP x y\n# TYPE x counter\nx_total 1\n';
const creds = { username: 'prometheus', password: 'c0rrect-h0rse' };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  opts: { method?: string; auth?: string; tls?: object; headers?: object } = {},
): Promise<Reply> {
  const req = opts.tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { ...(opts.auth ? { Authorization: opts.auth } : {}), ...opts.headers },
        ...(opts.tls ?? {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    r.on('error', reject);
    r.end();
  });
}

/** A request written byte for byte, for targets no client library would send. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\r\n\r\n')) s.end();
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

async function authServer() {
  const port = await freePort();
  const server = await MetricsServer.start({
    host: '127.0.0.1',
    port,
    render: async () => BODY,
    log: quiet,
    auth: new BasicAuth(creds),
  });
  return { port, server };
}

test('basic auth: the right pair passes; anything else is 401 with the FIBRE Metrics challenge', async () => {
  const { port, server } = await authServer();
  try {
    const ok = await get(port, '/metrics', { auth: basic(creds.username, creds.password) });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, BODY);
    assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const wrong = [
      undefined,
      basic('prometheus', 'wrong'),
      basic('prometheus', 'c0rrect-h0rs'),
      basic('prometheus', 'c0rrect-h0rse-and-more'),
      basic('Prometheus', creds.password),
      basic('', ''),
      basic(creds.password, creds.username),
    ];
    for (const auth of wrong) {
      const r = await get(port, '/metrics', { auth });
      assert.equal(r.status, 401, String(auth));
      assert.equal(r.headers['www-authenticate'], CHALLENGE);
      assert.match(CHALLENGE, /^Basic realm="FIBRE Metrics"/);
      assert.doesNotMatch(r.body, /x_total/);
    }
  } finally {
    await server.close();
  }
});

test('malformed Authorization headers get 401 or 400, never 500, and the server keeps serving', async () => {
  const { port, server } = await authServer();
  try {
    const malformed = [
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic ====',
      'Basic abc',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Bearer ${Buffer.from('prometheus:c0rrect-h0rse').toString('base64')}`,
      `basic${Buffer.from('prometheus:c0rrect-h0rse').toString('base64')}`,
      `Basic ${'A'.repeat(8000)}`,
      `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x00]).toString('base64')}`,
      'Digest username="prometheus"',
    ];
    for (const auth of malformed) {
      const r = await get(port, '/metrics', { auth });
      assert.ok(r.status === 401 || r.status === 400, `${auth.slice(0, 40)}: ${r.status}`);
    }
    const huge = await raw(
      port,
      `GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${'A'.repeat(40_000)}\r\n\r\n`,
    );
    assert.match(huge, /^HTTP\/1\.1 (431|400|401)/);
    const ok = await get(port, '/metrics', { auth: basic(creds.username, creds.password) });
    assert.equal(ok.status, 200, 'still serving');
  } finally {
    await server.close();
  }
});

test('no bypass: every spelling, method and target needs the credentials or is refused', async () => {
  const { port, server } = await authServer();
  const good = basic(creds.username, creds.password);
  try {
    for (const path of [
      '/metrics',
      '/metrics/',
      '/metrics?x=1',
      '//metrics',
      '/%6Detrics',
      '/METRICS',
      '/',
      '/health',
      '/metrics/../metrics',
      '/metrics%00',
    ]) {
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
        const anon = await get(port, path, { method });
        assert.equal(anon.status, 401, `${method} ${path} without credentials`);
        const authed = await get(port, path, { method, auth: good });
        const served = (path === '/metrics' || path === '/metrics?x=1') && (method === 'GET' || method === 'HEAD');
        if (served) assert.equal(authed.status, 200, `${method} ${path}`);
        else assert.ok([404, 405].includes(authed.status), `${method} ${path} with credentials: ${authed.status}`);
        if (method === 'HEAD') assert.equal(authed.body, '');
      }
    }
    for (const target of [`http://127.0.0.1:${port}/metrics`, `http://evil.example/metrics`, '*']) {
      const anon = await raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.match(anon, /^HTTP\/1\.1 (401|400)/, `absolute-form ${target}`);
      const authed = await raw(
        port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${good}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(authed, /^HTTP\/1\.1 (404|400)/, `absolute-form ${target} is not served`);
    }
    const connect = await raw(port, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.match(connect, /^HTTP\/1\.1 (401|400|405)/);
  } finally {
    await server.close();
  }
});

test('without auth: GET/HEAD /metrics only; other paths 404, other methods 405', async () => {
  const port = await freePort();
  const server = await MetricsServer.start({ host: '127.0.0.1', port, render: async () => BODY, log: quiet });
  try {
    assert.equal((await get(port, '/metrics')).status, 200);
    assert.equal((await get(port, '/metrics/')).status, 404);
    assert.equal((await get(port, '/metrics', { method: 'POST' })).status, 405);
    const head = await get(port, '/metrics', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  } finally {
    await server.close();
  }
});

test('/health needs no credentials and shows nothing but its status', async () => {
  const port = await freePort();
  let state = { attached: false, probes: 0, reason: 'bitcoind exited' };
  const server = await listen(plainServer(healthHandler(() => state)), '127.0.0.1', port, '/health');
  try {
    const down = await get(port, '/health', { auth: basic('x', 'y') });
    assert.equal(down.status, 503);
    assert.deepEqual(JSON.parse(down.body), { status: 'unavailable', probes_attached: 0, reason: 'bitcoind exited' });
    state = { attached: true, probes: 4, reason: 'attached' };
    const up = await get(port, '/health');
    assert.equal(up.status, 200);
    assert.deepEqual(JSON.parse(up.body), { status: 'ok', probes_attached: 4 });
    assert.equal((await get(port, '/metrics')).status, 404);
    assert.equal((await get(port, '/health', { method: 'POST' })).status, 405);
  } finally {
    await close(server);
  }
});

test('TLS: HTTPS with the CA, TLS 1.2 minimum, mutual TLS when a client CA is set', async () => {
  const pki = makePki();
  const server = pki.issue('server');
  const client = pki.issue('client');
  const port = await freePort();
  const s = await MetricsServer.start({
    host: '127.0.0.1',
    port,
    render: async () => BODY,
    log: quiet,
    tls: readTls(server),
  });
  try {
    assert.equal(s.url, `https://127.0.0.1:${port}/metrics`);
    const r = await get(port, '/metrics', { tls: { ca: readFileSync(pki.caCert) } });
    assert.equal(r.status, 200);
    await assert.rejects(get(port, '/metrics', { tls: {} }), /self-signed|unable to verify|certificate/i);
    const old = await new Promise<string>((resolve) => {
      const sock = tlsConnect({
        host: '127.0.0.1',
        port,
        ca: readFileSync(pki.caCert),
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      sock.on('secureConnect', () => resolve('connected'));
      sock.on('error', (e) => resolve(e.message));
    });
    assert.notEqual(old, 'connected', 'TLS 1.1 is refused');
  } finally {
    await s.close();
  }
  const mport = await freePort();
  const m = await MetricsServer.start({
    host: '127.0.0.1',
    port: mport,
    render: async () => BODY,
    log: quiet,
    tls: readTls({ ...server, clientCa: pki.caCert }),
  });
  try {
    const ca = readFileSync(pki.caCert);
    await assert.rejects(get(mport, '/metrics', { tls: { ca } }));
    const withCert = await get(mport, '/metrics', {
      tls: { ca, cert: readFileSync(client.cert), key: readFileSync(client.key) },
    });
    assert.equal(withCert.status, 200);
    const stranger = makePki().issue('stranger');
    await assert.rejects(
      get(mport, '/metrics', { tls: { ca, cert: readFileSync(stranger.cert), key: readFileSync(stranger.key) } }),
    );
  } finally {
    await m.close();
  }
});

test('TLS files: missing, malformed and mismatched are refused with a line naming the file', () => {
  const pki = makePki();
  const { cert, key } = pki.issue('server');
  const garbage = `${pki.dir}/garbage.pem`;
  writeFileSync(garbage, 'not a certificate\n');
  const cases: [TlsFiles, RegExp][] = [
    [{ cert: `${pki.dir}/absent.crt`, key }, /TLS certificate .*absent\.crt: cannot read it \(no such file\)/],
    [{ cert, key: `${pki.dir}/absent.key` }, /TLS key .*absent\.key: cannot read it/],
    [{ cert: garbage, key }, /TLS certificate .*garbage\.pem is not a PEM certificate/],
    [{ cert, key: garbage }, /TLS key .*garbage\.pem is not a PEM private key/],
    [{ cert, key: pki.strayKey }, /TLS key .*stray\.key does not belong to certificate .*server\.crt/],
    [{ cert: key, key }, /is not a PEM certificate/],
    [{ cert, key, clientCa: garbage }, /TLS client CA .*garbage\.pem is not a PEM certificate/],
  ];
  for (const [files, re] of cases) {
    assert.throws(
      () => loadTls(readTls(files)),
      (err: Error) => err instanceof TlsError && re.test(err.message) && !err.message.includes('\n'),
      String(re),
    );
  }
});

test('certificate rotation: a new pair is served after reload; a broken one is refused and the old one stays', async () => {
  const pki = makePki();
  const first = pki.issue('first');
  const second = pki.issue('second');
  const live = { cert: `${pki.dir}/live.crt`, key: `${pki.dir}/live.key` };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const port = await freePort();
  const s = await MetricsServer.start({
    host: '127.0.0.1',
    port,
    render: async () => BODY,
    log: quiet,
    tls: readTls(live),
  });
  const servedCn = () =>
    new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(pki.caCert) }, () => {
        resolve(String(sock.getPeerCertificate().subject.CN));
        sock.end();
      });
      sock.on('error', reject);
    });
  try {
    assert.equal(await servedCn(), 'first');
    copyFileSync(second.cert, live.cert);
    copyFileSync(second.key, live.key);
    s.reloadTls(readTls(live));
    assert.equal(await servedCn(), 'second');
    copyFileSync(first.cert, live.cert);
    copyFileSync(pki.strayKey, live.key);
    assert.throws(() => s.reloadTls(readTls(live)), /does not belong/);
    assert.equal(await servedCn(), 'second', 'the previous pair keeps serving');
  } finally {
    await s.close();
  }
});
