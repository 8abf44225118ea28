/**
 * The rpc pack's privileged half, in the root supervisor: for each bitcoind process the agent
 * follows, where its RPC is (the settings, else discovery from /proc/PID and its configuration files)
 * and the credential (the cookie, a password file, or the password bitcoind itself was given), read
 * as root and handed to the metrics process as an RpcEndpoint. It watches the credential's file, so a
 * cookie bitcoind writes anew at each start is read again as soon as it changes.
 *
 * The watch is the kernel's (inotify), not a timer: a poll every second woke the idle supervisor once
 * a second, 0.7 ms of its CPU a second on the bench machine, most of what an idle agent cost beside
 * bpftrace. In case the watch misses a change, it looks again whenever bitcoind refuses the credential
 * (lookAgain: a stale credential costs one poll at most), and once per --rpc-interval while it has
 * none (then no poll would be refused). With a credential in hand it looks once an hour besides: a
 * look every 15 s was a third of what the idle agent cost once settled. It polls each second only
 * when nothing can be watched.
 */
import { type FSWatcher, readFileSync, readlinkSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readPasswordFile } from '../config/security.js';
import type { AgentConfig } from '../config/settings.js';
import type { Logger } from '../log.js';
import { ConfigError } from '../shared/errors.js';
import { whyUnreadable } from '../unreadable.js';
import { discover, type NodeRpc, type ProcessView } from './discovery.js';
import type { RpcEndpoint } from './endpoint.js';

export type RpcSettings = Pick<AgentConfig, 'rpcUrl' | 'rpcCookieFile' | 'rpcUser' | 'rpcPasswordFile'>;

/** How often the credential's file is looked at when no directory on its way can be watched. */
export const NO_WATCH_POLL_MS = 1000;
/** How often a watched credential in hand is looked at anyway: a change the watch missed shows as a refused poll. */
export const HELD_LOOK_MS = 3_600_000;
/**
 * The fewest milliseconds between two looks asked for by the metrics process (lookAgain): it runs
 * unprivileged, and asking must not let it keep the root supervisor busy. A poll is refused at most
 * once an interval anyway.
 */
export const ASKED_LOOK_MIN_MS = 1000;

/** Half a credential is refused at start-up, as the /metrics password is. */
export function checkRpcSettings(config: RpcSettings): void {
  const { rpcUser: user, rpcPasswordFile: file, rpcCookieFile: cookie } = config;
  if ((user === undefined) !== (file === undefined)) {
    throw new ConfigError(
      user !== undefined
        ? '--rpc-user is set without --rpc-password-file: set both, or neither'
        : '--rpc-password-file is set without --rpc-user: set both, or neither',
    );
  }
  if (user !== undefined && cookie !== undefined)
    throw new ConfigError('give either --rpc-cookie-file or --rpc-user with --rpc-password-file, not both');
  if (file !== undefined) readPasswordFile(file, '--rpc-password-file');
}

/** Where the credential is: a file to read (and watch), or one already in hand. */
type Source =
  /** `read` is where the agent opens it: a discovered cookie through the process's root (its mount namespace). */
  | { kind: 'cookie'; path: string; read: string }
  | { kind: 'password-file'; user: string; path: string }
  | { kind: 'given'; user: string; password: string; via: string }
  | { kind: 'none'; why: string };

/** What the process looks like from /proc: its options, directory and home, its files seen from its own root. */
export function processView(pid: number): ProcessView {
  const proc = `/proc/${pid}`;
  const args = readFileSync(`${proc}/cmdline`, 'utf8').split('\0').slice(1, -1);
  const cwd = readlinkSync(`${proc}/cwd`);
  // The process's files as it sees them (another mount namespace, a container): through its root.
  const root = `${proc}/root`;
  const readFile = (path: string) => {
    try {
      return readFileSync(`${root}${path}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  return { args, cwd, home: homeOf(proc, readFile), readFile };
}

function homeOf(proc: string, readFile: (path: string) => string | undefined): string | undefined {
  try {
    const env = readFileSync(`${proc}/environ`, 'utf8').split('\0');
    const home = env.find((v) => v.startsWith('HOME='));
    if (home) return home.slice(5);
  } catch {
    // Unreadable environment: the passwd entry says.
  }
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`${proc}/status`, 'utf8'))?.[1];
  const entry = (readFile('/etc/passwd') ?? '').split('\n').find((l) => l.split(':')[2] === uid);
  return entry?.split(':')[5];
}

function urlOf(rpc: NodeRpc): string {
  const host = rpc.host.includes(':') ? `[${rpc.host}]` : rpc.host;
  return `http://${host}:${rpc.port}/`;
}

/** The bits of a file's identity that change when it is written anew. */
function stamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

export class RpcAccess {
  private timer?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  private source?: Source;
  private url = '';
  private sent = '';
  private fileStamp?: string;
  private closed = false;
  /** The credential's file, when it is read from one (cookie or password file). */
  private file?: string;
  /** The last thing sent was a credential: the file is then looked at only hourly, or when refused. */
  private holding = false;
  /** When lookAgain last looked (performance.now()). */
  private askedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: RpcSettings,
    private readonly send: (endpoint: RpcEndpoint) => void,
    private readonly log: Logger,
    /** The RPC poll's interval: the credential is looked at least as often, so a missed change costs one poll at most. */
    private readonly intervalMs = 15_000,
  ) {}

  /** The agent follows a (new) bitcoind process: where its RPC is and what lets the agent in. */
  follow(pid: number): void {
    if (this.closed) return;
    this.unwatch();
    let rpc: NodeRpc | undefined;
    try {
      // Settings that say everything leave nothing to discover.
      const settled = this.settings.rpcUrl && (this.settings.rpcCookieFile || this.settings.rpcUser);
      if (!settled) rpc = discover(processView(pid));
    } catch (err) {
      this.deliver({ state: 'waiting', why: `cannot read bitcoind's options (pid ${pid}): ${(err as Error).message}` });
      return;
    }
    if (rpc && !rpc.server && !this.settings.rpcUrl) {
      this.deliver({ state: 'off', why: `bitcoind (pid ${pid}) runs with -server=0: RPC is off, nothing to poll` });
      return;
    }
    const url = this.settings.rpcUrl ? new URL(this.settings.rpcUrl) : undefined;
    this.url = url ? `${url.origin}${url.pathname}` : urlOf(rpc as NodeRpc);
    this.source = this.sourceOf(url, rpc, pid);
    if (rpc) {
      const files = rpc.confFiles.length ? rpc.confFiles.join(', ') : 'no configuration file';
      this.log.info(`RPC pack: bitcoind (pid ${pid}) is on ${rpc.network}, RPC at ${this.url} (read ${files})`);
    }
    const source = this.source;
    if (source.kind === 'cookie' || source.kind === 'password-file') {
      const file = source.kind === 'cookie' ? source.read : source.path;
      this.file = file;
      // Watched before the first read: a file written between the two is then not missed.
      this.watchToward(file);
      this.schedule();
    }
    // A credential in hand, or none to be had, never changes while the agent follows this process.
    this.refresh();
  }

  /**
   * bitcoind refused the credential: the watch may have missed a new one (its directory replaced, the
   * kernel's event queue overflowed), so the file is watched afresh and read again now.
   */
  lookAgain(): void {
    if (this.closed || this.file === undefined) return;
    const now = performance.now();
    if (now - this.askedAt < ASKED_LOOK_MIN_MS) return;
    this.askedAt = now;
    this.rewatch(this.file);
    this.schedule();
  }

  /**
   * The next look at the file: each second while not watched; while watched, once a poll interval
   * without a credential and hourly with one (a change missed then shows as a refused poll:
   * lookAgain). Each look also watches afresh, so a watch that went deaf (its directory removed) lasts
   * until the next look at most.
   */
  private schedule(): void {
    const file = this.file;
    clearTimeout(this.timer);
    if (file === undefined || this.closed) return;
    const watched = Math.max(this.holding ? HELD_LOOK_MS : this.intervalMs, NO_WATCH_POLL_MS);
    this.timer = setTimeout(
      () => {
        this.rewatch(file);
        this.schedule();
      },
      this.watcher ? watched : NO_WATCH_POLL_MS,
    );
    this.timer.unref();
  }

  /**
   * inotify on the file's directory (the file is replaced, not rewritten, so its directory is what
   * changes) or, while that does not exist yet, on the nearest directory above it that does: bitcoind
   * creates its data directory as it starts, and each step down is watched in turn.
   */
  private watchToward(file: string): void {
    const target = dirname(file);
    const name = basename(file);
    for (let dir = target; ; dir = dirname(dir)) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, changed) => {
          if (this.watcher !== watcher) return;
          // Above the file, a change may be the next directory down appearing: watch from there.
          if (dir !== target) this.rewatch(file);
          else if (changed === null || String(changed) === name) this.refresh();
        });
        watcher.on('error', () => {
          watcher.close();
          if (this.watcher === watcher) this.rewatch(file);
        });
        this.watcher = watcher;
        return;
      } catch {
        // Not there (or not a directory): one step up, until there is no step left.
        if (dir === dirname(dir)) return;
      }
    }
  }

  private rewatch(file: string): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchToward(file);
    this.refresh();
  }

  /** The agent stops: no more reads, whatever the supervisor still does. */
  stop(): void {
    this.closed = true;
    this.unwatch();
  }

  private unwatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    this.fileStamp = undefined;
    this.file = undefined;
  }

  private sourceOf(url: URL | undefined, rpc: NodeRpc | undefined, pid: number): Source {
    const s = this.settings;
    if (s.rpcCookieFile) return { kind: 'cookie', path: s.rpcCookieFile, read: s.rpcCookieFile };
    if (s.rpcUser && s.rpcPasswordFile) return { kind: 'password-file', user: s.rpcUser, path: s.rpcPasswordFile };
    if (url?.username)
      return {
        kind: 'given',
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        via: 'the user and password in --rpc-url',
      };
    const auth = rpc?.auth;
    if (!auth) return { kind: 'none', why: 'no credential: set --rpc-cookie-file or --rpc-user' };
    if (auth.kind === 'password')
      return { kind: 'given', user: auth.user, password: auth.password, via: "bitcoind's own -rpcuser/-rpcpassword" };
    if (auth.kind === 'none') return { kind: 'none', why: auth.why };
    // Seen as bitcoind sees it: under systemd's ProtectHome, or in a container, the agent's own view differs.
    return { kind: 'cookie', path: auth.path, read: `/proc/${pid}/root${auth.path}` };
  }

  /** Reads the credential when its file is new or changed, and tells the metrics process what changed. */
  private refresh(): void {
    const source = this.source;
    if (!source) return;
    if (source.kind === 'none') {
      this.deliver({ state: 'off', why: `cannot authenticate to bitcoind's RPC: ${source.why}` });
      return;
    }
    if (source.kind === 'given') {
      this.ready(source.user, source.password, source.via);
      return;
    }
    const file = source.kind === 'cookie' ? source.read : source.path;
    const now = stamp(file);
    if (now !== undefined && now === this.fileStamp) return;
    this.fileStamp = now;
    try {
      if (source.kind === 'password-file') {
        this.ready(source.user, readPasswordFile(source.path, '--rpc-password-file'), `password file ${source.path}`);
        return;
      }
      const text = readFileSync(file, 'utf8').trim();
      const colon = text.indexOf(':');
      if (colon < 0) throw new Error('not a cookie (user:password)');
      this.ready(text.slice(0, colon), text.slice(colon + 1), `cookie ${source.path}`);
    } catch (err) {
      // bitcoind writes its cookie once its RPC starts: until then there is nothing to read.
      const why = (err as NodeJS.ErrnoException).code ? whyUnreadable(err) : (err as Error).message;
      this.deliver({ state: 'waiting', why: `waiting for the RPC credential ${source.path} (${why})` });
    }
  }

  private ready(username: string, password: string, via: string): void {
    this.deliver({ state: 'ready', url: this.url, username, password, via });
  }

  /** Sends only what differs from the last message, so the metrics process sees changes only. */
  private deliver(endpoint: RpcEndpoint): void {
    const key = JSON.stringify(endpoint);
    if (key === this.sent) return;
    this.sent = key;
    this.send(endpoint);
    // In hand or gone: the next look comes at the pace that goes with it.
    const holding = endpoint.state === 'ready';
    if (holding !== this.holding) {
      this.holding = holding;
      if (this.timer) this.schedule();
    }
  }
}
