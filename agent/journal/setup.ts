/** Checks and preparation of the journal that happen in the supervisor, before the metrics process starts. */
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AgentConfig } from '../config/settings.js';
import type { Account } from '../shared/account.js';
import { ConfigError } from '../shared/errors.js';

/** The systemd unit's StateDirectory: systemd creates it root-owned; the metrics process must write in it. */
export const DEFAULT_JOURNAL_DIR = '/var/lib/fibre-agent';

export function checkThresholds(config: AgentConfig): void {
  if (config.verySlowReconstructionMs < config.slowReconstructionMs) {
    throw new ConfigError(
      `--very-slow-reconstruction-ms (${config.verySlowReconstructionMs}) must not be below --slow-reconstruction-ms (${config.slowReconstructionMs})`,
    );
  }
}

/**
 * Makes the journal's directory the metrics process's when it is missing (created here) or is the
 * default one, and the journal's files wherever they are. A directory the operator chose and made is
 * left as it is: checkJournalWritable then says whether --user can write there.
 */
export function prepareJournalDir(path: string, account: Account | undefined): void {
  const file = resolve(path);
  const dir = dirname(file);
  let created = false;
  try {
    if (!existsSync(dir)) {
      // 0755 for any parent made on the way, so the account can reach its own directory.
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      chmodSync(dir, 0o750);
      created = true;
    }
    if (!account) return;
    if (created || dir === DEFAULT_JOURNAL_DIR) chownSync(dir, account.uid, account.gid);
    // The journal's own files are the metrics process's wherever they are: systemd's StateDirectory
    // hands them to root at every start, and a reader run as root (`sudo fibre-agent blocks`) may
    // have created the -shm file.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      if (existsSync(f) && statSync(f).uid !== account.uid) chownSync(f, account.uid, account.gid);
    }
  } catch (err) {
    throw new ConfigError(`--journal-path ${path}: cannot prepare ${dir} (${(err as Error).message})`);
  }
}

/**
 * The metrics process creates the journal and its -wal and -shm files in the journal's directory, so
 * it must be able to write and search there: checked at start-up, with the other settings, rather
 * than found when the metrics process opens the file after the probes are attached. The kernel is
 * asked as that account (setpriv, as the metrics process is started), so ACLs and read-only mounts
 * count as they will for it.
 */
export function checkJournalWritable(path: string, account: Account | undefined): void {
  const dir = dirname(resolve(path));
  let writable: boolean;
  if (account) {
    const asAccount = [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--'];
    const r = spawnSync('setpriv', [...asAccount, 'test', '-w', dir, '-a', '-x', dir], {
      env: { PATH: process.env.PATH },
      stdio: 'ignore',
    });
    // test answers 1 for "no"; anything else (setpriv missing) is not an answer: starting the metrics
    // process needs setpriv too, and says so.
    writable = r.status !== 1;
  } else {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      writable = true;
    } catch {
      writable = false;
    }
  }
  if (!writable) {
    const who = account ? `user ${account.name}` : 'root';
    throw new ConfigError(
      `--journal-path ${path}: ${who}, which the metrics process runs as, cannot create files in ${dir} (make the directory writable by it, choose another --journal-path, or use --no-journal)`,
    );
  }
}
