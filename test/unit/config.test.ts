import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { resolveConfig, unknownKeys } from '../../agent/config/load.js';
import { securityOf } from '../../agent/config/security.js';
import { type AgentConfig, optionName, type RawValue, SETTINGS } from '../../agent/config/settings.js';
import { readConfigFile } from '../../agent/config/yaml-file.js';
import { redactUrl } from '../../agent/export/otlp.js';
import { ConfigError } from '../../agent/shared/errors.js';

/** Two valid, distinct values per setting: enough to tell which source won. */
const SAMPLES: Record<string, [string, string, string]> = {
  bitcoindPath: ['/flag/bitcoind', '/env/bitcoind', '/file/bitcoind'],
  pid: ['11', '22', '33'],
  nodeName: ['flagnode', 'envnode', 'filenode'],
  metricsPort: ['1001', '1002', '1003'],
  metricsAddress: ['127.0.0.1', '127.0.0.2', '127.0.0.3'],
  healthPort: ['2001', '2002', '2003'],
  healthAddress: ['127.0.1.1', '127.0.1.2', '127.0.1.3'],
  verbose: ['true', 'false', 'true'],
  logLevel: ['DEBUG', 'WARNING', 'ERROR'],
  logFile: ['/tmp/flag.log', '/tmp/env.log', '/tmp/file.log'],
  connectTimeUnit: ['us', 'ns', 'us'],
  bpftracePath: ['/flag/bpftrace', '/env/bpftrace', '/file/bpftrace'],
  perfBufferPages: ['64', '128', '512'],
  mapReadIntervalSeconds: ['0.5', '2', '3'],
  probeStats: ['true', 'false', 'true'],
  aggregation: ['events', 'kernel', 'events'],
  packs: ['fibre,net', 'mempool,rpc', 'validation,utxocache'],
  peerLabelLimit: ['10', '20', '30'],
  metricsAuthUsername: ['flaguser', 'envuser', 'fileuser'],
  metricsAuthPassword: ['flagpass', 'envpass', 'filepass'],
  metricsAuthPasswordFile: ['/flag/pw', '/env/pw', '/file/pw'],
  tlsCert: ['/flag/crt', '/env/crt', '/file/crt'],
  tlsKey: ['/flag/key', '/env/key', '/file/key'],
  tlsClientCa: ['/flag/ca', '/env/ca', '/file/ca'],
  otlpEndpoint: ['http://flag:4318/v1/metrics', 'http://env:4318/v1/metrics', 'https://file:4318/v1/metrics'],
  otlpProtocol: ['http/json', 'http/protobuf', 'http/json'],
  otlpHeaders: ['a=1', 'b=2,c=3', 'd=4'],
  otlpIntervalSeconds: ['5', '2500', '30'],
  otlpCa: ['/flag/ca.crt', '/env/ca.crt', '/file/ca.crt'],
  user: ['flaguser', 'envuser', 'fileuser'],
  rpcUrl: ['http://127.0.0.1:1/', 'http://127.0.0.1:2/', 'http://127.0.0.1:3/'],
  rpcCookieFile: ['/flag/.cookie', '/env/.cookie', '/file/.cookie'],
  rpcUser: ['flagrpc', 'envrpc', 'filerpc'],
  rpcPasswordFile: ['/flag/rpc.pw', '/env/rpc.pw', '/file/rpc.pw'],
  rpcIntervalSeconds: ['0.5', '30', '60'],
  journal: ['false', 'true', 'false'],
  journalBlocks: ['5', '6', '7'],
  journalPath: ['/flag/j.sqlite', '/env/j.sqlite', '/file/j.sqlite'],
  slowReconstructionMs: ['10', '20', '30'],
  verySlowReconstructionMs: ['11', '21', '31'],
  slowConnectMs: ['1000', '1500', '2500'],
  alertWebhookUrl: ['https://flag.example/hook', 'https://env.example/hook', 'https://file.example/hook'],
};

test('every setting has sample values here (a new setting needs a precedence test)', () => {
  assert.deepEqual(SETTINGS.map((s) => s.key).sort(), Object.keys(SAMPLES).sort());
});

for (const s of SETTINGS) {
  test(`precedence for ${s.key}: flag > ${s.env} > ${s.yaml} > default`, () => {
    const [flag, env, file] = SAMPLES[s.key] as [string, string, string];
    const parse = (v: RawValue) => s.parse(v);
    const all = { flags: { [optionName(s)]: flag }, env: { [s.env]: env }, file: { [s.yaml]: file } };
    assert.deepEqual(resolveConfig(all)[s.key], parse(flag));
    assert.deepEqual(resolveConfig({ ...all, flags: {} })[s.key], parse(s.envMap ? s.envMap(env) : env));
    assert.deepEqual(resolveConfig({ ...all, flags: {}, env: {} })[s.key], parse(file));
    const fallback = resolveConfig({ flags: {}, env: {}, file: {} })[s.key];
    assert.deepEqual(fallback, s.default === undefined ? undefined : parse(s.default));
  });
}

test('packs: a list in YAML or comma-separated, names checked, duplicates dropped', () => {
  const packs = (file: Record<string, RawValue>, env: NodeJS.ProcessEnv = {}) =>
    resolveConfig({ flags: {}, env, file }).packs;
  assert.deepEqual(packs({ packs: ['net', 'Mempool', 'net'] }), ['net', 'mempool']);
  assert.deepEqual(packs({}, { FIBRE_PACKS: ' fibre , validation ' }), ['fibre', 'validation']);
  assert.throws(
    () => packs({}, { FIBRE_PACKS: 'fibre,p2p' }),
    /unknown pack "p2p" \(packs: fibre, validation, net, mempool, utxocache, coin_selection, rpc\)/,
  );
  assert.throws(() => packs({}, { FIBRE_PACKS: ',' }), /at least one pack/);
  // rpc is a pack name like the others, but the agent follows bitcoind through a tracepoint pack.
  assert.deepEqual(packs({}, { FIBRE_PACKS: 'net,rpc' }), ['net', 'rpc']);
  assert.throws(() => packs({}, { FIBRE_PACKS: 'rpc' }), /a tracepoint pack beside rpc/);
});

test('OpenTelemetry variables: the generic endpoint gets /v1/metrics, the interval is in ms, the signal-specific one wins', () => {
  const env = (e: NodeJS.ProcessEnv) => resolveConfig({ flags: {}, env: e, file: {} });
  assert.equal(env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).otlpEndpoint, 'http://c:4318/v1/metrics');
  assert.equal(env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).otlpEndpoint, 'http://c:4318/v1/metrics');
  assert.equal(
    env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9/x' })
      .otlpEndpoint,
    'http://m:9/x',
  );
  assert.equal(env({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlpProtocol, 'http/json');
  assert.equal(env({ OTEL_METRIC_EXPORT_INTERVAL: '60000' }).otlpIntervalSeconds, 60);
  assert.equal(env({}).otlpIntervalSeconds, 15);
  assert.equal(env({}).otlpEndpoint, undefined, 'push is off by default');
  assert.deepEqual(env({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db,x=y' }).otlpHeaders, { 'api-key': 'a=b', x: 'y' });
  assert.deepEqual(resolveConfig({ flags: { otlpHeader: ['a=1', 'b=2'] }, env: {}, file: {} }).otlpHeaders, {
    a: '1',
    b: '2',
  });
  assert.throws(
    () => env({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    /OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" must be one of http\/protobuf, http\/json/,
  );
  assert.throws(() => env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), /must be an http:\/\/ or https:\/\/ URL/);
  assert.throws(
    () => env({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }),
    (e: Error) => /key=value/.test(e.message) && !e.message.includes('novalue'),
  );
});

test('an OTLP endpoint is a secret in errors, and logs get it without credentials or query', () => {
  assert.throws(
    () => resolveConfig({ flags: { otlpEndpoint: 'ftp://user:t0ken@collector' }, env: {}, file: {} }),
    (e: Error) => /--otlp-endpoint: the value must be an http/.test(e.message) && !e.message.includes('t0ken'),
  );
  assert.equal(
    redactUrl('https://user:t0ken@collector:4318/v1/metrics?key=t0ken'),
    'https://collector:4318/v1/metrics',
  );
});

test('typed YAML values are accepted as such', () => {
  const c = resolveConfig({ flags: {}, env: {}, file: { metrics_port: 9999, verbose: true, node_name: 'x' } });
  assert.equal(c.metricsPort, 9999);
  assert.equal(c.verbose, true);
});

test('bad values name the source and the rule', () => {
  const cases: [Record<string, unknown>, NodeJS.ProcessEnv, Record<string, RawValue>, RegExp][] = [
    [{ port: 'abc' }, {}, {}, /^--port: "abc" must be a whole number from 1 to 65535$/],
    [{ port: '70000' }, {}, {}, /--port: "70000" must be a whole number/],
    [{ port: '0' }, {}, {}, /--port/],
    [{ port: '-1' }, {}, {}, /--port/],
    [{}, { FIBRE_HEALTH_PORT: '9e3' }, {}, /^FIBRE_HEALTH_PORT: "9e3"/],
    [{}, {}, { metrics_port: 1.5 }, /^metrics_port in /],
    [{ logLevel: 'TRACE' }, {}, {}, /--log-level: "TRACE" must be one of DEBUG, INFO, WARNING, ERROR/],
    [{}, { FIBRE_VERBOSE: 'maybe' }, {}, /FIBRE_VERBOSE: "maybe" must be true or false/],
    [{ pid: 'x1' }, {}, {}, /--pid/],
    [{}, {}, { node_name: '' }, /node_name/],
    [{ connectTimeUnit: 'ms' }, {}, {}, /must be one of auto, ns, us/],
  ];
  for (const [flags, env, file, re] of cases) {
    assert.throws(
      () => resolveConfig({ flags, env, file }),
      (err: Error) => err instanceof ConfigError && re.test(err.message),
      String(re),
    );
  }
});

test('auth and TLS come in pairs; half a pair is refused; the password file is read and trimmed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-sec-'));
  const pw = join(dir, 'pw');
  writeFileSync(pw, 's3cret\n', { mode: 0o600 });
  const base = resolveConfig({ flags: {}, env: {}, file: {} });
  assert.deepEqual(securityOf(base), {});
  assert.deepEqual(securityOf({ ...base, metricsAuthUsername: 'u', metricsAuthPasswordFile: pw }).auth, {
    username: 'u',
    password: 's3cret',
  });
  assert.deepEqual(securityOf({ ...base, metricsAuthUsername: 'u', metricsAuthPassword: 'p' }).auth, {
    username: 'u',
    password: 'p',
  });
  const refused: [Partial<AgentConfig>, RegExp][] = [
    [{ metricsAuthUsername: 'u' }, /username is set without a password/],
    [{ metricsAuthPassword: 'p' }, /password is set without --metrics-auth-username/],
    [{ metricsAuthPasswordFile: pw }, /password is set without --metrics-auth-username/],
    [{ metricsAuthUsername: 'u', metricsAuthPassword: 'p', metricsAuthPasswordFile: pw }, /not both/],
    [
      { metricsAuthUsername: 'u', metricsAuthPasswordFile: join(dir, 'none') },
      /password-file .*none: cannot read it \(no such file\)/,
    ],
    [{ tlsCert: '/c' }, /--tls-cert is set without --tls-key/],
    [{ tlsKey: '/k' }, /--tls-key is set without --tls-cert/],
    [{ tlsClientCa: '/ca' }, /--tls-client-ca needs --tls-cert/],
  ];
  for (const [partial, re] of refused) assert.throws(() => securityOf({ ...base, ...partial }), re);
  const empty = join(dir, 'empty');
  writeFileSync(empty, '\n');
  assert.throws(() => securityOf({ ...base, metricsAuthUsername: 'u', metricsAuthPasswordFile: empty }), /is empty/);
});

test('a secret is never echoed in an error', () => {
  assert.throws(
    () => resolveConfig({ flags: { metricsAuthPassword: '' }, env: {}, file: {} }),
    (err: Error) => /--metrics-auth-password: the value must be a non-empty string/.test(err.message),
  );
});

test('config files: invalid YAML names the line; unknown keys are reported; nested keys flatten', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-config-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'node_name: a\nmetrics_port: [1, 2\nverbose: true\n');
  assert.throws(() => readConfigFile(bad), /invalid YAML in .*bad\.yaml at line \d+/);
  const list = join(dir, 'list.yaml');
  writeFileSync(list, '- a\n- b\n');
  assert.throws(() => readConfigFile(list), /must be a mapping/);
  assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /cannot read config file .*missing\.yaml: ENOENT/);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'node_name: a\nnode_nmae: typo\notlp:\n  endpoint: http://x\n  headers:\n    api-key: t\n');
  const file = readConfigFile(good);
  assert.deepEqual(file, {
    node_name: 'a',
    node_nmae: 'typo',
    'otlp.endpoint': 'http://x',
    'otlp.headers': ['api-key=t'],
  });
  assert.ok(unknownKeys(file).includes('node_nmae'));
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '# nothing\n');
  assert.deepEqual(readConfigFile(empty), {});
});
