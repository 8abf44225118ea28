/**
 * The dashboards against real data: the simulated bitcoind fires blocks and every Bitcoin Core
 * tracepoint continuously, the real agent (every pack, the opt-in probes included) records them, a
 * real Prometheus scrapes it every second and evaluates the alert rules; then every panel query and
 * every variable query of every dashboard must return at least one series, with the Grafana variables
 * substituted as Grafana would.
 */
import { buildDashboard, DASHBOARDS } from '../../docker/grafana/dashboard.js';
import { PACKS, selectedTracepoints } from '../../probes/catalogue.js';
import { RPC_PACK } from '../../probes/packs.js';
import { AgentProc } from '../helpers/agent.js';
import { assertDashboardsHaveData, assertRulesHealthy, scrapingPrometheus } from '../helpers/dashboard-queries.js';
import { ebpfTest } from '../helpers/ebpf.js';
import type { Prometheus } from '../helpers/prometheus.js';
import { buildSim, Sim } from '../helpers/sim.js';

const NODE = 'nodeA';
/** Every probe of every pack: the simulator starts once all their semaphores are on (-k, and -R for mempool:replaced). */
const ALL_PACKS = [...PACKS];
const PROBES = selectedTracepoints(ALL_PACKS).map((t) => t.probe);

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
      // --probe-stats: the cost row's probe panels have data too.
      agent = await AgentProc.start(['-b', bin, '-n', NODE, '--packs', ALL_PACKS.join(','), '--probe-stats']);
      await agent.waitFor(/Waiting for events/);
      // Enough samples for 15s rate windows, and blocks of every kind seen in them.
      prom = await scrapingPrometheus(agent.port, 15);
      const p = prom;
      // The node dashboard reads bitcoind's RPC, which the simulator does not serve: a real node proves
      // it (test/integration/bitcoind-rpc.test.ts).
      const models = DASHBOARDS.filter((spec) => spec.pack !== RPC_PACK).map((spec) => buildDashboard(spec));
      await assertDashboardsHaveData(p, models, NODE);

      // The alert rules load and evaluate against the real series without error.
      await assertRulesHealthy(p);
    } finally {
      await prom?.stop();
      await agent?.stop();
      await sim?.stop();
    }
  },
  240_000,
);
