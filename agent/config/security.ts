/**
 * Basic auth and TLS settings, checked as pairs (half a configuration is refused, never run open),
 * then read. The supervisor reads the files, as root, so the password file, the TLS key and
 * certificate can be root's alone (or systemd credentials); the metrics process gets their contents.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, TlsError } from '../shared/errors.js';
import { whyUnreadable } from '../unreadable.js';
import type { AgentConfig } from './settings.js';

/** The /metrics basic auth pair (agent/http/auth.ts checks requests against it). */
export interface Credentials {
  username: string;
  password: string;
}

/** The TLS files' paths, as the settings name them. */
export interface TlsFiles {
  cert: string;
  key: string;
  clientCa?: string;
}

/** The files' contents (PEM text), as read by the supervisor and sent to the metrics process. */
export interface TlsMaterial {
  files: TlsFiles;
  cert: string;
  key: string;
  clientCa?: string;
}

export interface Security {
  auth?: Credentials;
  tls?: TlsMaterial;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsError(`${what} ${path}: cannot read it (${whyUnreadable(err)})`);
  }
}

/** Reads the three files; throws a TlsError naming the one that cannot be read. */
export function readTls(files: TlsFiles): TlsMaterial {
  return {
    files,
    cert: read(files.cert, 'TLS certificate'),
    key: read(files.key, 'TLS key'),
    clientCa: files.clientCa === undefined ? undefined : read(files.clientCa, 'TLS client CA'),
  };
}

/** A password file's password; the error names the flag and the file, never the content. */
export function readPasswordFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag} ${path}: cannot read it (${whyUnreadable(err)})`);
  }
  // Files written by editors and `echo` end in a newline that is not part of the password.
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(`${flag} ${path} is empty`);
  return password;
}

/** The pairs alone, without touching a file: a half-configured endpoint is refused before anything runs. */
export function checkSecurity(config: AgentConfig): void {
  const { metricsAuthUsername: user, metricsAuthPassword: inline, metricsAuthPasswordFile: file } = config;
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError('give the /metrics password either inline or as --metrics-auth-password-file, not both');
  }
  const hasPassword = inline !== undefined || file !== undefined;
  if (user !== undefined && !hasPassword) {
    throw new ConfigError(
      '--metrics-auth-username is set without a password: set --metrics-auth-password-file (or --metrics-auth-password) too, or neither',
    );
  }
  if (user === undefined && hasPassword) {
    throw new ConfigError('a /metrics password is set without --metrics-auth-username: set both, or neither');
  }
  const { tlsCert: cert, tlsKey: key, tlsClientCa: clientCa } = config;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      cert
        ? '--tls-cert is set without --tls-key: set both, or neither'
        : '--tls-key is set without --tls-cert: set both, or neither',
    );
  }
  if (clientCa !== undefined && cert === undefined)
    throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key');
}

/** Checks the pairs and reads the password and TLS files; throws ConfigError or TlsError naming the file. */
export function securityOf(config: AgentConfig): Security {
  checkSecurity(config);
  const out: Security = {};
  const { metricsAuthUsername: user, metricsAuthPassword: inline, metricsAuthPasswordFile: file } = config;
  if (user !== undefined)
    out.auth = { username: user, password: inline ?? readPasswordFile(file as string, '--metrics-auth-password-file') };
  const { tlsCert: cert, tlsKey: key, tlsClientCa: clientCa } = config;
  if (cert !== undefined && key !== undefined) out.tls = readTls({ cert, key, clientCa });
  return out;
}
