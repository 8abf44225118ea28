/**
 * The monitoring stack's files (docker/, otel-collector/): the compose file as docker-compose reads
 * it, Prometheus's config and rules as promtool reads them, the collector's wiring, the Grafana
 * provisioning, and the committed dashboard against the code that generates it. A missing tool skips
 * its test with the reason, and fails it when CI=true.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  buildDashboard,
  DASHBOARDS,
  DATASOURCE_UID,
  panelQueries,
  renderDashboard,
  variableQueries,
} from '../../docker/grafana/dashboard.js';
import { TRACEPOINTS } from '../../probes/catalogue.js';
import { METRICS } from '../../probes/metrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const at = (p: string) => join(ROOT, p);
const read = (p: string) => readFileSync(at(p), 'utf8');

const COMPOSE = 'docker/docker-compose.yml';
const ENV_EXAMPLE = 'docker/.env.example';
const PROM_CONFIG = 'docker/prometheus/prometheus.yml';
/** The rule files Prometheus loads, each with its promtool unit tests beside it (NAME.test.yml). */
const RULE_FILES = ['rules/fibre.yml', 'rules/bitcoin-core.yml', 'rules/bitcoin-node.yml'];
const RULES = RULE_FILES.map((f) => `docker/prometheus/${f}`);
const RULE_TESTS = RULES.map((f) => f.replace(/\.yml$/, '.test.yml'));

/** How many rules a rule file holds, as Prometheus reads it. */
function ruleCount(file: string): number {
  const rules = parse(read(file)) as { groups: { rules: unknown[] }[] };
  return rules.groups.reduce((n, g) => n + g.rules.length, 0);
}
const COLLECTOR = 'otel-collector/config.yaml';

const IMAGES = {
  prometheus: 'prom/prometheus:v2.55.1',
  grafana: 'grafana/grafana:11.3.0',
  'otel-collector': 'otel/opentelemetry-collector-contrib:0.115.0',
};

/** True when the tool runs; otherwise skips the test (or fails it under CI=true). */
function haveTool(t: TestContext, cmd: string, install: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (!r.error) return true;
  const why = `${cmd} is not installed (${install})`;
  if (process.env.CI === 'true') assert.fail(`CI=true but ${why}`);
  t.skip(why);
  return false;
}

/** The variables the compose file interpolates, taken out of the environment so only env files count. */
function composeVariables(): string[] {
  return [...new Set([...read(COMPOSE).matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string))].sort();
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const v of composeVariables()) delete env[v];
  return env;
}

function compose(envFile: string): SpawnSyncReturns<string> {
  return spawnSync('docker-compose', ['--env-file', envFile, '-f', at(COMPOSE), 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cleanEnv(),
  });
}

function envFileKeys(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.slice(0, l.indexOf('=')))
    .sort();
}

interface ComposeService {
  image: string;
  environment?: Record<string, string>;
  extra_hosts?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  networks?: Record<string, unknown>;
  volumes?: string[];
}

test('docker-compose accepts the stack with .env.example: three services, pinned images, one network', (t) => {
  if (!haveTool(t, 'docker-compose', 'apt-get install docker-compose')) return;
  const r = compose(at(ENV_EXAMPLE));
  assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`);
  const config = parse(r.stdout) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
    networks: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(config.services).sort(), Object.keys(IMAGES).sort());
  for (const [name, image] of Object.entries(IMAGES)) {
    const svc = config.services[name] as ComposeService;
    assert.equal(svc.image, image, `${name} image`);
    assert.match(svc.image, /:[^:/]+$/, `${name} image has a tag`);
    assert.doesNotMatch(svc.image, /:latest$/, `${name} image is pinned`);
    assert.deepEqual(Object.keys(svc.networks ?? {}), ['fibre-monitoring'], `${name} network`);
    assert.ok(svc.healthcheck, `${name} has a healthcheck section`);
  }
  const grafana = config.services.grafana as ComposeService;
  assert.equal(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD, 'change-me');
  assert.equal(grafana.environment?.GF_SECURITY_ADMIN_USER, 'admin');
  assert.equal(grafana.environment?.GF_USERS_ALLOW_SIGN_UP, 'false');
  const prometheus = config.services.prometheus as ComposeService;
  assert.deepEqual(prometheus.extra_hosts, ['host.docker.internal:host-gateway']);
  assert.deepEqual(Object.keys(config.volumes).sort(), ['grafana-data', 'prometheus-data']);
  assert.deepEqual(Object.keys(config.networks), ['fibre-monitoring']);
  // The dashboards folder is where the provisioning provider looks for it.
  assert.ok(
    grafana.volumes?.some((v) => v.endsWith('/docker/grafana/dashboards:/var/lib/grafana/dashboards:ro')),
    `grafana volumes: ${grafana.volumes}`,
  );
  assert.ok(
    config.services['otel-collector']?.volumes?.some((v) =>
      v.endsWith('/otel-collector/config.yaml:/etc/otelcol-contrib/config.yaml:ro'),
    ),
  );
});

test('docker-compose refuses to start the stack without GRAFANA_ADMIN_PASSWORD', (t) => {
  if (!haveTool(t, 'docker-compose', 'apt-get install docker-compose')) return;
  const dir = mkdtempSync(join(tmpdir(), 'fibre-stack-'));
  try {
    const envFile = join(dir, 'env');
    const lines = read(ENV_EXAMPLE)
      .split('\n')
      .filter((l) => !l.startsWith('GRAFANA_ADMIN_PASSWORD='));
    writeFileSync(envFile, lines.join('\n'));
    const r = compose(envFile);
    assert.notEqual(r.status, 0, 'docker-compose config should fail');
    assert.match(r.stderr, /GRAFANA_ADMIN_PASSWORD must be set/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.env.example lists every variable the compose file uses, and no other', () => {
  const keys = envFileKeys(read(ENV_EXAMPLE));
  assert.deepEqual(keys, composeVariables());
  assert.match(read(ENV_EXAMPLE), /^GRAFANA_ADMIN_PASSWORD=change-me$/m);
});

test('promtool accepts the Prometheus config, the rules and their unit tests', (t) => {
  if (!haveTool(t, 'promtool', 'apt-get install prometheus')) return;
  const run = (...args: string[]) => {
    const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  assert.match(run('check', 'config', PROM_CONFIG), new RegExp(`${RULES.length} rule files found`));
  for (const f of RULES) assert.match(run('check', 'rules', f), new RegExp(`SUCCESS: ${ruleCount(f)} rules found`));
  for (const f of RULE_TESTS) assert.match(run('test', 'rules', f), /SUCCESS/);
});

/** The commented `- job_name: fibre` examples of prometheus.yml, uncommented. */
function commentedJobs(text: string): string[] {
  const jobs: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^ {2}# - job_name: /.test(line)) {
      current = [];
      jobs.push('');
    } else if (current && !/^ {2}# {3}/.test(line)) current = undefined;
    if (current) {
      current.push(line.replace(/^ {2}# /, '  '));
      jobs[jobs.length - 1] = current.join('\n');
    }
  }
  return jobs;
}

test('the commented scrape examples of prometheus.yml are valid once uncommented', (t) => {
  if (!haveTool(t, 'promtool', 'apt-get install prometheus')) return;
  const jobs = commentedJobs(read(PROM_CONFIG));
  assert.equal(jobs.length, 3, 'multi-node, basic auth and TLS examples');
  const dir = mkdtempSync(join(tmpdir(), 'fibre-prom-examples-'));
  try {
    // The files the examples name, in case promtool checks they exist (2.42 checks syntax and field names).
    writeFileSync(join(dir, 'fibre.password'), 'not-a-real-password\n');
    writeFileSync(join(dir, 'fibre-ca.crt'), '');
    for (const [i, job] of jobs.entries()) {
      const file = join(dir, `example-${i}.yml`);
      writeFileSync(file, `scrape_configs:\n${job.replaceAll('/etc/prometheus/', `${dir}/`)}\n`);
      const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `example ${i}:\n${job}\n${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prometheus.yml scrapes the agents and the collector as documented', () => {
  const config = parse(read(PROM_CONFIG)) as {
    rule_files: string[];
    scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
  };
  const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);
  assert.deepEqual(job('fibre')?.static_configs[0]?.targets, ['host.docker.internal:9435']);
  assert.equal(job('otel-collector')?.honor_labels, true);
  assert.deepEqual(job('otel-collector')?.static_configs[0]?.targets, ['otel-collector:8889']);
  assert.deepEqual(config.rule_files, RULE_FILES);
  // The commented examples: basic auth through a password file, TLS with the generated CA.
  const text = read(PROM_CONFIG);
  assert.match(text, /^\s*#\s*password_file: /m);
  assert.match(text, /^\s*#\s*ca_file: \/etc\/prometheus\/fibre-ca\.crt$/m);
  assert.match(text, /^\s*#\s*scheme: https$/m);
});

test('the stack files hold no inline password and only documentation IP addresses', () => {
  const files = [
    COMPOSE,
    ENV_EXAMPLE,
    PROM_CONFIG,
    ...RULES,
    ...RULE_TESTS,
    COLLECTOR,
    'docker/grafana/provisioning/datasources/prometheus.yml',
    'docker/grafana/provisioning/dashboards/dashboards.yml',
  ];
  const allowed = /^(127\.0\.0\.1|0\.0\.0\.0|192\.0\.2\.\d+|198\.51\.100\.\d+|203\.0\.113\.\d+)$/;
  for (const f of files) {
    const text = read(f);
    assert.doesNotMatch(text, /^\s*#?\s*password\s*:/m, `${f} has an inline password`);
    for (const m of text.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)) {
      assert.match(m[0], allowed, `${f}: ${m[0]} is not a documentation address`);
    }
  }
});

test('the collector config wires OTLP in, memory_limiter and batch, and the prometheus exporter out', () => {
  const config = parse(read(COLLECTOR)) as {
    receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
    processors: Record<string, unknown>;
    exporters: {
      prometheus: {
        endpoint: string;
        add_metric_suffixes: boolean;
        resource_to_telemetry_conversion: { enabled: boolean };
      };
    };
    extensions?: Record<string, unknown>;
    service: {
      extensions?: string[];
      pipelines: Record<'metrics' | 'logs', { receivers: string[]; processors: string[]; exporters: string[] }>;
    };
  };
  assert.equal(config.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
  assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
  assert.ok(config.processors.memory_limiter && config.processors.batch);
  const prom = config.exporters.prometheus;
  assert.equal(prom.endpoint, '0.0.0.0:8889');
  assert.equal(prom.add_metric_suffixes, true);
  assert.equal(prom.resource_to_telemetry_conversion.enabled, false);
  const pipeline = config.service.pipelines.metrics;
  assert.deepEqual(pipeline.receivers, ['otlp']);
  assert.deepEqual(pipeline.processors, ['memory_limiter', 'batch'], 'memory_limiter must come first');
  assert.deepEqual(pipeline.exporters, ['prometheus']);
  // The journal's log records: OTLP in, the same protection, an exporter that exists.
  const logs = config.service.pipelines.logs;
  assert.deepEqual(logs.receivers, ['otlp']);
  assert.deepEqual(logs.processors, ['memory_limiter', 'batch'], 'memory_limiter must come first');
  assert.equal(logs.exporters.length, 1);
  // Everything the service refers to is defined.
  for (const p of [pipeline, logs]) {
    for (const r of p.receivers) assert.ok(r in config.receivers, `receiver ${r}`);
    for (const x of p.processors) assert.ok(x in config.processors, `processor ${x}`);
    for (const e of p.exporters) assert.ok(e in config.exporters, `exporter ${e}`);
  }
  for (const x of config.service.extensions ?? []) assert.ok(x in (config.extensions ?? {}), `extension ${x}`);
});

test('Grafana provisioning: the datasource uid the dashboard uses, and the dashboards folder', () => {
  const ds = parse(read('docker/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  assert.deepEqual(
    ds.datasources.map((d) => [d.uid, d.type, d.url]),
    [[DATASOURCE_UID, 'prometheus', 'http://prometheus:9090']],
  );
  const providers = parse(read('docker/grafana/provisioning/dashboards/dashboards.yml')) as {
    providers: { type: string; options: { path: string } }[];
  };
  assert.deepEqual(
    providers.providers.map((p) => [p.type, p.options.path]),
    [['file', '/var/lib/grafana/dashboards']],
  );
  assert.deepEqual(
    readdirSync(at('docker/grafana/dashboards')).sort(),
    DASHBOARDS.map((d) => d.path.replace('docker/grafana/dashboards/', '')).sort(),
  );
});

test('every committed dashboard is what docker/grafana/dashboard.ts generates', () => {
  for (const spec of DASHBOARDS) {
    const committed = read(spec.path).split('\n');
    const generated = renderDashboard(spec).split('\n');
    const line = generated.findIndex((l, i) => l !== committed[i]);
    const differs = line !== -1 || committed.length !== generated.length;
    const where = line === -1 ? 'length' : `line ${line + 1}: ${committed[line]?.trim()} != ${generated[line]?.trim()}`;
    // A short message rather than a diff of the whole file.
    assert.ok(!differs, `${spec.path} is stale (${where}): run npm run dashboard`);
  }
});

test('the FIBRE dashboard: title, uid and the node variable', () => {
  const model = buildDashboard();
  assert.equal(model.title, 'FIBRE Block Relay');
  assert.equal(model.uid, 'fibre-block-relay');
  assert.deepEqual(variableQueries(model), [
    { name: 'node', query: 'label_values(bitcoin_blocks_connected_total, node)' },
  ]);
});

test('every dashboard: its own uid and file, the node variable, and every metric of its pack in some panel', () => {
  assert.equal(new Set(DASHBOARDS.map((d) => d.uid)).size, DASHBOARDS.length, 'uids are unique');
  assert.equal(new Set(DASHBOARDS.map((d) => d.path)).size, DASHBOARDS.length, 'files are unique');
  const everywhere: string[] = [];
  for (const spec of DASHBOARDS) {
    const model = buildDashboard(spec);
    assert.equal(model.uid, spec.uid);
    assert.ok(model.tags?.includes('fibre-agent'), `${spec.title} has the fibre-agent tag its links menu lists`);
    const node = model.templating?.list?.find((v) => v.name === 'node');
    assert.equal(node?.type, 'query');
    assert.equal(node?.multi, true);
    assert.equal(node?.includeAll, true);
    assert.deepEqual(variableQueries(model), [{ name: 'node', query: `label_values(${spec.nodeMetric}, node)` }]);

    const queries = panelQueries(model);
    assert.ok(queries.length > 10, `${spec.title}: ${queries.length} queries`);
    everywhere.push(...queries.map((q) => q.expr));
    // Every metric the pack's tracepoints feed appears in the pack's dashboard.
    const fed = TRACEPOINTS.filter((t) => t.pack === spec.pack).flatMap((t) => t.updates.map((u) => u.metric));
    for (const key of new Set(fed)) {
      const name = METRICS[key].name;
      assert.ok(
        queries.some((q) => q.expr.includes(name)),
        `${name} (pack ${spec.pack}) appears in no panel of ${spec.title}`,
      );
    }
    // Every dashboard ends with what watching costs: the agent's processes and the probes' time in bitcoind.
    const rows = (model.panels ?? []).filter((p) => p.type === 'row').map((p) => (p as { title?: string }).title);
    assert.equal(rows.at(-1), 'What watching costs', `${spec.title}: rows ${rows.join(', ')}`);
    for (const def of [METRICS.processCpu, METRICS.processResident, METRICS.probeRuns, METRICS.probeRunTime]) {
      assert.ok(
        queries.some((q) => q.expr.includes(def.name)),
        `${def.name} appears in no panel of ${spec.title}`,
      );
    }
    for (const q of queries) {
      const where = `${spec.title}: ${q.panel} ${q.refId}`;
      // Every query is filtered by $node: directly, or through fibre_exporter_info's node_name.
      assert.match(q.expr, /node(_name)?=~"\$node"/, `${where} ignores $node: ${q.expr}`);
      if (/\brate\(|\bincrease\(/.test(q.expr)) {
        assert.match(q.expr, /\[\$__(rate_interval|range)\]/, `${where}: ${q.expr}`);
      }
      // The agent's own series have no node label: they must be joined, never filtered by node.
      assert.doesNotMatch(q.expr, /fibre_exporter_(?!info)\w+\{[^}]*\bnode=/, `${where}: ${q.expr}`);
    }
  }
  for (const def of Object.values(METRICS)) {
    assert.ok(
      everywhere.some((e) => e.includes(def.name)),
      `${def.name} appears in no panel expression`,
    );
  }
});

test('every datasource reference of every dashboard uses the provisioned uid', () => {
  for (const spec of DASHBOARDS) {
    const refs: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (k === 'datasource') refs.push(child);
          walk(child);
        }
      }
    };
    walk(JSON.parse(read(spec.path)));
    assert.ok(refs.length > 10, `${spec.path}: ${refs.length} datasource references`);
    for (const ref of refs) assert.deepEqual(ref, { type: 'prometheus', uid: DATASOURCE_UID });
  }
});
