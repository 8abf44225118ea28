/** The CLI on bad input: one clear line, exit 2 (or 1 where the input is fine but the world is not). */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI } from '../helpers/agent.js';
import { allProcs, cmdline } from '../helpers/procs.js';

const dir = mkdtempSync(join(tmpdir(), 'fibre-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stderr: r.stderr };
}

/** A copy of sleep: an executable no process runs until a test starts one. */
function fakeBinary(name: string): string {
  const path = join(dir, name);
  copyFileSync('/bin/sleep', path);
  chmodSync(path, 0o755);
  return path;
}

function startProcess(binary: string): Promise<ChildProcess> {
  const child = spawn(binary, ['60'], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('spawn', () => setTimeout(() => resolve(child), 50)));
}

function assertOneLine(r: { code: number | null; stderr: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0] as string, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('--version and --help', () => {
  const v = run(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
  const h = run(['--help']);
  assert.equal(h.code, 0);
  for (const flag of [
    '--bitcoind',
    '--pid',
    '--node-name',
    '--port',
    '--health-port',
    '--config',
    '--verbose',
    '--log-level',
    '--log-file',
    '--version',
  ]) {
    assert.ok(h.out.includes(flag), flag);
  }
});

test('bad flags and values: one line, exit 2', () => {
  const bin = fakeBinary('bitcoind-a');
  assertOneLine(run(['--bogus']), 2, /unknown option '--bogus'/);
  assertOneLine(run(['-b', bin, '--port', 'abc']), 2, /--port: "abc" must be a whole number from 1 to 65535/);
  assertOneLine(run(['-b', bin, '--port', '65536']), 2, /--port: "65536"/);
  assertOneLine(run(['-b', bin, '--health-port']), 2, /argument missing/);
  assertOneLine(
    run(['-b', bin, '--log-level', 'LOUD']),
    2,
    /--log-level: "LOUD" must be one of DEBUG, INFO, WARNING, ERROR/,
  );
  assertOneLine(run([]), 2, /no bitcoind binary given: pass --bitcoind \/path\/to\/bitcoind, set FIBRE_BITCOIND_PATH/);
  assertOneLine(run(['-b', join(dir, 'nope')]), 2, /--bitcoind .*nope: no such file/);
  const notExec = join(dir, 'not-executable');
  writeFileSync(notExec, 'x');
  chmodSync(notExec, 0o644);
  if (process.geteuid?.() !== 0) assertOneLine(run(['-b', notExec]), 2, /is not executable/);
  else assertOneLine(run(['-b', notExec]), 2, /is not executable/);
  assertOneLine(run(['-b', dir]), 2, /is not a file/);
});

test('PIDs: not running, running another binary, several found', async () => {
  const bin = fakeBinary('bitcoind-b');
  assertOneLine(run(['-b', bin, '-p', '4194000']), 2, /--pid 4194000: no such process is running/);
  assertOneLine(
    run(['-b', bin, '-p', String(process.pid)]),
    2,
    new RegExp(`--pid ${process.pid} runs \\S+node\\S*, not ${bin}: its probes could never fire`),
  );
  const a = await startProcess(bin);
  const b = await startProcess(bin);
  try {
    assertOneLine(
      run(['-b', bin]),
      2,
      new RegExp(`several processes run ${bin} \\(PIDs ${a.pid}, ${b.pid}\\): choose one with --pid`),
    );
  } finally {
    a.kill();
    b.kill();
  }
});

test('config files: invalid YAML says the line; unknown keys warn by name; environment applies', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'node_name: x\n  metrics_port: 1\n');
  assertOneLine(run(['-c', bad]), 2, /invalid YAML in .*bad\.yaml at line \d+: /);
  assertOneLine(run(['-c', join(dir, 'absent.yaml')]), 2, /cannot read config file/);
  const typo = join(dir, 'typo.yaml');
  writeFileSync(typo, `bitcoind_path: ${join(dir, 'nope')}\nnode_nmae: x\n`);
  const r = run(['-c', typo]);
  assert.equal(r.code, 2);
  assert.match(r.out, /\[WARNING\] fibre-agent: unknown key in .*typo\.yaml: node_nmae \(ignored\)/);
  assert.match(r.stderr, /--bitcoind .*nope: no such file/);
  assertOneLine(run([], { FIBRE_METRICS_PORT: '99999', FIBRE_BITCOIND_PATH: '/x' }), 2, /FIBRE_METRICS_PORT: "99999"/);
});

const asRoot = process.geteuid?.() === 0;

for (const running of [true, false]) {
  test(`auth and TLS misconfiguration, bitcoind ${running ? 'running' : 'not running'}: one line, exit 2, the password never appears`, async () => {
    const bin = fakeBinary(`bitcoind-c${running ? 'r' : 'n'}`);
    const proc = running ? await startProcess(bin) : undefined;
    const secret = 'Sup3r-S3cret-Value';
    try {
      const common = ['-b', bin, ...(proc ? ['-p', String(proc.pid)] : []), '--port', '1', '--health-port', '2'];
      // [arguments, error, whether the check reads a file]: files are read after the privilege check,
      // so an unprivileged run stops at that check first.
      const cases: [string[], RegExp, boolean][] = [
        [['--metrics-auth-username', 'prom'], /username is set without a password/, false],
        [['--metrics-auth-password', secret], /password is set without --metrics-auth-username/, false],
        [['--metrics-auth-password-file', '/etc/hostname'], /password is set without --metrics-auth-username/, false],
        [['--tls-cert', '/etc/hostname'], /--tls-cert is set without --tls-key/, false],
        [['--tls-key', '/etc/hostname'], /--tls-key is set without --tls-cert/, false],
        [['--tls-client-ca', '/etc/hostname'], /--tls-client-ca needs --tls-cert and --tls-key/, false],
        [
          [
            '--tls-cert',
            '/nonexistent-fibre/absent.crt',
            '--tls-key',
            '/nonexistent-fibre/absent.key',
            '--metrics-auth-username',
            'u',
            '--metrics-auth-password',
            secret,
          ],
          /TLS certificate .*absent\.crt: cannot read it \(no such file\)/,
          true,
        ],
        [
          ['--metrics-auth-username', 'u', '--metrics-auth-password-file', '/nonexistent-fibre/pw'],
          /--metrics-auth-password-file .*pw: cannot read it \(no such file\)/,
          true,
        ],
        [
          ['--tls-cert', '/etc/hostname', '--tls-key', '/etc/hostname'],
          /TLS certificate \/etc\/hostname is not a PEM certificate/,
          true,
        ],
      ];
      for (const [args, re, readsFile] of cases) {
        if (readsFile && !asRoot) continue;
        const r = run([...common, ...args]);
        assert.equal(r.code, 2, r.out);
        assert.match(r.stderr.trim(), re);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(!r.out.includes(secret), 'the password is not printed');
        assert.doesNotMatch(r.out, /waiting for bitcoind|no running process/, 'the configuration comes first');
      }
    } finally {
      proc?.kill();
    }
  });
}

test('a port already in use: one line naming the address, exit 1, nothing left running', async (t) => {
  if (process.geteuid?.() !== 0 && process.env.CI !== 'true') {
    t.skip('needs root: the agent checks its privileges before it listens');
    return;
  }
  const bin = fakeBinary('bitcoind-d');
  const proc = await startProcess(bin);
  const busy = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => busy.once('listening', r));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = run(['-b', bin, '--port', String(port), '--metrics-address', '127.0.0.1', '--health-port', '1']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`cannot listen for /metrics on 127\\.0\\.0\\.1:${port}: address already in use`));
    assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
    await new Promise((res) => setTimeout(res, 300));
    // This build's worker only: agents of other checkouts may be running on the same machine.
    const worker = new URL('privsep/worker.js', pathToFileURL(CLI)).pathname;
    assert.ok(!allProcs().some((p) => cmdline(p.pid).includes(worker)), 'the metrics process is gone');
  } finally {
    busy.close();
    proc.kill();
  }
});
