/**
 * Slow-block alerts to --alert-webhook-url: one JSON POST per slow block, retried with exponential
 * backoff while it fails, in the background (the pipeline never waits for it). Each attempt, its time
 * and its outcome, is handed back to be kept in the journal's alert history. Logs name the URL without
 * its credentials or query, which may hold a token.
 */
import type { Logger } from '../log.js';
import type { AlertAttempt, BlockRecord } from './record.js';

export interface WebhookOptions {
  url: string;
  /** Shown in logs instead of the URL. */
  shownUrl: string;
  node: string;
  /** Attempts per alert, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubled before each further one. */
  firstDelayMs: number;
  timeoutMs: number;
  /** Alerts waiting or in flight at most; past it a new alert is dropped (and counted as an error). */
  maxQueued: number;
}

export const WEBHOOK_DEFAULTS = { attempts: 5, firstDelayMs: 1000, timeoutMs: 10_000, maxQueued: 100 } as const;

/** The JSON body a webhook receives. */
export function alertPayload(node: string, record: BlockRecord): Record<string, unknown> {
  const { alerts: _alerts, ...block } = record;
  return {
    event: 'fibre_slow_block',
    node,
    severity: record.slow,
    reason: record.slow_reason,
    summary: `block ${record.height ?? '?'} ${record.hash} ${record.slow}: ${record.slow_reason}`,
    block,
  };
}

/** fetch refuses a URL with credentials: they travel as basic auth instead. */
export function webhookTarget(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, headers: {} };
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return {
    url: u.toString(),
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  };
}

export class Webhook {
  private readonly target: { url: string; headers: Record<string, string> };
  private queued = 0;
  private failing = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly options: WebhookOptions,
    private readonly onAttempt: (hash: string, attempt: AlertAttempt) => void,
    private readonly onFailure: () => void,
    private readonly log: Logger,
  ) {
    this.target = webhookTarget(options.url);
  }

  send(record: BlockRecord): void {
    if (this.closed) return;
    if (this.queued >= this.options.maxQueued) {
      this.onFailure();
      this.log.warn(`Slow-block alert for ${record.hash} dropped: ${this.queued} alerts still pending`);
      return;
    }
    this.queued++;
    const body = JSON.stringify(alertPayload(this.options.node, record));
    void this.attempt(record.hash, body, 1);
  }

  private async attempt(hash: string, body: string, n: number): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    const time = new Date().toISOString();
    try {
      const res = await fetch(this.target.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'fibre-agent', ...this.target.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      // fetch hides the cause (ECONNREFUSED, a timeout) one level down.
      const e = err as Error & { cause?: Error };
      error = e.cause?.message ?? e.message;
    }
    this.onAttempt(hash, { time, attempt: n, status, error });
    if (error === null) {
      if (this.failing) this.log.info(`Alert webhook ${this.options.shownUrl} answers again`);
      this.failing = false;
      this.queued--;
      return;
    }
    this.onFailure();
    if (!this.failing) this.log.warn(`Alert webhook ${this.options.shownUrl} failed: ${error}; retrying with backoff`);
    this.failing = true;
    if (n >= this.options.attempts || this.closed) {
      this.log.warn(`Slow-block alert for ${hash} not delivered after ${n} attempts (last: ${error})`);
      this.queued--;
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.attempt(hash, body, n + 1);
      },
      this.options.firstDelayMs * 2 ** (n - 1),
    );
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
