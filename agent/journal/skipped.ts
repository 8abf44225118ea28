/**
 * Tells the operator that the journal skipped blocks (beyond the kernel's budget of blocks a second),
 * at most once a minute: a sync skips thousands of blocks, and a line for each read of the count would
 * flood the log. The first skip is told at once; later ones wait until a minute has passed since the
 * last line, then are told together.
 */
import { JOURNAL_BLOCKS_PER_SECOND } from '../../probes/protocol.js';
import type { Logger } from '../log.js';

export const SKIP_LOG_INTERVAL_MS = 60_000;

export class SkipLog {
  private told = 0;
  private latest = 0;
  private lastLineMs = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly intervalMs = SKIP_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** fibre_journal_blocks_skipped_total's total now. */
  total(n: number): void {
    this.latest = Math.max(this.latest, n);
    if (this.latest <= this.told || this.timer) return;
    const wait = this.lastLineMs + this.intervalMs - this.now();
    if (wait <= 0) this.tell();
    else {
      this.timer = setTimeout(() => this.tell(), wait);
      this.timer.unref();
    }
  }

  private tell(): void {
    this.timer = undefined;
    const skipped = this.latest - this.told;
    if (skipped <= 0) return;
    this.told = this.latest;
    this.lastLineMs = this.now();
    this.log.warn(
      `Journal: ${skipped} block${skipped === 1 ? '' : 's'} skipped (${this.latest} since the agent started): more than ${JOURNAL_BLOCKS_PER_SECOND} blocks a second came, the most the kernel prints for the journal; the journal has no record of them, the metrics count them (fibre_journal_blocks_skipped_total)`,
    );
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
