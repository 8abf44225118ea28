/**
 * Basic auth and TLS settings, checked as pairs (half a configuration is refused, never run open),
 * then read. The supervisor reads the files, as root, so the password file, the TLS key and
 * certificate can be root's alone (or systemd credentials); the metrics process gets their contents.
 */
import { readFileSync } from 'node:fs';
import type { Credentials } from '../http/auth.js';
import { readTls, type TlsMaterial } from '../http/tls.js';
import { whyUnreadable } from '../unreadable.js';
import { type AgentConfig, ConfigError } from './settings.js';

export interface Security {
  auth?: Credentials;
  tls?: TlsMaterial;
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
