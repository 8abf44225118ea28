/** Finding the bitcoind process whose probes we attach to, through /proc, and checking its binary. */
import { accessSync, constants, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { AgentConfig } from '../config/settings.js';
import { ConfigError } from '../shared/errors.js';

const DELETED = ' (deleted)';

/** The binary a process runs; an upgraded binary replaced on disk shows as "PATH (deleted)". */
export function exeOf(pid: number): string | undefined {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    return exe.endsWith(DELETED) ? exe.slice(0, -DELETED.length) : exe;
  } catch {
    return undefined;
  }
}

export function isRunning(pid: number): boolean {
  try {
    readlinkSync(`/proc/${pid}/cwd`);
    return true;
  } catch (err) {
    // EACCES still means the process exists.
    return (err as NodeJS.ErrnoException).code === 'EACCES';
  }
}

export function resolveBinary(path: string): string {
  return realpathSync(path);
}

/** The binary must exist and be executable, and the PID must run it, or no probe could ever fire. */
export function checkBinary(config: Pick<AgentConfig, 'bitcoindPath'>): string {
  const path = config.bitcoindPath;
  if (!path) {
    throw new ConfigError(
      'no bitcoind binary given: pass --bitcoind /path/to/bitcoind, set FIBRE_BITCOIND_PATH, or bitcoind_path in the config file',
    );
  }
  let binary: string;
  try {
    binary = resolveBinary(path);
    if (!statSync(binary).isFile()) throw new ConfigError(`--bitcoind ${path} is not a file`);
    accessSync(binary, constants.X_OK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `--bitcoind ${path}: no such file` : `--bitcoind ${path} is not executable (${code})`,
    );
  }
  return binary;
}

/** PIDs whose executable is this binary (already resolved with resolveBinary). */
export function processesOf(binary: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== process.pid && exeOf(pid) === binary) pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}

/** When a process started, in clock ticks since boot (/proc/PID/stat field 22); undefined if gone. */
export function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** A --pid, or a set of processes, the user must sort out before the agent can know its target. */
export class TargetError extends Error {}

/**
 * The bitcoind to attach to: the --pid, checked to run the binary; otherwise the one process running
 * it, or undefined when none runs yet (the agent then waits for it, as it does across restarts).
 */
export function findTarget(binary: string, pid?: number): number | undefined {
  if (pid !== undefined) {
    if (!isRunning(pid)) throw new TargetError(`--pid ${pid}: no such process is running`);
    const exe = exeOf(pid);
    if (exe !== binary) {
      throw new TargetError(
        `--pid ${pid} runs ${exe ?? '(unknown executable)'}, not ${binary}: its probes could never fire`,
      );
    }
    return pid;
  }
  const pids = processesOf(binary);
  if (pids.length > 1) {
    throw new TargetError(`several processes run ${binary} (PIDs ${pids.join(', ')}): choose one with --pid`);
  }
  return pids[0];
}
