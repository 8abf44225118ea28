/**
 * generate-certs.sh: the certificates it makes must be usable as they are (right SAN type, chain,
 * file modes, a real TLS handshake), re-runs must never replace the CA, and bad node names must be
 * refused before anything is written, since a node name becomes a directory name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type RequestOptions, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';

const SCRIPT = new URL('../../../generate-certs.sh', import.meta.url).pathname;

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
// Skipping is for developer machines; in CI a missing openssl must not turn these tests green.
const skip = haveOpenssl || process.env.CI === 'true' ? false : 'openssl not found (CI=true makes this a failure)';

const root = mkdtempSync(join(tmpdir(), 'fibre-certs-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A CERTS_DIR of its own for each test, not yet created, so "created nothing" is checkable. */
function certsDir(): string {
  return join(mkdtempSync(join(root, 't-')), 'certs');
}

function gen(dir: string, args: string[]) {
  const r = spawnSync(SCRIPT, args, {
    encoding: 'utf8',
    env: { ...process.env, CERTS_DIR: dir },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function san(certFile: string): string {
  const r = openssl(['x509', '-in', certFile, '-noout', '-ext', 'subjectAltName']);
  assert.equal(r.code, 0, r.out);
  return r.out;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function days(cert: X509Certificate): number {
  return (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
}

test('openssl is available', { skip }, () => {
  assert.ok(haveOpenssl, 'openssl is needed by generate-certs.sh (apt-get install openssl)');
});

test('IPv4, DNS and IPv6 nodes get an IP, DNS and IP SAN, signed by the CA', { skip }, () => {
  const dir = certsDir();
  const r = gen(dir, ['127.0.0.1', 'node1.example', '::1']);
  assert.equal(r.code, 0, `${r.error ?? ''}${r.stderr}`);

  assert.match(san(join(dir, '127.0.0.1/node.crt')), /IP Address:127\.0\.0\.1\b/);
  assert.doesNotMatch(san(join(dir, '127.0.0.1/node.crt')), /DNS:/);
  assert.match(san(join(dir, 'node1.example/node.crt')), /DNS:node1\.example\b/);
  assert.doesNotMatch(san(join(dir, 'node1.example/node.crt')), /IP Address:/);
  assert.match(san(join(dir, '::1/node.crt')), /IP Address:0:0:0:0:0:0:0:1\b/);

  for (const node of ['127.0.0.1', 'node1.example', '::1']) {
    const file = join(dir, node, 'node.crt');
    const v = openssl(['verify', '-CAfile', join(dir, 'ca.crt'), file]);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /: OK$/m);
    const cert = new X509Certificate(readFileSync(file));
    assert.match(cert.subject, new RegExp(`^CN=${node.replace(/\./g, '\\.')}$`, 'm'));
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth + clientAuth');
    assert.ok(Math.abs(days(cert) - 825) <= 1, `node validity ${days(cert)} days`);
  }

  const text = openssl(['x509', '-in', join(dir, '127.0.0.1/node.crt'), '-noout', '-text']).out;
  assert.match(text, /Basic Constraints:.*\n\s*CA:FALSE/);
  assert.match(text, /Extended Key Usage:.*\n\s*TLS Web Server Authentication, TLS Web Client Authentication/);

  const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
  assert.equal(ca.ca, true);
  assert.ok(Math.abs(days(ca) - 3650) <= 1, `CA validity ${days(ca)} days`);
  const caText = openssl(['x509', '-in', join(dir, 'ca.crt'), '-noout', '-text']).out;
  assert.match(caText, /Basic Constraints: critical\n\s*CA:TRUE/);
  assert.match(caText, /Key Usage: critical\n\s*Certificate Sign, CRL Sign/);

  // The operator is told where each file goes.
  assert.match(r.stdout, /ca\.crt -> give to Prometheus \(tls_config\.ca_file\)/);
  assert.match(r.stdout, /127\.0\.0\.1\/node\.crt \+ node\.key -> copy to 127\.0\.0\.1, pass as --tls-cert\/--tls-key/);
  assert.match(r.stdout, /ca\.key -> keep offline; needed only to sign more nodes/);
});

test('keys are 0600, certificates 0644, directories private', { skip }, () => {
  const dir = certsDir();
  const r = gen(dir, ['10.1.2.3', 'node2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(mode(join(dir, 'ca.key')), 0o600);
  assert.equal(mode(join(dir, 'ca.crt')), 0o644);
  for (const node of ['10.1.2.3', 'node2']) {
    assert.equal(mode(join(dir, node, 'node.key')), 0o600, node);
    assert.equal(mode(join(dir, node, 'node.crt')), 0o644, node);
    assert.equal(mode(join(dir, node)), 0o700, node);
  }
  assert.equal(mode(dir), 0o700);
  // Only the documented files: no CSRs, serial files or scratch directories left behind.
  assert.deepEqual(readdirSync(dir).sort(), ['10.1.2.3', 'ca.crt', 'ca.key', 'node2']);
  assert.deepEqual(readdirSync(join(dir, 'node2')).sort(), ['node.crt', 'node.key']);
});

test('a re-run keeps the CA and existing nodes byte for byte and signs new nodes with the same CA', { skip }, () => {
  const dir = certsDir();
  assert.equal(gen(dir, ['node-a']).code, 0);
  const before = (f: string) => readFileSync(join(dir, f));
  const ca = { crt: before('ca.crt'), key: before('ca.key') };
  const a = { crt: before('node-a/node.crt'), key: before('node-a/node.key') };

  const r = gen(dir, ['node-a', '192.0.2.7']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /skip node-a: .*node-a\/node\.crt already exists/);
  assert.doesNotMatch(r.stdout, /created CA/);
  assert.ok(before('ca.crt').equals(ca.crt), 'ca.crt unchanged');
  assert.ok(before('ca.key').equals(ca.key), 'ca.key unchanged');
  assert.ok(before('node-a/node.crt').equals(a.crt), 'node-a cert unchanged');
  assert.ok(before('node-a/node.key').equals(a.key), 'node-a key unchanged');

  const v = openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, '192.0.2.7/node.crt')]);
  assert.equal(v.code, 0, v.out);
  const issuer = new X509Certificate(ca.crt);
  assert.ok(new X509Certificate(before('192.0.2.7/node.crt')).checkIssued(issuer));

  // Only skips: nothing to do, and nothing rewritten.
  const again = gen(dir, ['node-a', '192.0.2.7']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to do/);
  assert.ok(before('ca.crt').equals(ca.crt));
});

test('with ca.key kept offline, skipping still works and signing says what is missing', { skip }, () => {
  const dir = certsDir();
  assert.equal(gen(dir, ['node-a']).code, 0);
  const offline = join(dir, '..', 'ca.key.offline');
  renameSync(join(dir, 'ca.key'), offline);

  const skipOnly = gen(dir, ['node-a']);
  assert.equal(skipOnly.code, 0, skipOnly.stderr);

  const sign = gen(dir, ['node-b']);
  assert.equal(sign.code, 1);
  assert.match(sign.stderr, /ca\.key is missing/);
  assert.equal(existsSync(join(dir, 'node-b')), false);
  assert.equal(existsSync(join(dir, 'ca.key')), false, 'no new CA key appears');

  renameSync(offline, join(dir, 'ca.key'));
  assert.equal(gen(dir, ['node-b']).code, 0);
});

// Underscores are refused: they are not legal in host names (RFC 1123), and a DNS SAN with one is
// rejected by some TLS stacks, so a certificate for one would be a trap. A name ending in an
// all-digit label (256.1.1.1, 10.0.0) is refused as a mistyped IPv4 address, and a trailing dot
// is refused too: names are matched without it.
const invalid: [string, string[]][] = [
  ['no arguments', []],
  ['path traversal', ['../etc']],
  ['a space', ['a b']],
  ['an option', ['-rf']],
  ['empty string', ['']],
  ['empty label', ['bad..name']],
  ['underscore', ['under_score']],
  ['a slash', ['a/b']],
  ['leading hyphen label', ['x.-y']],
  ['trailing dot', ['host.example.']],
  ['64-character label', [`${'a'.repeat(64)}.example`]],
  ['IPv4 out of range', ['256.1.1.1']],
  ['three-part IPv4', ['10.0.0']],
  ['IPv4 with leading zero', ['010.0.0.1']],
  ['two :: in IPv6', ['1::2::3']],
  ['nine IPv6 groups', ['1:2:3:4:5:6:7:8:9']],
  ['IPv6 zone id', ['fe80::1%eth0']],
  ['bracketed IPv6', ['[::1]']],
  ['name of a CA file', ['ca.crt']],
  ['a bad one after a good one', ['node1', '../etc']],
];

for (const [what, args] of invalid) {
  test(`refused with exit 2, usage and nothing created: ${what}`, { skip }, () => {
    const dir = certsDir();
    const r = gen(dir, args);
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^usage: generate-certs\.sh NODE\.\.\./m);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(dir), false, 'CERTS_DIR not created');
  });
}

test('-h and --help print usage on stdout and exit 0', { skip }, () => {
  for (const flag of ['-h', '--help']) {
    const dir = certsDir();
    const r = gen(dir, [flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: generate-certs\.sh NODE\.\.\./);
    assert.equal(existsSync(dir), false);
  }
});

test('edge cases that are valid names are accepted', { skip }, () => {
  const dir = certsDir();
  const nodes = ['localhost', `${'a'.repeat(63)}.example`, 'Node-7.Example', '2001:db8::192.0.2.1', '1:2:3:4:5:6:7:8'];
  const r = gen(dir, nodes);
  assert.equal(r.code, 0, r.stderr);
  for (const node of nodes) assert.ok(existsSync(join(dir, node, 'node.crt')), node);
  assert.match(san(join(dir, '2001:db8::192.0.2.1/node.crt')), /IP Address:2001:DB8:0:0:0:0:C000:201\b/i);
});

type Reply = { status: number; body: string };

function get(port: number, options: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function serve(options: Parameters<typeof createServer>[0]) {
  const server = createServer(options, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('TLS: a client trusting ca.crt reaches https://127.0.0.1 and one that does not is refused', { skip }, async () => {
  const dir = certsDir();
  assert.equal(gen(dir, ['127.0.0.1']).code, 0);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const server = await serve({
    cert: readFileSync(join(dir, '127.0.0.1/node.crt')),
    key: readFileSync(join(dir, '127.0.0.1/node.key')),
  });
  try {
    assert.deepEqual(await get(server.port, { ca }), { status: 200, body: 'ok' });
    await assert.rejects(get(server.port, {}), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT|SELF_SIGNED/);
      return true;
    });
    // The SAN is what is checked: the same certificate does not pass for another name.
    await assert.rejects(get(server.port, { ca, servername: 'localhost' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  } finally {
    await server.close();
  }
});

test('TLS: a node certificate also works as a client certificate (mutual TLS)', { skip }, async () => {
  const dir = certsDir();
  assert.equal(gen(dir, ['127.0.0.1', 'prometheus.example']).code, 0);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const server = await serve({
    cert: readFileSync(join(dir, '127.0.0.1/node.crt')),
    key: readFileSync(join(dir, '127.0.0.1/node.key')),
    ca,
    requestCert: true,
    rejectUnauthorized: true,
  });
  try {
    const client = {
      cert: readFileSync(join(dir, 'prometheus.example/node.crt')),
      key: readFileSync(join(dir, 'prometheus.example/node.key')),
    };
    assert.deepEqual(await get(server.port, { ca, ...client }), { status: 200, body: 'ok' });
    await assert.rejects(get(server.port, { ca }), 'no client certificate, no response');
  } finally {
    await server.close();
  }
});
