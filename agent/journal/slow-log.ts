/**
 * The slow blocks' WARNING lines, at most SLOW_LINES_PER_MINUTE a minute. On mainnet a slow block is
 * rare and each gets its line; in a sync or a reindex the journal keeps up to 20 blocks a second and
 * many may be slow, and a line for each would flood the log (and cost the agent more than the records
 * themselves). Past the limit, one line when the minute is up says how many were not told one by one:
 * every slow block is still in the journal, in fibre_slow_blocks_total and sent to the webhook.
 */
import type { Logger } from '../log.js';
import { logSafe } from '../record/peer-label.js';
import type { BlockRecord } from './record.js';

export const SLOW_LINES_PER_MINUTE = 10;
export const SLOW_LOG_WINDOW_MS = 60_000;

/** A slow block's log line: key fields, every string from the network made safe for one line. */
export function slowLine(r: BlockRecord): string {
  const ms = (v: number | null, scale: number) => (v === null ? '-' : `${(v / scale).toFixed(1)}ms`);
  return [
    `Slow block (${r.slow}): height=${r.height ?? '-'} hash=${r.hash}`,
    `winner=${r.winner ?? '-'} peer=${r.winner_peer === null ? '-' : logSafe(r.winner_peer)}`,
    `reconstruction=${ms(r.reconstruction_us, 1000)} connect=${ms(r.connect_seconds, 1e-3)}`,
    `seen_to_connected=${r.seen_to_connected_ms ?? '-'}ms missing_tx=${r.missing_tx_count ?? '-'}`,
    `(${r.slow_reason})`,
  ].join(' ');
}

export class SlowLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private told = 0;
  private untold = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly perWindow = SLOW_LINES_PER_MINUTE,
    private readonly windowMs = SLOW_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A slow block's record, classified. */
  block(r: BlockRecord): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.summary();
      this.windowStart = t;
      this.told = 0;
    }
    if (this.told < this.perWindow) {
      this.told++;
      this.log.warn(slowLine(r));
      return;
    }
    this.untold++;
    if (this.timer) return;
    this.timer = setTimeout(() => this.summary(), this.windowStart + this.windowMs - t);
    this.timer.unref();
  }

  private summary(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.untold === 0) return;
    const n = this.untold;
    this.untold = 0;
    this.log.warn(
      `${n} more slow block${n === 1 ? '' : 's'} in the last minute, past the ${this.perWindow} logged one by one: each is in the journal (fibre-agent blocks --slow) and counted in fibre_slow_blocks_total`,
    );
  }

  /** Tells what the minute held back: the agent is stopping. */
  stop(): void {
    this.summary();
  }
}
