/**
 * What the start-up log says about the metrics endpoint's protection: basic auth on or off, a warning
 * when it is off on an address other machines can reach, and the certificate TLS serves.
 */
import type { Security } from './config/security.js';
import type { AgentConfig } from './config/settings.js';
import type { Logger } from './log.js';

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export function logSecurity(config: AgentConfig, security: Security, log: Logger): void {
  log.info(`Metrics endpoint basic auth: ${security.auth ? 'enabled' : 'disabled'}`);
  if (!security.auth && !LOOPBACK.test(config.metricsAddress)) {
    log.warn(
      `/metrics listens on ${config.metricsAddress} without authentication: anyone who can reach port ${config.metricsPort} can read it (set --metrics-auth-username and --metrics-auth-password-file, or --metrics-address 127.0.0.1)`,
    );
  }
  if (security.tls) {
    log.info(
      `TLS enabled: cert=${security.tls.files.cert}${security.tls.files.clientCa ? ' (client certificates required)' : ''}`,
    );
  }
}
