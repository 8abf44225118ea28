/**
 * The per-block journal in the metrics process: events in (from the ingest loop), records out to the
 * store, the log (slow blocks at WARNING, slow-log.ts), fibre_slow_blocks_total, the webhook and OTLP
 * logs. Nothing here may stall the ingest loop: writes are batched (with each read of the maps, or on a
 * timer when no read comes), alerts and log exports run in the background, and a failing store is
 * logged and counted rather than thrown.
 */
import type { Tracepoint } from '../../probes/catalogue.js';
import type { EventFields } from '../decode/decoder.js';
import type { Logger } from '../log.js';
import { Assembler } from './assembler.js';
import type { JournalLogs } from './otlp-logs.js';
import { type BlockRecord, classify, type Severity, type SlowThresholds } from './record.js';
import { SlowLog } from './slow-log.js';
import type { JournalStore } from './store.js';
import type { Webhook } from './webhook.js';

export interface JournalOptions extends SlowThresholds {
  keep: number;
  graceMs?: number;
  timeoutMs?: number;
  flushEveryMs?: number;
}

export interface JournalSinks {
  store: JournalStore;
  log: Logger;
  slow: (severity: Severity) => void;
  webhook?: Webhook;
  logs?: JournalLogs;
  /** The store refused a write. */
  storeFailed?: () => void;
}

/**
 * Wall-clock time (ms) of a CLOCK_MONOTONIC instant in ns: the kernel's nsecs and Node's hrtime read
 * the same clock, so the distance to now on one is the distance on the other. The two clocks' offset
 * is read once per millisecond of `nowMs`, which for the lines of one read (they come together) is
 * about once, not once per line.
 */
export function wallClockMs(ns: number, nowMs: number): number {
  if (nowMs !== offsetAt) {
    offsetAt = nowMs;
    offsetMs = nowMs - Number(process.hrtime.bigint()) / 1e6;
  }
  return offsetMs + ns / 1e6;
}

let offsetAt = Number.NaN;
let offsetMs = 0;

export class Journal {
  private readonly assembler: Assembler;
  private readonly done: BlockRecord[] = [];
  private readonly slowLog: SlowLog;
  /** Armed only while a record is open or waits to be written: an idle journal wakes nothing. */
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly options: JournalOptions,
    private readonly sinks: JournalSinks,
  ) {
    this.assembler = new Assembler(
      {
        graceMs: options.graceMs ?? 1000,
        timeoutMs: options.timeoutMs ?? 60_000,
        maxOpen: 1000,
      },
      (r) => this.done.push(r),
    );
    this.slowLog = new SlowLog(sinks.log);
  }

  /** An event, with the kernel's time of it (CLOCK_MONOTONIC ns) when its line carries one. */
  event(t: Tracepoint, e: EventFields, ns?: number): void {
    const now = Date.now();
    this.assembler.event(t, e, ns === undefined ? now : wallClockMs(ns, now), now);
    this.arm();
  }

  /**
   * A read of the maps was applied. bpftrace's lines come with the reads (its output is flushed by
   * them), so the records due are written now, while the process is awake anyway, and the timer is put
   * off past the next read: while reads come the journal never wakes the process on its own (its main
   * thread woke 1.9 times a second instead of 3.0 at 1,000 blocks/s; docs/performance.md).
   */
  read(readIntervalMs: number): void {
    if (this.stopped) return;
    this.flush(false);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.arm(2 * readIntervalMs);
  }

  private arm(delayMs = this.options.flushEveryMs ?? 1000): void {
    if (this.timer || this.stopped || (this.assembler.size === 0 && this.done.length === 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
      this.arm();
    }, delayMs);
    this.timer.unref();
  }

  /** Completes what is due, writes it in one transaction, then tells the world. */
  flush(all: boolean): void {
    this.assembler.flush(Date.now(), all);
    if (this.done.length === 0) return;
    const records = this.done.splice(0);
    for (const r of records) {
      const { slow, reason } = classify(r, this.options);
      r.slow = slow;
      r.slow_reason = reason;
    }
    try {
      this.sinks.store.put(records, this.options.keep);
      if (this.failing) this.sinks.log.info('Journal writes work again');
      this.failing = false;
    } catch (err) {
      this.sinks.storeFailed?.();
      if (!this.failing) this.sinks.log.error(`Journal write failed: ${(err as Error).message}`);
      this.failing = true;
    }
    for (const r of records) {
      this.sinks.logs?.emit(r);
      if (!r.slow) continue;
      this.sinks.slow(r.slow);
      this.slowLog.block(r);
      this.sinks.webhook?.send(r);
    }
  }

  /** Writes every open record (a partial one beats none) and stops the timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.flush(true);
    this.slowLog.stop();
    this.sinks.webhook?.close();
    await this.sinks.logs?.shutdown().catch(() => {});
    this.sinks.store.close();
  }
}
