/** Basic auth and TLS settings, checked as pairs: half a configuration is refused, never run open. */
import { readFileSync } from 'node:fs';
import type { Credentials } from '../http/auth.js';
import type { TlsFiles } from '../http/tls.js';
import { whyUnreadable } from '../unreadable.js';
import { type AgentConfig, ConfigError } from './settings.js';

export interface Security {
  auth?: Credentials;
  tls?: TlsFiles;
}

function readPassword(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--metrics-auth-password-file ${path}: cannot read it (${whyUnreadable(err)})`);
  }
  // Files written by editors and `echo` end in a newline that is not part of the password.
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(`--metrics-auth-password-file ${path} is empty`);
  return password;
}

export function securityOf(config: AgentConfig): Security {
  const out: Security = {};
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
  if (user !== undefined) out.auth = { username: user, password: inline ?? readPassword(file as string) };
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
  if (cert !== undefined && key !== undefined) out.tls = { cert, key, clientCa };
  return out;
}
