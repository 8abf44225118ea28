/**
 * Every setting of the agent in one table: its flag, environment variable, YAML key, default and
 * parser. The CLI options, the precedence rules (flag > environment > file > default) and the settings
 * tables of the README and docs/configuration.md all come from here, so they cannot drift apart.
 */

import { AGENT_PACKS, type AgentPack, RPC_PACK } from '../../probes/packs.js';
import type { Aggregation, ConnectTimeUnit } from '../../probes/protocol.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';

export interface AgentConfig {
  bitcoindPath?: string;
  pid?: number;
  nodeName: string;
  metricsAddress: string;
  metricsPort: number;
  healthAddress: string;
  healthPort: number;
  verbose: boolean;
  logLevel: LogLevel;
  logFile?: string;
  connectTimeUnit: ConnectTimeUnit;
  bpftracePath: string;
  perfBufferPages: number;
  mapReadIntervalSeconds: number;
  probeStats: boolean;
  aggregation: Aggregation;
  /** Undefined: every pack, without its opt-in probes. */
  packs?: readonly AgentPack[];
  peerLabelLimit: number;
  metricsAuthUsername?: string;
  metricsAuthPassword?: string;
  metricsAuthPasswordFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  otlpEndpoint?: string;
  otlpProtocol: OtlpProtocol;
  otlpHeaders?: Record<string, string>;
  otlpIntervalSeconds: number;
  otlpCa?: string;
  user: string;
  journal: boolean;
  journalBlocks: number;
  journalPath: string;
  slowReconstructionMs: number;
  verySlowReconstructionMs: number;
  slowConnectMs: number;
  alertWebhookUrl?: string;
  rpcUrl?: string;
  rpcCookieFile?: string;
  rpcUser?: string;
  rpcPasswordFile?: string;
  rpcIntervalSeconds: number;
}

/** The per-block journal is kept: not turned off, and room for at least one block. */
export function journalOn(config: Pick<AgentConfig, 'journal' | 'journalBlocks'>): boolean {
  return config.journal && config.journalBlocks > 0;
}

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export type RawValue = string | number | boolean | string[];

/** A further environment variable read when the primary one is unset, with its value converted. */
export interface EnvFallback {
  readonly name: string;
  readonly map?: (value: string) => string;
}

/** What every setting has, whichever field it fills. */
interface SettingText {
  /** Commander flag syntax, e.g. '-b, --bitcoind <path>'. */
  readonly flag: string;
  readonly env: string;
  readonly yaml: string;
  readonly description: string;
  /** Never echoed in errors or logs. */
  readonly secret?: boolean;
  /** The flag may be given several times; the values arrive as a list. */
  readonly repeatable?: boolean;
  /** The YAML key may hold a list (a flag or variable gives it comma-separated). */
  readonly list?: boolean;
  /** Converts the primary environment variable's value (for example milliseconds to seconds). */
  readonly envMap?: (value: string) => string;
  readonly envFallbacks?: readonly EnvFallback[];
}

/**
 * A field the config type requires must have a default: otherwise an operator who sets nothing would
 * get undefined where the type promises a value. Only an optional field may go without one.
 */
type DefaultFor<K extends keyof AgentConfig> = undefined extends AgentConfig[K]
  ? { readonly default?: RawValue }
  : { readonly default: RawValue };

/** The setting that fills field K: its parser returns that field's type, so a wrong parser does not compile. */
export type SettingOf<K extends keyof AgentConfig> = SettingText &
  DefaultFor<K> & {
    readonly key: K;
    /** Throws a bare message; the loader adds which source it came from. */
    readonly parse: (raw: RawValue) => NonNullable<AgentConfig[K]>;
  };

/** Any one setting: a union over the fields, so each entry of SETTINGS is checked against its own field. */
export type Setting = { [K in keyof AgentConfig]-?: SettingOf<K> }[keyof AgentConfig];

function text(raw: RawValue): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error('must be a non-empty string');
  return raw;
}

function httpUrl(raw: RawValue): string {
  let url: URL;
  try {
    url = new URL(text(raw));
  } catch {
    throw new Error('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  return url.toString();
}

/** OTLP headers as `k=v,k2=v2` (the OTEL_EXPORTER_OTLP_HEADERS form, values URL-encoded) or a list of `k=v`. */
function headers(raw: RawValue): Record<string, string> {
  const items = Array.isArray(raw) ? raw : String(raw).split(',');
  const out: Record<string, string> = {};
  for (const item of items) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error('must be key=value pairs');
    try {
      out[decodeURIComponent(item.slice(0, eq).trim())] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw new Error('has a badly URL-encoded key or value');
    }
  }
  return out;
}

function seconds(raw: RawValue): number {
  const n = Number(String(raw).trim());
  if (typeof raw === 'boolean' || !Number.isFinite(n) || n < 0.1 || n > 86_400)
    throw new Error('must be a number of seconds from 0.1 to 86400');
  return n;
}

/** The OpenTelemetry variables give milliseconds; the flag and YAML key take seconds. */
const msToSeconds = (v: string) => (/^[0-9]+(\.[0-9]+)?$/.test(v.trim()) ? String(Number(v) / 1000) : v);
const withMetricsPath = (v: string) => `${v.replace(/\/+$/, '')}/v1/metrics`;

function integer(min: number, max: number) {
  return (raw: RawValue): number => {
    const s = String(raw).trim();
    if (typeof raw === 'boolean' || !/^[0-9]+$/.test(s))
      throw new Error(`must be a whole number from ${min} to ${max}`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[], normalise: (s: string) => string = (s) => s) {
  return (raw: RawValue): T => {
    const s = normalise(String(raw).trim());
    if (!(values as readonly string[]).includes(s)) throw new Error(`must be one of ${values.join(', ')}`);
    return s as T;
  };
}

/** A comma-separated list (flag, environment) or a YAML list of pack names. */
function packs(raw: RawValue): AgentPack[] {
  const items = (Array.isArray(raw) ? raw : String(raw).split(',')).map((p) => String(p).trim().toLowerCase());
  const named = items.filter((p) => p !== '');
  if (named.length === 0) throw new Error(`must name at least one pack of ${AGENT_PACKS.join(', ')}`);
  for (const p of named) {
    if (!(AGENT_PACKS as readonly string[]).includes(p))
      throw new Error(`has an unknown pack "${p}" (packs: ${AGENT_PACKS.join(', ')})`);
  }
  // The agent follows bitcoind (its restarts, its process) through bpftrace: RPC alone has nothing to follow it with.
  if (named.every((p) => p === RPC_PACK)) throw new Error(`must name a tracepoint pack beside ${RPC_PACK}`);
  return [...new Set(named)] as AgentPack[];
}

function milliseconds(raw: RawValue): number {
  const n = Number(String(raw).trim());
  if (typeof raw === 'boolean' || String(raw).trim() === '' || !Number.isFinite(n) || n <= 0 || n > 3_600_000)
    throw new Error('must be a number of milliseconds above 0, at most 3600000');
  return n;
}

function boolean(raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  throw new Error('must be true or false');
}

const port = integer(1, 65535);

const TABLE = [
  {
    key: 'bitcoindPath',
    flag: '-b, --bitcoind <path>',
    env: 'FIBRE_BITCOIND_PATH',
    yaml: 'bitcoind_path',
    description: 'path to the bitcoind binary whose probes to attach (required)',
    parse: text,
  },
  {
    key: 'pid',
    flag: '-p, --pid <pid>',
    env: 'FIBRE_PID',
    yaml: 'pid',
    description: 'PID of the running bitcoind (default: the process running --bitcoind)',
    parse: integer(1, 2 ** 22),
  },
  {
    key: 'nodeName',
    flag: '-n, --node-name <name>',
    env: 'FIBRE_NODE_NAME',
    yaml: 'node_name',
    description: 'value of the node label on every metric',
    default: 'localhost',
    parse: text,
  },
  {
    key: 'metricsPort',
    flag: '--port <port>',
    env: 'FIBRE_METRICS_PORT',
    yaml: 'metrics_port',
    description: 'port of the Prometheus /metrics endpoint',
    default: 9435,
    parse: port,
  },
  {
    key: 'metricsAddress',
    flag: '--metrics-address <addr>',
    env: 'FIBRE_METRICS_ADDRESS',
    yaml: 'metrics_address',
    description: 'address /metrics listens on',
    default: '0.0.0.0',
    parse: text,
  },
  {
    key: 'healthPort',
    flag: '--health-port <port>',
    env: 'FIBRE_HEALTH_PORT',
    yaml: 'health_port',
    description: 'port of the /health endpoint',
    default: 9436,
    parse: port,
  },
  {
    key: 'healthAddress',
    flag: '--health-address <addr>',
    env: 'FIBRE_HEALTH_ADDRESS',
    yaml: 'health_address',
    description: 'address /health listens on',
    default: '0.0.0.0',
    parse: text,
  },
  {
    key: 'verbose',
    flag: '-v, --verbose',
    env: 'FIBRE_VERBOSE',
    yaml: 'verbose',
    description: 'log one line per event',
    default: false,
    parse: boolean,
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'FIBRE_LOG_LEVEL',
    yaml: 'log_level',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
    default: 'INFO',
    parse: oneOf(LOG_LEVELS, (s) => s.toUpperCase()),
  },
  {
    key: 'logFile',
    flag: '--log-file <path>',
    env: 'FIBRE_LOG_FILE',
    yaml: 'log_file',
    description: 'also append the log to this file',
    parse: text,
  },
  {
    key: 'connectTimeUnit',
    flag: '--connect-time-unit <unit>',
    env: 'FIBRE_CONNECT_TIME_UNIT',
    yaml: 'connect_time_unit',
    description:
      "unit of validation:block_connected's connect time: auto (from the release told from the binary: us on v23 and v24, ns later), or ns or us for a patched bitcoind",
    default: 'auto',
    parse: oneOf(['auto', 'ns', 'us'] as const, (s) => s.toLowerCase()),
  },
  {
    key: 'bpftracePath',
    flag: '--bpftrace <path>',
    env: 'FIBRE_BPFTRACE',
    yaml: 'bpftrace_path',
    description: 'bpftrace executable',
    default: 'bpftrace',
    parse: text,
  },
  {
    key: 'perfBufferPages',
    flag: '--perf-buffer-pages <pages>',
    env: 'FIBRE_PERF_BUFFER_PAGES',
    yaml: 'perf_buffer_pages',
    description: 'perf ring buffer pages per CPU (BPFTRACE_PERF_RB_PAGES); raise it if events are lost',
    default: 256,
    parse: integer(1, 1 << 20),
  },
  {
    key: 'mapReadIntervalSeconds',
    flag: '--map-read-interval <seconds>',
    env: 'FIBRE_MAP_READ_INTERVAL',
    yaml: 'map_read_interval',
    description:
      'seconds between reads of the in-kernel counts (only while something changed); at most twice this is lost if bpftrace is killed with SIGKILL',
    default: 1,
    parse: seconds,
  },
  {
    key: 'probeStats',
    flag: '--probe-stats',
    env: 'FIBRE_PROBE_STATS',
    yaml: 'probe_stats',
    description:
      "count each probe's runs and run time inside bitcoind (sets the system-wide sysctl kernel.bpf_stats_enabled=1, which costs every BPF program on the host a little; restored when the agent stops)",
    default: false,
    parse: boolean,
  },
  {
    key: 'aggregation',
    flag: '--aggregation <where>',
    env: 'FIBRE_AGGREGATION',
    yaml: 'aggregation',
    description:
      'kernel: count in BPF maps, one line per event only where needed (peer labels); events: one line per event for everything (slower, for comparison)',
    default: 'kernel',
    parse: oneOf(['kernel', 'events'] as const, (s) => s.toLowerCase()),
  },
  {
    key: 'packs',
    flag: '--packs <list>',
    env: 'FIBRE_PACKS',
    yaml: 'packs',
    description:
      "packs to run, comma-separated: the tracepoint packs fibre, validation, net, mempool, utxocache, coin_selection, and rpc (bitcoind's RPC, no tracepoints) (default: all of them, but utxocache:add/spent/uncache, which only a named utxocache pack attaches)",
    list: true,
    parse: packs,
  },
  {
    key: 'peerLabelLimit',
    flag: '--peer-label-limit <n>',
    env: 'FIBRE_PEER_LABEL_LIMIT',
    yaml: 'peer_label_limit',
    description: 'distinct peer label values kept; later peers are counted as peer="other"',
    default: 1000,
    parse: integer(1, 1_000_000),
  },
  {
    key: 'user',
    flag: '--user <name>',
    env: 'FIBRE_USER',
    yaml: 'user',
    description:
      'account for everything but bpftrace when started as root (decoding, HTTP, OTLP); "root" keeps one process',
    default: 'fibre-agent',
    parse: text,
  },
  {
    key: 'metricsAuthUsername',
    flag: '--metrics-auth-username <user>',
    env: 'FIBRE_METRICS_AUTH_USERNAME',
    yaml: 'metrics_auth_username',
    description: 'basic auth username for /metrics (auth is on when username and password are set)',
    parse: text,
  },
  {
    key: 'metricsAuthPassword',
    flag: '--metrics-auth-password <password>',
    env: 'FIBRE_METRICS_AUTH_PASSWORD',
    yaml: 'metrics_auth_password',
    description: 'basic auth password for /metrics (visible in ps: prefer the password file)',
    secret: true,
    parse: text,
  },
  {
    key: 'metricsAuthPasswordFile',
    flag: '--metrics-auth-password-file <path>',
    env: 'FIBRE_METRICS_AUTH_PASSWORD_FILE',
    yaml: 'metrics_auth_password_file',
    description: 'file holding the basic auth password (one trailing newline ignored)',
    parse: text,
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <path>',
    env: 'FIBRE_TLS_CERT',
    yaml: 'tls_cert',
    description: 'PEM certificate: serve /metrics over HTTPS (with --tls-key)',
    parse: text,
  },
  {
    key: 'tlsKey',
    flag: '--tls-key <path>',
    env: 'FIBRE_TLS_KEY',
    yaml: 'tls_key',
    description: 'PEM private key of --tls-cert',
    parse: text,
  },
  {
    key: 'tlsClientCa',
    flag: '--tls-client-ca <path>',
    env: 'FIBRE_TLS_CLIENT_CA',
    yaml: 'tls_client_ca',
    description: 'PEM CA: require client certificates signed by it (mutual TLS)',
    parse: text,
  },
  {
    key: 'otlpEndpoint',
    flag: '--otlp-endpoint <url>',
    env: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    envFallbacks: [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', map: withMetricsPath }],
    yaml: 'otlp.endpoint',
    description: 'push metrics over OTLP/HTTP to this URL, e.g. http://collector:4318/v1/metrics (off when unset)',
    // A URL may carry credentials (https://user:token@host/).
    secret: true,
    parse: httpUrl,
  },
  {
    key: 'otlpProtocol',
    flag: '--otlp-protocol <protocol>',
    env: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
    envFallbacks: [{ name: 'OTEL_EXPORTER_OTLP_PROTOCOL' }],
    yaml: 'otlp.protocol',
    description: `OTLP encoding: ${OTLP_PROTOCOLS.join(' or ')}`,
    default: 'http/protobuf',
    parse: oneOf(OTLP_PROTOCOLS),
  },
  {
    key: 'otlpHeaders',
    flag: '--otlp-header <key=value>',
    env: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
    envFallbacks: [{ name: 'OTEL_EXPORTER_OTLP_HEADERS' }],
    yaml: 'otlp.headers',
    description: 'header on every OTLP request, e.g. an API token (repeatable; env and YAML: k=v,k2=v2)',
    secret: true,
    repeatable: true,
    parse: headers,
  },
  {
    key: 'otlpIntervalSeconds',
    flag: '--otlp-interval <seconds>',
    env: 'OTEL_METRIC_EXPORT_INTERVAL',
    envMap: msToSeconds,
    yaml: 'otlp.interval',
    description: 'seconds between OTLP pushes (the environment variable is in milliseconds)',
    default: 15,
    parse: seconds,
  },
  {
    key: 'otlpCa',
    flag: '--otlp-ca <path>',
    env: 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
    envFallbacks: [{ name: 'OTEL_EXPORTER_OTLP_CERTIFICATE' }],
    yaml: 'otlp.certificate',
    description: 'PEM CA that signs the collector certificate, for https:// endpoints',
    parse: text,
  },
  {
    key: 'journal',
    flag: '--no-journal',
    env: 'FIBRE_JOURNAL',
    yaml: 'journal',
    description: 'keep the per-block journal (--no-journal, or false: off, as --journal-blocks 0)',
    default: true,
    parse: boolean,
  },
  {
    key: 'journalBlocks',
    flag: '--journal-blocks <n>',
    env: 'FIBRE_JOURNAL_BLOCKS',
    yaml: 'journal_blocks',
    description: 'blocks the per-block journal keeps, the oldest dropped first (0: no journal)',
    default: 10000,
    parse: integer(0, 10_000_000),
  },
  {
    key: 'journalPath',
    flag: '--journal-path <path>',
    env: 'FIBRE_JOURNAL_PATH',
    yaml: 'journal_path',
    description: 'SQLite file of the per-block journal (its directory must be writable by --user)',
    default: '/var/lib/fibre-agent/journal.sqlite',
    parse: text,
  },
  {
    key: 'slowReconstructionMs',
    flag: '--slow-reconstruction-ms <ms>',
    env: 'FIBRE_SLOW_RECONSTRUCTION_MS',
    yaml: 'slow_reconstruction_ms',
    description: 'a FIBRE reconstruction this long or longer makes the block slow',
    default: 50,
    parse: milliseconds,
  },
  {
    key: 'verySlowReconstructionMs',
    flag: '--very-slow-reconstruction-ms <ms>',
    env: 'FIBRE_VERY_SLOW_RECONSTRUCTION_MS',
    yaml: 'very_slow_reconstruction_ms',
    description: 'a FIBRE reconstruction this long or longer makes the block very slow',
    default: 100,
    parse: milliseconds,
  },
  {
    key: 'slowConnectMs',
    flag: '--slow-connect-ms <ms>',
    env: 'FIBRE_SLOW_CONNECT_MS',
    yaml: 'slow_connect_ms',
    description: "from a block's first tracepoint to validation:block_connected this long or longer makes it slow",
    default: 2000,
    parse: milliseconds,
  },
  {
    key: 'alertWebhookUrl',
    flag: '--alert-webhook-url <url>',
    env: 'FIBRE_ALERT_WEBHOOK_URL',
    yaml: 'alert_webhook_url',
    description: 'POST each slow block to this URL as JSON (retried with backoff; off when unset)',
    // A URL may carry credentials or a token.
    secret: true,
    parse: httpUrl,
  },
  {
    key: 'rpcUrl',
    flag: '--rpc-url <url>',
    env: 'FIBRE_RPC_URL',
    yaml: 'rpc_url',
    description:
      "bitcoind's RPC address, e.g. http://127.0.0.1:8332/ (default: found from the traced process's options and bitcoin.conf)",
    // A URL may carry user:password.
    secret: true,
    parse: httpUrl,
  },
  {
    key: 'rpcCookieFile',
    flag: '--rpc-cookie-file <path>',
    env: 'FIBRE_RPC_COOKIE_FILE',
    yaml: 'rpc_cookie_file',
    description: "bitcoind's RPC cookie file (default: the one the traced bitcoind writes); read by root",
    parse: text,
  },
  {
    key: 'rpcUser',
    flag: '--rpc-user <user>',
    env: 'FIBRE_RPC_USER',
    yaml: 'rpc_user',
    description: 'RPC user name, with --rpc-password-file, instead of the cookie',
    parse: text,
  },
  {
    key: 'rpcPasswordFile',
    flag: '--rpc-password-file <path>',
    env: 'FIBRE_RPC_PASSWORD_FILE',
    yaml: 'rpc_password_file',
    description: 'file holding the password of --rpc-user (one trailing newline ignored); read by root',
    parse: text,
  },
  {
    key: 'rpcIntervalSeconds',
    flag: '--rpc-interval <seconds>',
    env: 'FIBRE_RPC_INTERVAL',
    yaml: 'rpc_interval',
    description: "seconds between polls of bitcoind's RPC (rpc pack; one batch request each)",
    default: 15,
    parse: seconds,
  },
] satisfies readonly Setting[];

/** The settings in the order of the CLI's help and the README's table. */
export const SETTINGS: readonly Setting[] = TABLE;

/**
 * The fields the table fills, typed from the table itself: resolveConfig's result is an AgentConfig
 * only if this covers every field, so a field added without a setting does not compile.
 */
export const SETTING_KEYS = TABLE.map((s) => s.key);

/** The flag's long name as commander stores it: '--node-name <name>' -> 'nodeName'. */
export function optionName(setting: Pick<Setting, 'flag'>): string {
  // commander stores --no-journal as journal.
  const long = (/--([a-z0-9-]+)/.exec(setting.flag)?.[1] ?? '').replace(/^no-/, '');
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
