/**
 * `fibre-agent demo`: the real pipeline (bpftrace, decoder, recorder, exporters) against the simulated
 * bitcoind in probes/simulator, firing a block every few seconds, for users without a FIBRE node.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { shippedPath } from './runtime.js';
import { ConfigError } from './shared/errors.js';

const SIMULATOR_SOURCE = 'probes/simulator/bitcoind-sim.c';
const INSTALL_HINT = 'install them with: apt-get install -y bpftrace systemtap-sdt-dev gcc';

/** Compiles the simulator; a missing compiler or sys/sdt.h is a ConfigError saying what to install. */
export function buildSimulator(): Promise<string> {
  // A fresh 0700 directory: a predictable path in /tmp would let another user swap the binary root runs.
  const out = join(mkdtempSync(join(tmpdir(), 'fibre-agent-demo-')), 'bitcoind-sim');
  return new Promise((resolve, reject) => {
    execFile('gcc', ['-O2', '-o', out, shippedPath(SIMULATOR_SOURCE, dirname(out)), '-lm'], (err, _stdout, stderr) => {
      if (!err) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        reject(new ConfigError(`the demo needs gcc: ${INSTALL_HINT}`));
      else if (/sdt\.h/.test(stderr)) reject(new ConfigError(`the demo needs sys/sdt.h: ${INSTALL_HINT}`));
      else reject(new ConfigError(`building the simulator failed: ${stderr.trim().split('\n')[0]}`));
    });
  });
}

export function checkDemoPrivileges(): void {
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new ConfigError(`the demo attaches real bpftrace, which needs root: run it with sudo (and ${INSTALL_HINT})`);
  }
}

/** Starts the simulator firing one block every `seconds` seconds until it is killed. */
export function startSimulator(binary: string, seconds: number): Promise<ChildProcess> {
  const sim = spawn(binary, ['-n', '0', '-r', String(1 / seconds), '-s', String(Date.now() % 100000)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    sim.once('spawn', () => resolve(sim));
    sim.once('error', reject);
  });
}
