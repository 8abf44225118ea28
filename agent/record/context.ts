import type { MetricKey } from './metrics.js';

export type Labels = Readonly<Record<string, string>>;

/** What a catalogue entry may do with one event; the recorder adds the `node` label itself. */
export interface RecordContext {
  add(metric: MetricKey, value: number, labels?: Labels): void;
  observe(metric: MetricKey, value: number): void;
  /** fibre_last_block_height: the last height seen, so a reorg lowers it. */
  setHeight(height: number): void;
  /** A peer string as a bounded-cardinality label value. */
  peerLabel(peer: Buffer): string;
  /** A string from outside (a peer) for a log line: decoded as the label is, control characters escaped. */
  forLog(bytes: Buffer): string;
  /** validation:block_connected's connect time in seconds, whatever unit this bitcoind uses. */
  connectTimeSeconds(raw: number): number;
  /** Counts a value no real measurement can have (a negative duration). */
  outOfRange(): void;
}
