/**
 * The agent run the way operators run it: started before bitcoind (as at boot), with a root-only TLS
 * key as generate-certs.sh leaves it, rotated with SIGHUP, and started without sudo by mistake.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { AgentProc, CLI, eventually } from '../helpers/agent.js';
import { makePki } from '../helpers/certs.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';

ebpfTest(
  'started before bitcoind: serves and reports waiting, then attaches when bitcoind starts 3 s later',
  async () => {
    // A binary of its own, so no process of it runs until the test starts one.
    const bin = buildSim('full', 'bitcoind-later');
    const agent = await AgentProc.start(['-b', bin, '-n', 'bootnode']);
    let sim: Sim | undefined;
    try {
      await agent.waitFor(/waiting for bitcoind to start/);
      const waiting = await eventually(() => agent.health());
      assert.equal(waiting.status, 503);
      assert.equal(waiting.body.reason, 'waiting for bitcoind to start');
      const before = parseExposition(await agent.metrics());
      assert.equal(sample(before, 'fibre_exporter_probes_attached'), 0);
      assert.equal(sample(before, 'fibre_exporter_up'), 1);
      assert.equal(agent.exit, undefined, 'still running');

      await new Promise((r) => setTimeout(r, 3000));
      sim = await Sim.start(bin, ['-n', '40', '-w', '60', '-s', '5', '-l']);
      await agent.waitFor(/Waiting for events/);
      assert.match(agent.output, new RegExp(`bitcoind started \\(pid ${sim.pid}\\)`));
      const attached = await agent.health();
      assert.equal(attached.status, 200);
      await sim.waitDone();
      await eventually(async () =>
        assertSamples(await agent.metrics(), expectedSamples(sim?.events ?? [], 'bootnode')),
      );
      assert.equal((await agent.stop()).code, 0);
    } finally {
      await agent.stop();
      await sim?.stop();
    }
  },
);

ebpfTest(
  'a root-only TLS key in a root-only directory serves HTTPS; SIGHUP after replacing it serves the new one',
  async () => {
    const pki = makePki();
    const first = pki.issue('first');
    const second = pki.issue('second');
    const secret = mkdtempSync(join(tmpdir(), 'fibre-root-only-'));
    chmodSync(secret, 0o700);
    const cert = join(secret, 'node.crt');
    const key = join(secret, 'node.key');
    const install = (from: { cert: string; key: string }) => {
      copyFileSync(from.cert, cert);
      copyFileSync(from.key, key);
      chmodSync(key, 0o600);
    };
    install(first);
    assert.equal(statSync(key).uid, 0, 'the key is root-owned');
    assert.equal(statSync(key).mode & 0o077, 0, 'and readable by root alone');

    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-n', '0', '-r', '5', '-w', '60', '-s', '3']);
    const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '--tls-cert', cert, '--tls-key', key]);
    const servedCn = () =>
      new Promise<string>((resolve, reject) => {
        const sock = tlsConnect({ host: '127.0.0.1', port: agent.port, ca: readFileSync(pki.caCert) }, () => {
          resolve(String(sock.getPeerCertificate().subject.CN));
          sock.end();
        });
        sock.on('error', reject);
      });
    try {
      await agent.waitFor(/Waiting for events/);
      assert.match(agent.output, /Metrics side runs as [\w-]+ \(uid [1-9]/, 'the metrics process is not root');
      assert.equal(await servedCn(), 'first');
      install(second);
      agent.child.kill('SIGHUP');
      await eventually(async () => assert.equal(await servedCn(), 'second'));
      // The log line travels from the metrics process through the supervisor: it may trail the switch.
      await agent.waitFor(/TLS certificate and key reloaded/, 5000);
      // A pair that does not match is refused, and the served certificate stays.
      copyFileSync(pki.strayKey, key);
      agent.child.kill('SIGHUP');
      await agent.waitFor(/TLS reload refused, still serving the previous certificate: .*does not belong/);
      assert.equal(await servedCn(), 'second');
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
);

ebpfTest('started without root: one line saying so and how, exit 1, before any search for bitcoind', async () => {
  const bin = buildSim('full', 'bitcoind-unprivileged');
  // The test's build may sit in a directory only root can enter: run a copy readable by anyone.
  const dist = mkdtempSync(join(tmpdir(), 'fibre-dist-'));
  execFileSync('cp', ['-r', join(CLI, '../..'), join(dist, 'dist')]);
  execFileSync('cp', ['-r', join(CLI, '../../../node_modules'), join(CLI, '../../../package.json'), dist]);
  execFileSync('chmod', ['-R', 'a+rX', dist]);
  chmodSync(join(bin, '..'), 0o755);
  const r = spawnSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      join(dist, 'dist/agent/cli.js'),
      '-b',
      bin,
    ],
    { encoding: 'utf8', timeout: 20_000, cwd: '/' },
  );
  assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
  assert.match(lines.at(-1) as string, /fibre-agent must run as root .*run it with sudo, or through the systemd unit/);
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /no running process|waiting for bitcoind|\n\s+at /);
});
