/**
 * The Debian package on this machine, as an operator meets it: built once by npm run package's code,
 * installed with dpkg -i, run from /usr/bin with every Node.js binary out of reach, attached to the
 * simulator with privilege separation, then removed and purged. The purge happens even when a check
 * fails, and an account the package created is removed afterwards so that later tests see this
 * machine as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupAccount } from '../../agent/privsep/user.js';
import { debPath, packageVersion, ROOT } from '../../packaging/build.js';
import { AgentProc, eventually, freePort } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { allProcs, childrenOf, cmdline, procStatus } from '../helpers/procs.js';
import { buildSim, hexBytes, Sim } from '../helpers/sim.js';

const BIN = '/usr/bin/fibre-agent';
const UNIT = '/lib/systemd/system/fibre-agent.service';
const CONF = '/etc/fibre-agent/config.yaml';
const ENABLED = '/etc/systemd/system/multi-user.target.wants/fibre-agent.service';
/** A PATH as a service gets it, on which the test then makes sure no `node` resolves. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function run(command: string, args: string[], env?: NodeJS.ProcessEnv) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, env });
}

/**
 * A wrapper that runs its command in a private mount namespace where /dev/null covers every node on
 * the system PATH and the test's own, and checks that no node resolves before executing the command.
 */
function withoutNode(): string[] {
  const nodes = new Set(
    [...SYSTEM_PATH.split(':'), ...(process.env.PATH ?? '').split(':')]
      .map((dir) => join(dir, 'node'))
      .filter((p) => p.startsWith('/') && existsSync(p)),
  );
  nodes.add(process.execPath);
  const hide = [...nodes].map((n) => `mount --bind /dev/null '${n}'`).join(' && ');
  const script = `${hide} && if command -v node >/dev/null; then echo "node still on PATH" >&2; exit 97; fi; exec "$@"`;
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh'];
}

/** The shell command of the unit's ExecCondition, as systemd hands it to /bin/sh. */
function execCondition(unit: string): string {
  const line = /^ExecCondition=\/bin\/sh -c '(.*)'$/m.exec(unit)?.[1];
  assert.ok(line, 'the unit has an ExecCondition');
  return line.replaceAll('$$', '$');
}

/** Files and symbolic links under a directory whose name mentions the package. */
function mentions(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.includes('fibre-agent'))
    .map((p) => join(dir, p));
}

function purge(): void {
  run('dpkg', ['--purge', 'fibre-agent']);
}

/** Removes the account the package created; returns what went wrong, or '' when it is gone. */
async function removeAccount(): Promise<string> {
  const account = lookupAccount('fibre-agent');
  if (!account) return '';
  // userdel refuses while a process of the account runs: a metrics process still exiting, or on a
  // shared machine another agent that picked the account up while it existed. It is ours to remove.
  await eventually(
    async () =>
      assert.deepEqual(
        allProcs().filter((p) => p.uid === account.uid),
        [],
      ),
    10_000,
  ).catch(() => {});
  const r = run('userdel', ['--force', 'fibre-agent']);
  if (lookupAccount('fibre-agent')) return `userdel failed: ${r.stderr}`;
  if (run('getent', ['group', 'fibre-agent']).status === 0) run('groupdel', ['fibre-agent']);
  return '';
}

ebpfTest(
  'the .deb installs, runs without Node.js, serves exact metrics unprivileged, and purges clean',
  async (t) => {
    const built = run(process.execPath, [join(ROOT, 'dist/packaging/build.js')]);
    assert.equal(built.status, 0, `npm run package failed:\n${built.stdout}\n${built.stderr}`);
    const deb = debPath();
    // Node 20's single executable has no loader for import() at run time: none may survive bundling.
    const script = readFileSync(join(ROOT, 'dist/package/fibre-agent.cjs'), 'utf8');
    assert.deepEqual(script.match(/\bimport\(\s*["'`][^"'`]*["'`]\s*\)/g) ?? [], []);
    const accountBefore = lookupAccount('fibre-agent');
    let leftover = '';
    purge(); // what an interrupted earlier run may have left
    try {
      await t.test('lintian, pedantic tags included, reports nothing beyond the explained overrides', () => {
        const r = run('lintian', ['--fail-on', 'error,warning,info,pedantic', '--info', '--pedantic', deb]);
        assert.equal(r.status, 0, r.stdout);
        assert.doesNotMatch(r.stdout, /^[EWIP]: /m);
      });

      const installed = run('dpkg', ['-i', deb]);
      assert.equal(installed.status, 0, installed.stderr);

      await t.test('the binary runs from /usr/bin with no Node.js reachable and prints the package version', () => {
        const dpkgVersion = run('dpkg-query', ['-W', `-f=\${Version}`, 'fibre-agent']).stdout;
        assert.equal(dpkgVersion, packageVersion());
        const [command, ...args] = withoutNode();
        const r = run(command as string, [...args, BIN, '--version'], { PATH: SYSTEM_PATH });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `${dpkgVersion}\n`);
      });

      await t.test('the installed unit passes systemd-analyze verify without a warning', () => {
        const r = run('systemd-analyze', ['verify', UNIT]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr.trim(), '', 'no warnings');
        assert.match(
          readFileSync(UNIT, 'utf8'),
          /^ExecStart=\/usr\/bin\/fibre-agent --config \/etc\/fibre-agent\/config\.yaml /m,
        );
      });

      await t.test('the account exists, the config is 0640 root:fibre-agent, the service is enabled', () => {
        const account = lookupAccount('fibre-agent');
        assert.ok(account && account.uid !== 0 && account.gid !== 0, 'a fibre-agent account that is not root');
        assert.match(run('getent', ['passwd', 'fibre-agent']).stdout, /:\/usr\/sbin\/nologin\n$/);
        const conf = statSync(CONF);
        assert.equal(conf.mode & 0o7777, 0o640);
        assert.equal(conf.uid, 0);
        assert.equal(conf.gid, account.gid);
        assert.equal(readlinkSync(ENABLED), UNIT);
      });

      await t.test('the service is skipped until bitcoind_path is set', () => {
        const condition = execCondition(readFileSync(UNIT, 'utf8'));
        const check = (env: NodeJS.ProcessEnv = {}) =>
          run('/bin/sh', ['-c', condition], { PATH: SYSTEM_PATH, ...env }).status;
        const shipped = readFileSync(CONF, 'utf8');
        assert.match(shipped, /^# bitcoind_path: /m);
        assert.equal(check(), 1, 'skipped as shipped');
        assert.equal(check({ FIBRE_BITCOIND_PATH: '/usr/local/bin/bitcoind' }), 0, 'runs with the variable set');
        try {
          writeFileSync(CONF, `${shipped}bitcoind_path: /usr/local/bin/bitcoind\n`);
          assert.equal(check(), 0, 'runs once the file sets it');
        } finally {
          writeFileSync(CONF, shipped);
        }
      });

      await t.test(
        'attached to the simulator, it serves exact metrics from an unprivileged process and pushes OTLP',
        async () => {
          const receiver = new OtlpReceiver(await freePort());
          await receiver.start();
          const sim = await Sim.start(buildSim('full'), ['-n', '40', '-w', '60', '-x', '-s', '23', '-l']);
          const agent = await AgentProc.start(
            [
              ...['-c', CONF, '-b', buildSim('full'), '-p', String(sim.pid), '-n', 'debnode'],
              ...['--otlp-endpoint', receiver.url, '--otlp-interval', '0.5'],
            ],
            { PATH: SYSTEM_PATH },
            withoutNode(),
            [BIN],
          );
          try {
            await agent.waitFor(/Waiting for events/);
            // unshare and sh exec in place, so the child's pid is the supervisor's.
            const supervisor = agent.child.pid as number;
            assert.equal(readlinkSync(`/proc/${supervisor}/exe`), BIN);
            const worker = childrenOf(supervisor).find((k) => cmdline(k.pid).includes('__metrics-process'));
            assert.ok(worker, `a metrics process among ${childrenOf(supervisor).map((k) => cmdline(k.pid))}`);
            assert.equal(readlinkSync(`/proc/${worker.pid}/exe`), BIN, 'the metrics process is the same executable');
            const w = procStatus(worker.pid);
            assert.equal(w?.uid, lookupAccount('fibre-agent')?.uid, 'runs as fibre-agent');
            assert.notEqual(w?.uid, 0);
            assert.equal(w?.capEff, 0n, 'no effective capabilities');
            assert.equal(w?.capPrm, 0n, 'no permitted capabilities');
            assert.equal(w?.capBnd, 0n, 'an empty bounding set');
            assert.equal(w?.noNewPrivs, 1);

            await sim.waitDone();
            const expected = expectedSamples(sim.events, 'debnode');
            assert.ok(expected.length > 60, 'the run covers every metric');
            await eventually(async () => assertSamples(await agent.metrics(), expected));
            const connected = sim.events.filter((e) => e.probe === 'validation:block_connected').length;
            await eventually(async () => {
              const pushed = receiver.last()?.metrics.find((m) => m.name === 'bitcoin_blocks_connected');
              assert.equal(pushed?.points[0]?.value, connected, 'OTLP carries the same count');
            }, 20_000);
            // The journal works from the executable: SQLite's addon loads from /usr/lib/fibre-agent.
            const fired = new Set(sim.events.map((e) => hexBytes(e.hash_hex).toString('latin1')));
            await eventually(async () => {
              const res = await fetch(`http://127.0.0.1:${agent.port}/blocks?limit=100`);
              const records = (await res.json()) as { hash: string }[];
              assert.ok(records.length > 0, 'the journal has blocks');
              for (const r of records) assert.ok(fired.has(r.hash), `${r.hash} was fired`);
            }, 20_000);
            const { code } = await agent.stop();
            assert.equal(code, 0, agent.output);
            assert.ok(
              Object.values(await sim.semaphores()).every((v) => v === 0),
              'every probe detached',
            );
          } finally {
            await agent.stop();
            await sim.stop();
            await receiver.stop();
          }
        },
      );

      await t.test('dpkg -r keeps only the configuration; dpkg -P leaves only the account', () => {
        const files = run('dpkg', ['-L', 'fibre-agent'])
          .stdout.split('\n')
          .filter((p) => p && existsSync(p) && !statSync(p).isDirectory());
        assert.ok(files.includes(BIN) && files.includes(CONF), files.join(' '));
        // What systemd's LogsDirectory= makes when the service runs, for purge to remove.
        mkdirSync('/var/log/fibre-agent', { recursive: true });
        writeFileSync('/var/log/fibre-agent/agent.log', 'x\n');
        // And what its StateDirectory= holds: the per-block journal.
        mkdirSync('/var/lib/fibre-agent', { recursive: true });
        writeFileSync('/var/lib/fibre-agent/journal.sqlite', 'x\n');

        assert.equal(run('dpkg', ['-r', 'fibre-agent']).status, 0);
        assert.deepEqual(
          files.filter((f) => existsSync(f)),
          [CONF],
          'remove leaves the conffile (policy) and nothing else of the package',
        );
        assert.match(run('dpkg-query', ['-W', `-f=\${Status}`, 'fibre-agent']).stdout, /deinstall ok config-files/);

        assert.equal(run('dpkg', ['-P', 'fibre-agent']).status, 0);
        assert.deepEqual(
          files.filter((f) => existsSync(f)),
          [],
        );
        assert.equal(existsSync('/etc/fibre-agent'), false);
        assert.equal(existsSync('/var/log/fibre-agent'), false);
        assert.equal(existsSync('/var/lib/fibre-agent'), false);
        assert.deepEqual(
          [...mentions('/etc/systemd'), ...mentions('/var/lib/systemd')],
          [],
          'no enablement, mask or deb-systemd-helper state',
        );
        assert.equal(readdirSync('/var/lib/dpkg/info').filter((f) => f.startsWith('fibre-agent.')).length, 0);
        assert.notEqual(run('dpkg-query', ['-W', 'fibre-agent']).status, 0, 'dpkg no longer knows the package');
        assert.ok(lookupAccount('fibre-agent'), 'the account stays, as Debian keeps system accounts');
      });
    } finally {
      purge();
      if (!accountBefore) leftover = await removeAccount();
    }
    // Reached only when every check passed, so a failed check's own message is never hidden.
    assert.equal(leftover, '', 'the fibre-agent account the package created is removed again');
  },
  600_000,
  ['dpkg-deb', 'lintian', 'systemd-analyze', 'unshare', 'strip'],
);
