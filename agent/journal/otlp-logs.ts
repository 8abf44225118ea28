/**
 * Each completed journal record as an OpenTelemetry log record (the logs signal), when OTLP push is on:
 * attributes named as the record's JSON fields, so a Loki or Elasticsearch behind the collector can
 * query them by name. Sent in batches by the SDK; a failed export is counted like a failed metrics push.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import type { OtlpOptions } from '../export/otlp.js';
import type { BlockRecord } from './record.js';

/** The logs URL beside the metrics URL: .../v1/metrics becomes .../v1/logs. */
export function logsUrl(metricsUrl: string): string {
  const u = new URL(metricsUrl);
  u.pathname = u.pathname.endsWith('/v1/metrics')
    ? `${u.pathname.slice(0, -'/v1/metrics'.length)}/v1/logs`
    : `${u.pathname.replace(/\/+$/, '')}/v1/logs`;
  return u.toString();
}

/** Scalars as they are; the alert history as a JSON string (attribute values are flat). */
export function logAttributes(r: BlockRecord): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
  }
  return out;
}

class CountingExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly onFailure: () => void,
  ) {}

  export(logs: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(logs, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.onFailure();
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export class JournalLogs {
  private readonly provider: LoggerProvider;

  constructor(options: OtlpOptions, resource: Resource, onFailure: () => void, ca?: Buffer) {
    const config = {
      url: logsUrl(options.endpoint),
      headers: options.headers,
      timeoutMillis: 10_000,
      httpAgentOptions: ca ? { ca } : undefined,
    };
    const inner = options.protocol === 'http/json' ? new JsonLogExporter(config) : new ProtoLogExporter(config);
    this.provider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new CountingExporter(inner, onFailure),
          scheduledDelayMillis: 1000,
          maxQueueSize: 1000,
        }),
      ],
    });
  }

  emit(r: BlockRecord): void {
    this.provider.getLogger('fibre-agent.journal').emit({
      eventName: 'fibre.block',
      timestamp: Date.parse(r.first_seen),
      severityNumber: r.slow ? SeverityNumber.WARN : SeverityNumber.INFO,
      severityText: r.slow ? 'WARN' : 'INFO',
      body: `block ${r.height ?? '?'} ${r.hash}${r.slow ? ` ${r.slow}: ${r.slow_reason}` : ''}`,
      attributes: logAttributes(r),
    });
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
