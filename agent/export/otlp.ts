/**
 * OTLP's settings as the agent uses them: the options, the resource that names this agent, the CA file.
 * The exporters themselves are in otlp-push.ts (and journal/otlp-logs.ts), loaded only when OTLP is on.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { detectResources, envDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { OtlpProtocol } from '../config/settings.js';
import { redactUrl } from '../redact-url.js';
import { ConfigError } from '../shared/errors.js';
import { whyUnreadable } from '../unreadable.js';

// An endpoint may carry credentials (user:token@, or a token in the query); logs get neither.
export { redactUrl };

export function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`--otlp-ca ${path}: cannot read it (${whyUnreadable(err)})`);
  }
}

export interface OtlpOptions {
  endpoint: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  intervalSeconds: number;
  caFile?: string;
}

/**
 * service.name (overridable by OTEL_SERVICE_NAME), service.version, service.instance.id = node name,
 * host.name, and whatever OTEL_RESOURCE_ATTRIBUTES adds; the environment wins over our defaults.
 */
export function agentResource(node: string, version: string): Resource {
  const ours = resourceFromAttributes({
    'service.name': 'fibre-agent',
    'service.version': version,
    'service.instance.id': node,
    'host.name': hostname(),
  });
  return ours.merge(detectResources({ detectors: [envDetector] }));
}
