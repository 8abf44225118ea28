/**
 * bpftrace's output bytes -> lines -> decoded items -> the recorder: the one ingest loop, used by the
 * metrics process, by the benchmark and by tests alike.
 */

import type { Tracepoint } from '../probes/catalogue.js';
import type { Aggregation } from '../probes/protocol.js';
import { Decoder, type EventFields } from './decode/decoder.js';
import { LineSplitter } from './line-splitter.js';
import type { Logger } from './log.js';
import type { Recorder } from './record/recorder.js';

/** Lines are under 1.3 KiB (7 arguments, two 128-byte strings at 4 characters a byte); anything far longer is not ours. */
export const MAX_LINE_LENGTH = 4096;
const DECODE_WARN_EVERY_MS = 60_000;

export class Ingest {
  private readonly splitter: LineSplitter;
  private readonly decoder: Decoder;
  private decodeErrors = 0;
  private lastDecodeWarn = 0;
  /** Called with the attempt number when a bpftrace says every probe is attached. */
  onReady: (attempt: number) => void = () => {};
  /** Every decoded event, after the recorder: the per-block journal joins them. */
  onEvent?: (t: Tracepoint, event: EventFields, ns: number | undefined) => void;
  /** A read of the in-kernel maps was applied: the agent is busy, and its cost worth sampling now. */
  onRead?: () => void;

  constructor(
    private readonly recorder: Recorder,
    private readonly log: Logger,
    options: { aggregation: Aggregation; verbose: boolean; journal?: boolean },
  ) {
    this.decoder = new Decoder(options.aggregation, options.verbose, options.journal);
    this.splitter = new LineSplitter(
      MAX_LINE_LENGTH,
      (line) => this.line(line),
      () => this.decodeError('line_too_long', 'line over the length limit'),
    );
  }

  write(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** A line bpftrace left unfinished is dropped and counted: completing it could forge a value. */
  endStream(): void {
    if (this.splitter.discardPartial()) this.decodeError('decode', 'line cut off when bpftrace stopped');
  }

  line(line: string): void {
    // bpftrace separates map prints, and ends its output, with blank lines.
    if (line === '') return;
    const d = this.decoder.decode(line);
    switch (d.kind) {
      case 'map':
        // Maps no metric reads (the generator's own @dirty flag) are fine.
        this.recorder.mapEntry(d.map, d.key, d.value);
        return;
      case 'event':
        this.recorder.event(d.tracepoint, d.event);
        this.onEvent?.(d.tracepoint, d.event, d.ns);
        return;
      case 'read':
        this.recorder.beginRead(d.epoch);
        return;
      case 'readEnd':
        this.recorder.endRead();
        this.onRead?.();
        return;
      case 'ready':
        this.recorder.newAttempt();
        this.onReady(d.attempt);
        return;
      case 'lost':
        this.recorder.lost(d.count);
        this.log.warn(`bpftrace lost ${d.count} events (perf buffer full; raise --perf-buffer-pages)`);
        return;
      case 'invalid':
        this.decodeError('decode', d.reason);
    }
  }

  /** Counted every time, logged at most once a minute so a flood cannot fill the disk. */
  private decodeError(type: 'decode' | 'line_too_long', reason: string): void {
    this.recorder.error(type);
    this.decodeErrors++;
    const now = Date.now();
    if (now - this.lastDecodeWarn >= DECODE_WARN_EVERY_MS) {
      this.log.warn(`Unreadable bpftrace output (${reason}); ${this.decodeErrors} such lines so far`);
      this.lastDecodeWarn = now;
    }
  }
}
