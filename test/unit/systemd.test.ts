/** systemd/fibre-agent.service and the sysusers entry: valid for systemd, and as tight as documented. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { BPFTRACE_CAPS, PRIVSEP_CAPS } from '../../agent/source/capabilities.js';

const root = new URL('../../../', import.meta.url).pathname;
const UNIT = readFileSync(join(root, 'systemd/fibre-agent.service'), 'utf8');

function tool(name: string): boolean {
  const found = !spawnSync(name, ['--version']).error;
  if (!found && process.env.CI === 'true') throw new Error(`${name} is missing (CI installs systemd)`);
  return found;
}

export function directive(name: string): string[] {
  return [...UNIT.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] as string);
}

/** The bounding set the unit gives the agent. */
export const UNIT_CAPS = (directive('CapabilityBoundingSet')[0] ?? '').split(/\s+/).filter(Boolean);

test('systemd-analyze verify accepts the unit, without a single warning', (t) => {
  if (!tool('systemd-analyze')) {
    t.skip('systemd-analyze is not installed');
    return;
  }
  // verify checks that ExecStart exists: point it at a stand-in with the same arguments.
  const dir = mkdtempSync(join(tmpdir(), 'fibre-unit-'));
  const shim = join(dir, 'fibre-agent');
  writeFileSync(shim, '#!/bin/sh\nexit 0\n');
  chmodSync(shim, 0o755);
  const unit = join(dir, 'fibre-agent.service');
  writeFileSync(unit, UNIT.replace('/usr/local/bin/fibre-agent', shim));
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings');
});

test('the unit confines the agent as the operator guide says', () => {
  for (const [name, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['Restart', 'on-failure'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ['KillMode', 'mixed'],
  ] as const) {
    assert.deepEqual(directive(name), [value], name);
  }
  assert.match(directive('ExecStart')[0] ?? '', /--user fibre-agent/);
  assert.deepEqual(directive('User'), [], 'starts as root: bpftrace needs it; the agent drops to --user itself');
  assert.deepEqual([...UNIT_CAPS].sort(), [
    'CAP_CHOWN',
    'CAP_DAC_READ_SEARCH',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETPCAP',
    'CAP_SETUID',
    'CAP_SYS_ADMIN',
    'CAP_SYS_NICE',
    'CAP_SYS_PTRACE',
  ]);
  for (const cap of [...BPFTRACE_CAPS, ...PRIVSEP_CAPS])
    assert.ok(UNIT_CAPS.includes(`CAP_${cap}`), `the unit keeps CAP_${cap}`);
});

test('the sysusers entry creates the fibre-agent user and group', (t) => {
  if (!tool('systemd-sysusers')) {
    t.skip('systemd-sysusers is not installed');
    return;
  }
  const sysroot = mkdtempSync(join(tmpdir(), 'fibre-sysroot-'));
  mkdirSync(join(sysroot, 'etc'));
  const r = spawnSync('systemd-sysusers', [`--root=${sysroot}`, '-'], {
    input: readFileSync(join(root, 'systemd/fibre-agent.sysusers')),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    readFileSync(join(sysroot, 'etc/passwd'), 'utf8'),
    /^fibre-agent:x:\d+:\d+:[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m,
  );
  assert.match(readFileSync(join(sysroot, 'etc/group'), 'utf8'), /^fibre-agent:x:\d+:/m);
});
