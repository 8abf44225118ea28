/**
 * The npm package as a user gets it: `npm pack`, then `npm install -g` of the tarball into a fresh
 * prefix (its dependencies from the registry, none of the dev ones), and the fibre-agent command that
 * installs. npm test has just built dist/, so the pack skips the prepack build.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { packageVersion, ROOT } from '../../packaging/build.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { childrenOf, cmdline, procStatus } from '../helpers/procs.js';
import { buildSim, Sim } from '../helpers/sim.js';

interface Packed {
  files: string[];
  /** The global prefix it was installed into: bin/fibre-agent, lib/node_modules/fibre-agent. */
  prefix: string;
}

let packed: Packed | undefined;

/** Packs and installs once for every test here. */
function packAndInstall(): Packed {
  if (packed) return packed;
  const dir = mkdtempSync(join(tmpdir(), 'fibre-npm-'));
  // The metrics process runs as an unprivileged user and must reach the installed files.
  chmodSync(dir, 0o755);
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  assert.ok(info);
  const prefix = join(dir, 'global');
  // Without install scripts: better-sqlite3's would compile SQLite again (minutes on a small machine),
  // as npm ci already did for this checkout with the same sources and Node headers. Its addon is
  // copied from there instead; everything else is what a user's install gets.
  execFileSync(
    'npm',
    ['install', '-g', '--ignore-scripts', '--prefix', prefix, '--no-audit', '--no-fund', join(dir, info.filename)],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const addon = 'node_modules/better-sqlite3/build';
  cpSync(join(ROOT, addon), join(prefix, 'lib/node_modules/fibre-agent', addon), { recursive: true });
  packed = { files: info.files.map((f) => f.path), prefix };
  return packed;
}

test('npm pack ships the built agent, the probe sources, the docs and the bin, and none of the tests or packaging', () => {
  const { files } = packAndInstall();
  for (const f of [
    'package.json',
    'README.md',
    'config.example.yaml',
    'dist/agent/cli.js',
    'dist/agent/runtime.js',
    'dist/agent/privsep/worker.js',
    'dist/probes/catalogue.js',
    'probes/simulator/bitcoind-sim.c',
    ...readdirSync(join(ROOT, 'probes'))
      .filter((n) => n.endsWith('.bt'))
      .map((n) => `probes/${n}`),
    // The README links into docs/: an operator installing from npm gets what it links to.
    ...readdirSync(join(ROOT, 'docs'))
      .filter((n) => n.endsWith('.md'))
      .map((n) => `docs/${n}`),
  ]) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(
    files.filter((f) => /^(dist\/(test|bench|packaging|docker|package)\/|node_modules\/|test\/|packaging\/)/.test(f)),
    [],
  );
});

test('npm install -g of the tarball gives a fibre-agent command without dev dependencies', () => {
  const { prefix } = packAndInstall();
  const version = execFileSync(join(prefix, 'bin/fibre-agent'), ['--version'], { encoding: 'utf8' });
  assert.equal(version, `${packageVersion()}\n`);
  const deps = join(prefix, 'lib/node_modules/fibre-agent/node_modules');
  for (const dev of ['typescript', 'esbuild', 'postject', '@biomejs', '@types']) {
    assert.equal(existsSync(join(deps, dev)), false, `${dev} is not installed`);
  }
  assert.ok(existsSync(join(deps, 'commander')), 'runtime dependencies are');
});

ebpfTest('the globally installed command attaches and serves exact metrics from an unprivileged process', async () => {
  const { prefix } = packAndInstall();
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '30', '-w', '60', '-s', '29', '-l']);
  const agent = await AgentProc.start(
    ['-b', bin, '-p', String(sim.pid), '-n', 'npmnode'],
    {},
    [],
    [join(prefix, 'bin/fibre-agent')],
  );
  try {
    await agent.waitFor(/Waiting for events/);
    const installed = join(prefix, 'lib/node_modules/fibre-agent/dist/agent/privsep/worker.js');
    const worker = childrenOf(agent.child.pid as number).find((k) => cmdline(k.pid).includes(installed));
    assert.ok(worker, 'the metrics process runs the installed worker');
    const w = procStatus(worker.pid);
    assert.ok(w && w.uid !== 0 && w.capEff === 0n && w.capBnd === 0n, `metrics process uid ${w?.uid}`);
    await sim.waitDone();
    const expected = expectedSamples(sim.events, 'npmnode');
    await eventually(async () => assertSamples(await agent.metrics(), expected));
  } finally {
    await agent.stop();
    await sim.stop();
  }
});
