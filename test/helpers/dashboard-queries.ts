/**
 * Proving dashboards against a real Prometheus that scrapes a real agent: every variable query must
 * offer the node, and every panel query, with the Grafana variables substituted as Grafana would, must
 * return at least one series. Used on the simulator (the tracepoint packs) and on a real bitcoind (the
 * rpc pack).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { parse } from 'yaml';
import { panelQueries, variableQueries } from '../../docker/grafana/dashboard.js';
import { eventually } from './agent.js';
import { Prometheus } from './prometheus.js';

const PROM_DIR = fileURLToPath(new URL('../../../docker/prometheus/', import.meta.url));
/** The rule files the stack's Prometheus loads (its rule_files), as absolute paths. */
export const RULES = (
  parse(readFileSync(`${PROM_DIR}prometheus.yml`, 'utf8')) as { rule_files: string[] }
).rule_files.map((f) => `${PROM_DIR}${f}`);

/** A Prometheus scraping the agent on `port` every second, evaluating the stack's rules; up once it has `samples` scrapes. */
export async function scrapingPrometheus(port: number, samples: number): Promise<Prometheus> {
  const prom = await Prometheus.start(
    () => `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
${RULES.map((f) => `  - ${JSON.stringify(f)}`).join('\n')}
scrape_configs:
  - job_name: fibre
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:${port}"]
`,
  );
  try {
    await eventually(
      async () => {
        const targets = await prom.targets();
        assert.equal(targets[0]?.health, 'up', `target: ${JSON.stringify(targets)}`);
      },
      30_000,
      500,
    );
    // Enough samples for 15s rate windows.
    await eventually(
      async () => {
        const [n] = await prom.query('count_over_time(up{job="fibre"}[1m])');
        assert.ok(Number(n?.value[1]) >= samples, `samples so far: ${n?.value[1]}`);
      },
      60_000,
      1000,
    );
  } catch (err) {
    await prom.stop();
    throw err;
  }
  return prom;
}

function substitute(expr: string, node: string): string {
  return expr
    .replace(/\$__rate_interval\b/g, '15s')
    .replace(/\$__range\b/g, '5m')
    .replace(/\$__interval\b/g, '5s')
    .replace(/\$node\b/g, node);
}

async function labelValues(prom: Prometheus, query: string): Promise<string[]> {
  const m = /^label_values\(\s*(\w+)\s*,\s*(\w+)\s*\)$/.exec(query);
  assert.ok(m, `unsupported variable query ${query}`);
  const params = new URLSearchParams({ 'match[]': m[1] as string });
  const res = await fetch(`http://127.0.0.1:${prom.port}/api/v1/label/${m[2]}/values?${params}`);
  const body = (await res.json()) as { status: string; data: string[] };
  assert.equal(body.status, 'success');
  return body.data;
}

/**
 * Every variable query offers `node`; every panel query returns a series for the node selected (as a
 * multi-value regex) and for All, within `timeoutMs` (so a rare event has time to show up).
 */
export async function assertDashboardsHaveData(
  prom: Prometheus,
  models: readonly dashboard.Dashboard[],
  node: string,
  timeoutMs = 30_000,
): Promise<void> {
  for (const model of models) {
    for (const v of variableQueries(model)) {
      const values = await labelValues(prom, v.query);
      assert.ok(
        values.includes(node),
        `${model.title}: variable ${v.name} (${v.query}) gave ${JSON.stringify(values)}`,
      );
    }
  }
  const queries = models.flatMap((model) =>
    panelQueries(model).flatMap((q) =>
      [`(${node})`, '.*'].map((value) => ({
        ...q,
        panel: `${model.title}: ${q.panel}`,
        node: value,
        promql: substitute(q.expr, value),
      })),
    ),
  );
  let empty: string[] = [];
  await eventually(
    async () => {
      empty = [];
      for (const q of queries) {
        const result = await prom.query(q.promql);
        if (result.length === 0) empty.push(`panel "${q.panel}" ${q.refId} ($node=${q.node}): ${q.promql}`);
      }
      assert.deepEqual(empty, []);
    },
    timeoutMs,
    2000,
  ).catch(() => {
    assert.fail(`${empty.length} dashboard queries returned no series:\n${empty.join('\n')}`);
  });
}

/** Every rule of the stack's rule files loaded, and evaluated against the real series without error. */
export async function assertRulesHealthy(prom: Prometheus): Promise<void> {
  const count = RULES.reduce(
    (n, f) =>
      n + (parse(readFileSync(f, 'utf8')) as { groups: { rules: unknown[] }[] }).groups.flatMap((g) => g.rules).length,
    0,
  );
  const res = await fetch(`http://127.0.0.1:${prom.port}/api/v1/rules`);
  const body = (await res.json()) as {
    data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
  };
  const rules = body.data.groups.flatMap((g) => g.rules);
  assert.equal(rules.length, count);
  for (const r of rules) assert.equal(r.health, 'ok', `rule ${r.name}: ${r.health} ${r.lastError ?? ''}`);
}
