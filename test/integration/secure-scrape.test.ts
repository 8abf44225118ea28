/**
 * A real Prometheus scrapes the agent over HTTPS with basic auth, using certificates from
 * generate-certs.sh: the right credentials get the simulator's values, a wrong password gets a 401.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { Prometheus } from '../helpers/prometheus.js';
import { buildSim, Sim } from '../helpers/sim.js';

const GENERATE = new URL('../../../generate-certs.sh', import.meta.url).pathname;

ebpfTest('Prometheus scrapes over TLS with basic auth; a wrong password shows the target down with 401', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-secure-'));
  const certs = join(dir, 'certs');
  execFileSync(GENERATE, ['127.0.0.1'], { env: { ...process.env, CERTS_DIR: certs }, stdio: 'pipe' });
  const password = 'pr0m-Scrape-Secret';
  // Root-only, like a systemd credential: the supervisor reads it and hands it to the metrics process.
  const rootOnly = mkdtempSync(join(tmpdir(), 'fibre-credentials-'));
  writeFileSync(join(rootOnly, 'agent.pw'), `${password}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'prom.pw'), password, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong.pw'), 'not-the-password', { mode: 0o600 });
  // The node's key stays root's, mode 0600, as generate-certs.sh makes it: the supervisor reads it.

  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '60', '-w', '60', '-s', '21', '-l']);
  const agent = await AgentProc.start([
    '-b',
    bin,
    '--tls-cert',
    join(certs, '127.0.0.1', 'node.crt'),
    '--tls-key',
    join(certs, '127.0.0.1', 'node.key'),
    '--metrics-auth-username',
    'prometheus',
    '--metrics-auth-password-file',
    join(rootOnly, 'agent.pw'),
  ]);
  let prom: Prometheus | undefined;
  try {
    await agent.waitFor(/Waiting for events/);
    assert.match(agent.output, /Metrics endpoint basic auth: enabled/);
    assert.match(agent.output, new RegExp(`TLS enabled: cert=${certs}/127\\.0\\.0\\.1/node\\.crt`));
    assert.match(agent.output, new RegExp(`Prometheus metrics: https://127\\.0\\.0\\.1:${agent.port}/metrics`));
    await sim.waitDone();

    const job = (name: string, pw: string) => `
  - job_name: ${name}
    scrape_interval: 1s
    scheme: https
    tls_config:
      ca_file: ${join(certs, 'ca.crt')}
    basic_auth:
      username: prometheus
      password_file: ${join(dir, pw)}
    static_configs:
      - targets: ['127.0.0.1:${agent.port}']`;
    const config = `global:\n  scrape_interval: 1s\nscrape_configs:${job('fibre', 'prom.pw')}${job('fibre_wrong', 'wrong.pw')}\n`;
    writeFileSync(join(dir, 'check.yml'), config);
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'check.yml')], { encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);

    prom = await Prometheus.start(() => config);
    const p = prom;
    await eventually(async () => {
      const targets = await p.targets();
      const good = targets.find((t) => t.scrapePool === 'fibre');
      const bad = targets.find((t) => t.scrapePool === 'fibre_wrong');
      assert.equal(good?.health, 'up', `fibre: ${good?.lastError}`);
      assert.equal(bad?.health, 'down');
      assert.match(bad?.lastError ?? '', /401/);
    }, 30_000);
    const value = async (expr: string) => Number((await p.query(expr))[0]?.value[1]);
    assert.equal(await value('up{job="fibre"}'), 1);
    assert.equal(await value('up{job="fibre_wrong"}'), 0);
    const winners = sim.events.filter((e) => e.probe === 'udp:block_race_winner').length;
    const reconstructed = sim.events.filter((e) => e.probe === 'udp:block_reconstructed').length;
    assert.equal(await value('bitcoin_blocks_connected_total{job="fibre"}'), 60);
    assert.equal(await value('sum(fibre_block_deliveries_total{job="fibre"})'), winners);
    assert.equal(await value('fibre_blocks_reconstructed_total{job="fibre"}'), reconstructed);
    assert.equal(await value('fibre_block_reconstruction_duration_seconds_count{job="fibre"}'), reconstructed);
    assert.equal(await value('fibre_exporter_probes_attached{job="fibre"}'), selectedTracepoints(undefined).length);
    assert.equal(
      (await p.query('bitcoin_blocks_connected_total{job="fibre_wrong"}')).length,
      0,
      'nothing scraped without the password',
    );
    assert.ok(!agent.output.includes(password), 'the password is never logged');
  } finally {
    await prom?.stop();
    await agent.stop();
    await sim.stop();
  }
});
