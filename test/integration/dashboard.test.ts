/**
 * The dashboard against real data: the simulated bitcoind fires blocks continuously, the real agent
 * records them, a real Prometheus scrapes it every second and evaluates the alert rules; then every
 * panel query and every variable query of the dashboard must return at least one series, with the
 * Grafana variables substituted as Grafana would.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildDashboard, panelQueries, variableQueries } from '../../docker/grafana/dashboard.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { Prometheus } from '../helpers/prometheus.js';
import { buildSim, Sim } from '../helpers/sim.js';

const NODE = 'nodeA';
const RULES = fileURLToPath(new URL('../../../docker/prometheus/rules/fibre.yml', import.meta.url));

/** The values Grafana would put in: one selected node (as a multi-value regex), and All. */
const NODE_VALUES = [`(${NODE})`, '.*'];

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

ebpfTest(
  'every panel and variable query of the dashboard returns data from a real agent',
  async () => {
    const bin = buildSim('full');
    let sim: Sim | undefined;
    let agent: AgentProc | undefined;
    let prom: Prometheus | undefined;
    try {
      sim = await Sim.start(bin, ['-n', '0', '-r', '20', '-w', '60', '-s', '11', '-l']);
      agent = await AgentProc.start(['-b', bin, '-n', NODE]);
      await agent.waitFor(/Waiting for FIBRE events/);
      const port = agent.port;
      prom = await Prometheus.start(
        () => `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${JSON.stringify(RULES)}
scrape_configs:
  - job_name: fibre
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:${port}"]
`,
      );
      const p = prom;
      await eventually(
        async () => {
          const targets = await p.targets();
          assert.equal(targets[0]?.health, 'up', `target: ${JSON.stringify(targets)}`);
        },
        30_000,
        500,
      );
      // Enough samples for 15s rate windows, and blocks of every kind seen in them.
      await eventually(
        async () => {
          const [n] = await p.query('count_over_time(up{job="fibre"}[1m])');
          assert.ok(Number(n?.value[1]) >= 15, `samples so far: ${n?.value[1]}`);
        },
        60_000,
        1000,
      );

      const model = buildDashboard();
      for (const v of variableQueries(model)) {
        const values = await labelValues(p, v.query);
        assert.ok(values.includes(NODE), `variable ${v.name} (${v.query}) gave ${JSON.stringify(values)}`);
      }

      const queries = panelQueries(model).flatMap((q) =>
        NODE_VALUES.map((node) => ({ ...q, node, promql: substitute(q.expr, node) })),
      );
      // Retry for a while so a rare delivery kind has time to show up, then name every empty query.
      let empty: string[] = [];
      await eventually(
        async () => {
          empty = [];
          for (const q of queries) {
            const result = await p.query(q.promql);
            if (result.length === 0) empty.push(`panel "${q.panel}" ${q.refId} ($node=${q.node}): ${q.promql}`);
          }
          assert.deepEqual(empty, []);
        },
        30_000,
        2000,
      ).catch(() => {
        assert.fail(`${empty.length} dashboard queries returned no series:\n${empty.join('\n')}`);
      });

      // The alert rules load and evaluate against the real series without error.
      const res = await fetch(`http://127.0.0.1:${p.port}/api/v1/rules`);
      const body = (await res.json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const rules = body.data.groups.flatMap((g) => g.rules);
      assert.equal(rules.length, 7);
      for (const r of rules) assert.equal(r.health, 'ok', `rule ${r.name}: ${r.health} ${r.lastError ?? ''}`);
    } finally {
      await prom?.stop();
      await agent?.stop();
      await sim?.stop();
    }
  },
  240_000,
);
