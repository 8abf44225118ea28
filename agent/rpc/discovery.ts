/**
 * Where a running bitcoind serves RPC and how it lets clients in, worked out as bitcoind itself works
 * it out: from its command line, its working directory, its user's home and the configuration files
 * it reads. Pure: the caller hands in what it read from /proc and a way to read files, so every rule
 * (defaults per network, command line over file, network sections, includeconf) is tested without a
 * process.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { type ConfEntry, isTrue, parseArgs, parseConf } from './bitcoin-conf.js';

export const NETWORKS = ['main', 'test', 'testnet4', 'signet', 'regtest'] as const;
export type Network = (typeof NETWORKS)[number];

/** bitcoind's default RPC port per network. */
export const DEFAULT_RPC_PORT: Record<Network, number> = {
  main: 8332,
  test: 18332,
  testnet4: 48332,
  signet: 38332,
  regtest: 18443,
};

/** The network's own directory inside the data directory (the cookie and the chain live there). */
export const NETWORK_SUBDIR: Record<Network, string> = {
  main: '',
  test: 'testnet3',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/**
 * Options bitcoind applies from the top of the file only on mainnet: on a test network they must be
 * in its section (bitcoind warns and ignores them otherwise). Of these, discovery reads the two below.
 */
const NETWORK_ONLY = new Set(['rpcport', 'rpcbind']);

export interface ProcessView {
  /** The command line without the program: bitcoind's options. */
  readonly args: readonly string[];
  /** The process's working directory: a relative -datadir is taken from it. */
  readonly cwd: string;
  /** HOME of the process (its environment, else its user's passwd entry); undefined: none. */
  readonly home: string | undefined;
  /** A file's text; undefined when it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
}

export type RpcAuth =
  | { readonly kind: 'cookie'; readonly path: string }
  | { readonly kind: 'password'; readonly user: string; readonly password: string }
  | { readonly kind: 'none'; readonly why: string };

export interface NodeRpc {
  readonly network: Network;
  readonly datadir: string;
  readonly host: string;
  readonly port: number;
  /** False when bitcoind runs with -server=0: it serves no RPC at all. */
  readonly server: boolean;
  readonly auth: RpcAuth;
  /** The configuration files it read, in order. */
  readonly confFiles: readonly string[];
}

/** Lookups with bitcoind's precedence: command line (last wins), then the network's section, then the top of the files (first wins). */
class Settings {
  constructor(
    private readonly cli: readonly ConfEntry[],
    private readonly conf: readonly ConfEntry[],
    private readonly network: Network | undefined,
  ) {}

  get(key: string): string | undefined {
    const net = this.network;
    const fromCli = this.cli.filter((e) => e.key === key && (e.section === '' || e.section === net)).at(-1);
    if (fromCli) return fromCli.value;
    if (net !== undefined) {
      const inSection = this.conf.find((e) => e.key === key && e.section === net);
      if (inSection) return inSection.value;
      if (NETWORK_ONLY.has(key) && net !== 'main') return undefined;
    }
    return this.conf.find((e) => e.key === key && e.section === '')?.value;
  }

  /** Every value of a list option (includeconf) that applies, command line first. */
  all(key: string): string[] {
    const net = this.network;
    const applies = (e: ConfEntry) => e.key === key && (e.section === '' || e.section === net);
    return [...this.cli.filter(applies), ...this.conf.filter(applies)].map((e) => e.value);
  }
}

/** The network the options select; only the command line and the top of the file can select one. */
function networkOf(s: Settings): Network {
  const chain = s.get('chain');
  if (chain !== undefined && chain !== '') {
    if (chain === 'test' || chain === 'testnet3') return 'test';
    if ((NETWORKS as readonly string[]).includes(chain)) return chain as Network;
  }
  for (const [flag, network] of [
    ['regtest', 'regtest'],
    ['testnet4', 'testnet4'],
    ['testnet', 'test'],
    ['signet', 'signet'],
  ] as const) {
    const v = s.get(flag);
    if (v !== undefined && isTrue(v)) return network;
  }
  return 'main';
}

/** `-rpcbind`'s host and port where it names one address to connect to (not a wildcard). */
function bindOf(value: string | undefined): { host?: string; port?: number } {
  if (!value) return {};
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  if (!m) return {};
  const host = m[1] as string;
  const port = m[2] ? Number(m[2]) : undefined;
  const wildcard = host === '0.0.0.0' || host === '::';
  return { host: wildcard ? undefined : host, port };
}

function absolute(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

export function discover(p: ProcessView): NodeRpc {
  const cli = parseArgs(p.args);
  const bare = new Settings(cli, [], undefined);
  // bitcoind's default data directory: $HOME/.bitcoin, or /.bitcoin without a HOME.
  const defaultDatadir = join(p.home && p.home !== '' ? p.home : '/', '.bitcoin');
  const cliDatadir = bare.get('datadir');
  const baseDatadir = cliDatadir ? absolute(cliDatadir, p.cwd) : defaultDatadir;

  const confFiles: string[] = [];
  let conf: ConfEntry[] = [];
  const confPath = absolute(bare.get('conf') ?? 'bitcoin.conf', baseDatadir);
  const main = p.readFile(confPath);
  if (main !== undefined) {
    confFiles.push(confPath);
    conf = parseConf(main, confPath);
  }
  // The network is chosen before includeconf is followed: an included file cannot change it.
  const network = networkOf(new Settings(cli, conf, undefined));
  const withMain = new Settings(cli, conf, network);
  // Files named by includeconf, relative to the data directory; bitcoind does not follow them further.
  for (const name of withMain.all('includeconf')) {
    const path = absolute(name, baseDatadir);
    const text = p.readFile(path);
    if (text === undefined) continue;
    confFiles.push(path);
    conf = [...conf, ...parseConf(text, path)];
  }
  const s = new Settings(cli, conf, network);
  // A datadir set in the file applies when the command line sets none.
  const fileDatadir = cliDatadir ? undefined : s.get('datadir');
  const datadir = fileDatadir ? absolute(fileDatadir, p.cwd) : baseDatadir;
  const netDir = join(datadir, NETWORK_SUBDIR[network]);

  const rpcport = s.get('rpcport');
  const bind = bindOf(s.get('rpcbind'));
  const port = bind.port ?? (rpcport && /^\d+$/.test(rpcport) ? Number(rpcport) : DEFAULT_RPC_PORT[network]);
  const serverValue = s.get('server');
  const server = serverValue === undefined ? true : isTrue(serverValue);

  let auth: RpcAuth;
  const password = s.get('rpcpassword');
  const cookie = s.get('rpccookiefile');
  if (password !== undefined && password !== '') {
    auth = { kind: 'password', user: s.get('rpcuser') ?? '', password };
  } else if (cookie === '0') {
    auth = { kind: 'none', why: 'bitcoind runs with -norpccookiefile and no -rpcpassword' };
  } else {
    auth = { kind: 'cookie', path: absolute(cookie && cookie !== '' ? cookie : '.cookie', netDir) };
  }
  return { network, datadir, host: bind.host ?? '127.0.0.1', port, server, auth, confFiles };
}
