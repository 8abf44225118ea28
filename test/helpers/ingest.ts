/** The metrics process's ingest path in-process: lines in, the exposition out, as /metrics renders it. */

import { readFileSync } from 'node:fs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { StoreProducer } from '../../agent/export/producer.js';
import { createPullReader, Exposition } from '../../agent/export/prometheus.js';
import { Ingest } from '../../agent/ingest.js';
import type { Logger } from '../../agent/log.js';
import { Recorder, type RecorderOptions } from '../../agent/record/recorder.js';
import { MetricStore } from '../../agent/record/store.js';
import { parseExposition } from './exposition.js';

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function ingestPipeline(options: Partial<RecorderOptions> = {}, log: Logger = quiet) {
  const full: RecorderOptions = {
    node: 'n1',
    peerLabelLimit: 1000,
    verbose: false,
    version: '9.9.9',
    bitcoindPath: '/b',
    aggregation: 'kernel',
    ...options,
  };
  const store = new MetricStore(full.node);
  const reader = createPullReader(new StoreProducer(store, full.version));
  new MeterProvider({ readers: [reader] });
  const recorder = new Recorder(store, full, log);
  const ingest = new Ingest(recorder, log, full);
  const feed = (...lines: string[]) => {
    for (const l of lines) ingest.write(Buffer.from(`${l}\n`, 'latin1'));
  };
  const render = () => new Exposition(reader).render();
  const scrape = async () => parseExposition(await render());
  return { store, recorder, ingest, feed, render, scrape };
}

/** A string as the generated program prints it in an event line: NUL-padded 64-bit words, each as hex digits. */
export function hex(s: string | Buffer): string {
  const bytes = typeof s === 'string' ? Buffer.from(s) : s;
  const words = Buffer.alloc(Math.max(8, Math.ceil((bytes.length + 1) / 8) * 8));
  bytes.copy(words);
  return words.swap64().toString('hex');
}

/**
 * Real bpftrace output of the hostile-peer run recorded in sim-hostile.jsonl: its udp:block_race_winner
 * lines, whose fields (height, winner, peer) are those the generated program prints with --verbose.
 */
export function capturedWinnerLines(): string[] {
  return readFileSync(new URL('../../../test/fixtures/bpftrace-hostile.txt', import.meta.url), 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('udp:block_race_winner '));
}
