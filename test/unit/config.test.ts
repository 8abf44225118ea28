import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { readConfigFile, resolveConfig, unknownKeys } from '../../agent/config/load.js';
import { ConfigError, optionName, type RawValue, SETTINGS } from '../../agent/config/settings.js';

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
  peerLabelLimit: ['10', '20', '30'],
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
    assert.deepEqual(resolveConfig({ ...all, flags: {} })[s.key], parse(env));
    assert.deepEqual(resolveConfig({ ...all, flags: {}, env: {} })[s.key], parse(file));
    const fallback = resolveConfig({ flags: {}, env: {}, file: {} })[s.key];
    assert.deepEqual(fallback, s.default === undefined ? undefined : parse(s.default));
  });
}

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
    [{ connectTimeUnit: 'ms' }, {}, {}, /must be one of ns, us/],
  ];
  for (const [flags, env, file, re] of cases) {
    assert.throws(
      () => resolveConfig({ flags, env, file }),
      (err: Error) => err instanceof ConfigError && re.test(err.message),
      String(re),
    );
  }
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
  writeFileSync(good, 'node_name: a\nnode_nmae: typo\notlp:\n  endpoint: http://x\n');
  const file = readConfigFile(good);
  assert.deepEqual(file, { node_name: 'a', node_nmae: 'typo', 'otlp.endpoint': 'http://x' });
  assert.ok(unknownKeys(file).includes('node_nmae'));
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '# nothing\n');
  assert.deepEqual(readConfigFile(empty), {});
});
