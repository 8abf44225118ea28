/**
 * The per-block journal in the metrics process: its SQLite store opened, and the journal started with
 * what it reports to (the slow-block webhook, OTLP logs, the recorder's counts, the log).
 */
import { outputBuffering } from '../probes/protocol.js';
import type { AgentConfig } from './config/settings.js';
import { agentResource, type OtlpOptions, readCa, redactUrl } from './export/otlp.js';
import { Journal } from './journal/journal.js';
import { SkipLog } from './journal/skipped.js';
import { JournalStore } from './journal/store.js';
import { WEBHOOK_DEFAULTS, Webhook } from './journal/webhook.js';
import type { Logger } from './log.js';
import type { Recorder } from './record/recorder.js';
import { VERSION } from './version.js';

export function openJournal(config: AgentConfig): JournalStore {
  try {
    return JournalStore.open(config.journalPath);
  } catch (err) {
    throw new Error(
      `cannot open the journal ${config.journalPath}: ${(err as Error).message} (the metrics process runs as uid ${process.getuid?.()}: make the directory writable by it, choose another --journal-path, or use --no-journal)`,
    );
  }
}

/**
 * Completed records go to the store, the log, the webhook and OTLP logs (`otlp`: the push's own
 * endpoint, when there is one). The skip log says what the kernel's budget skipped.
 */
export async function startJournal(
  config: AgentConfig,
  store: JournalStore,
  otlp: OtlpOptions | undefined,
  recorder: Recorder,
  log: Logger,
): Promise<{ journal: Journal; skipLog: SkipLog }> {
  const webhook = config.alertWebhookUrl
    ? new Webhook(
        {
          url: config.alertWebhookUrl,
          shownUrl: redactUrl(config.alertWebhookUrl),
          node: config.nodeName,
          ...WEBHOOK_DEFAULTS,
        },
        (hash, attempt) => {
          try {
            store.addAlert(hash, attempt);
          } catch {
            // Closed at shutdown while an attempt was in flight: the history loses that attempt only.
          }
        },
        () => recorder.error('webhook'),
        log,
      )
    : undefined;
  // Loaded only with OTLP on, as the metrics push is (export/otlp-push.ts).
  const logs = otlp
    ? new (await import('./journal/otlp-logs.js')).JournalLogs(
        otlp,
        agentResource(config.nodeName, VERSION),
        () => recorder.error('otlp_export'),
        otlp.caFile ? readCa(otlp.caFile) : undefined,
      )
    : undefined;
  const journal = new Journal(
    {
      keep: config.journalBlocks,
      slowReconstructionMs: config.slowReconstructionMs,
      verySlowReconstructionMs: config.verySlowReconstructionMs,
      slowConnectMs: config.slowConnectMs,
      // A block's lines printed after block_connected may wait for the next read of the maps
      // (outputBuffering in probes/protocol.ts): the grace covers a read interval and a second more.
      graceMs: 1000 + (outputBuffering(config.aggregation) === 'full' ? 1000 * config.mapReadIntervalSeconds : 0),
    },
    {
      store,
      log,
      slow: (severity) => recorder.slowBlock(severity),
      storeFailed: () => recorder.error('journal'),
      webhook,
      logs,
    },
  );
  const skipLog = new SkipLog(log);
  log.info(`Per-block journal: ${config.journalPath} (newest ${config.journalBlocks} blocks)`);
  if (config.alertWebhookUrl) log.info(`Slow-block alerts to ${redactUrl(config.alertWebhookUrl)}`);
  return { journal, skipLog };
}
