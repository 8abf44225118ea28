/**
 * The dashboards against real data: the simulated bitcoind fires blocks and every Bitcoin Core
 * tracepoint continuously, the real agent (every pack, the opt-in probes included) records them, a
 * real Prometheus scrapes it every second and evaluates the alert rules; then every panel query and
 * every variable query of every dashboard must return at least one series, with the Grafana variables
 * substituted as Grafana would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { buildDashboard, DASHBOARDS, panelQueries, variableQueries } from '../../docker/grafana/dashboard.js';
import { PACKS, selectedTracepoints } from '../../probes/catalogue.js';
import { RPC_PACK } from '../../probes/packs.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { Prometheus } from '../helpers/prometheus.js';
import { buildSim, Sim } from '../helpers/sim.js';

const NODE = 'nodeA';
const PROM_DIR = fileURLToPath(new URL('../../../docker/prometheus/', import.meta.url));
/** The rule files the stack's Prometheus loads (its rule_files), as absolute paths. */
const RULES = (parse(readFileSync(`${PROM_DIR}prometheus.yml`, 'utf8')) as { rule_files: string[] }).rule_files.map(
  (f) => `${PROM_DIR}${f}`,
);
/** How many rules they hold together. */
const RULE_COUNT = RULES.reduce(
  (n, f) =>
    n + (parse(readFileSync(f, 'utf8')) as { groups: { rules: unknown[] }[] }).groups.flatMap((g) => g.rules).length,
  0,
);
/** Every probe of every pack: the simulator starts once all their semaphores are on (-k, and -R for mempool:replaced). */
const ALL_PACKS = [...PACKS];
const PROBES = selectedTracepoints(ALL_PACKS).map((t) => t.probe);

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
  'every panel and variable query of every dashboard returns data from a real agent',
  async () => {
    const bin = buildSim('full');
    let sim: Sim | undefined;
    let agent: AgentProc | undefined;
    let prom: Prometheus | undefined;
    try {
      const semaphores = PROBES.filter((p) => p !== 'mempool:replaced').length;
      sim = await Sim.start(bin, ['-n', '0', '-r', '20', '-w', '60', '-k', String(semaphores), '-R', '-s', '11', '-l']);
      agent = await AgentProc.start(['-b', bin, '-n', NODE, '--packs', ALL_PACKS.join(',')]);
      await agent.waitFor(/Waiting for FIBRE events/);
      const port = agent.port;
      prom = await Prometheus.start(
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

      // The node dashboard reads bitcoind's RPC, which the simulator does not serve: a real node proves
      // it (test/integration/bitcoind-rpc.test.ts).
      const models = DASHBOARDS.filter((spec) => spec.pack !== RPC_PACK).map((spec) => buildDashboard(spec));
      for (const model of models) {
        for (const v of variableQueries(model)) {
          const values = await labelValues(p, v.query);
          assert.ok(
            values.includes(NODE),
            `${model.title}: variable ${v.name} (${v.query}) gave ${JSON.stringify(values)}`,
          );
        }
      }

      const queries = models.flatMap((model) =>
        panelQueries(model).flatMap((q) =>
          NODE_VALUES.map((node) => ({
            ...q,
            panel: `${model.title}: ${q.panel}`,
            node,
            promql: substitute(q.expr, node),
          })),
        ),
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
      assert.equal(rules.length, RULE_COUNT);
      for (const r of rules) assert.equal(r.health, 'ok', `rule ${r.name}: ${r.health} ${r.lastError ?? ''}`);
    } finally {
      await prom?.stop();
      await agent?.stop();
      await sim?.stop();
    }
  },
  240_000,
);
