/**
 * What the agent may do with the privileges it was started with. bpftrace needs uid 0 with
 * CAP_SYS_ADMIN and CAP_SYS_PTRACE: missing either, the agent says which and stops, rather than
 * letting bpftrace fail obscurely. Started as root, it splits itself: the supervisor (root) only
 * spawns and watches bpftrace; everything that parses outside input runs as --user without
 * capabilities.
 */
import type { Logger } from './log.js';
import { lookupAccount } from './privsep/user.js';
import type { Account } from './shared/account.js';
import { ConfigError } from './shared/errors.js';
import { BPFTRACE_CAPS, CAP, type CapName, capList, missing, ownCaps, PRIVSEP_CAPS } from './source/capabilities.js';

export class PrivilegeError extends Error {}

export interface Privileges {
  /** Where the metrics side runs; undefined: in this process (--user root). */
  account?: Account;
  /** Whether the worker's bounding set can be emptied (needs CAP_SETPCAP). */
  dropWorkerBounding: boolean;
  /** bpftrace's bounding set, when this process may narrow it (needs CAP_SETPCAP). */
  bpftraceBoundTo?: readonly CapName[];
}

export const DEFAULT_USER = 'fibre-agent';
const FALLBACK_USER = 'nobody';

export function checkPrivileges(user: string, log: Logger): Privileges {
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new PrivilegeError(
      `fibre-agent must run as root (it runs as uid ${process.geteuid()}): bpftrace, which attaches the probes, needs root; run it with sudo, or through the systemd unit (systemd/fibre-agent.service)`,
    );
  }
  const caps = ownCaps();
  const lacking = missing(caps.effective, BPFTRACE_CAPS);
  if (lacking.length > 0) {
    throw new PrivilegeError(
      `bpftrace needs ${capList(BPFTRACE_CAPS)} to attach USDT probes, and this process lacks ${capList(lacking)} (check the capability bounding set, e.g. CapabilityBoundingSet= in the systemd unit)`,
    );
  }
  const canNarrow = (caps.effective & (1n << BigInt(CAP.SETPCAP))) !== 0n;
  if (!canNarrow) log.debug('no CAP_SETPCAP: bpftrace keeps the bounding set fibre-agent was started with');
  const base = { dropWorkerBounding: canNarrow, bpftraceBoundTo: canNarrow ? BPFTRACE_CAPS : undefined };
  if (user === 'root') {
    log.warn('--user root: decoding and the HTTP endpoints run as root too; a dedicated user is safer');
    return base;
  }
  let account = lookupAccount(user);
  if (!account && user === DEFAULT_USER) {
    account = lookupAccount(FALLBACK_USER);
    if (account)
      log.warn(
        `user ${DEFAULT_USER} does not exist; the metrics side runs as ${FALLBACK_USER} (create ${DEFAULT_USER}, see systemd/)`,
      );
  }
  if (!account) throw new ConfigError(`--user ${user}: no such user in /etc/passwd`);
  if (account.uid === 0 || account.gid === 0) {
    throw new ConfigError(`--user ${user} has uid or gid 0: choose an unprivileged user, or --user root`);
  }
  const cannot = missing(caps.effective, PRIVSEP_CAPS);
  if (cannot.length > 0) {
    throw new PrivilegeError(
      `running the metrics side as ${user} needs ${capList(cannot)}, which this process lacks (or use --user root)`,
    );
  }
  return { ...base, account };
}
