/**
 * What /metrics must say after the simulator fired a list of events, computed from the simulator's own
 * record of them, independently of the agent's recording code.
 */
import assert from 'node:assert/strict';
import type { Pack } from '../../probes/catalogue.js';
import type { Release } from '../../probes/releases.js';
import { measurable, packSamples, plain } from './expected-packs.js';
import { parseExposition, sample } from './exposition.js';
import { hexBytes, type SimEvent } from './sim.js';

export interface ExpectedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Sums of floats are compared with a tolerance; counts exactly. */
  approx?: boolean;
}

const DURATION = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CHUNKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const TXS = [1, 10, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000];
const MISSING_TX = [0, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2000, 5000, 10000];
const MISSING_BYTES = [100, 500, 1000, 5000, 10000, 50000, 100000, 250000, 500000, 1000000, 2000000, 4000000];
const MEMPOOL_TX = [0, 1, 10, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000];

/** The documented peer label: the peer's string as UTF-8, each invalid sequence as U+FFFD. */
export function peerLabel(bytes: Buffer): string {
  return new TextDecoder().decode(bytes);
}

export function mechanism(winner: string): string {
  return winner === 'FIBRE/UDP' ? 'fibre_udp' : winner === 'BIP152/CMPCTBLOCK' ? 'bip152_cmpct' : 'other';
}

/** A histogram of plain values under the `node` label alone. */
function histogram(name: string, node: string, bounds: readonly number[], values: number[]): ExpectedSample[] {
  return plain(name, { node }, bounds, values);
}

export function expectedSamples(
  events: SimEvent[],
  node: string,
  connectUnit: 'ns' | 'us' = 'ns',
  packs?: readonly Pack[],
  release: Release = 'v30',
): ExpectedSample[] {
  const of = (probe: string) => events.filter((e) => e.probe === probe);
  const rec = of('udp:block_reconstructed');
  const winners = of('udp:block_race_winner');
  const connected = of('validation:block_connected');
  const sent = of('udp:block_send_start');
  const detail = of('udp:block_reconstruction_detail');
  const n = (e: SimEvent, k: string) => Number(e[k]);
  const out: ExpectedSample[] = [
    { name: 'fibre_blocks_reconstructed_total', labels: { node }, value: rec.length },
    { name: 'fibre_chunks_used_total', labels: { node }, value: rec.reduce((a, e) => a + n(e, 'chunks_used'), 0) },
    { name: 'fibre_chunks_received_total', labels: { node }, value: rec.reduce((a, e) => a + n(e, 'chunks_recvd'), 0) },
    { name: 'fibre_blocks_sent_total', labels: { node }, value: sent.length },
    { name: 'bitcoin_blocks_connected_total', labels: { node }, value: connected.length },
    { name: 'fibre_exporter_events_processed_total', labels: { event_type: 'block_reconstructed' }, value: rec.length },
    { name: 'fibre_exporter_events_processed_total', labels: { event_type: 'block_send_start' }, value: sent.length },
    {
      name: 'fibre_exporter_events_processed_total',
      labels: { event_type: 'block_reconstruction_detail' },
      value: detail.length,
    },
    {
      name: 'fibre_block_all_tx_from_mempool_total',
      labels: { node },
      value: detail.reduce((a, e) => a + n(e, 'all_tx_from_mempool'), 0),
    },
    { name: 'fibre_exporter_events_processed_total', labels: { event_type: 'block_delivery' }, value: winners.length },
    {
      name: 'fibre_exporter_events_processed_total',
      labels: { event_type: 'block_connected' },
      value: connected.length,
    },
  ];
  if (rec.length) {
    out.push(
      ...histogram(
        'fibre_block_chunks_used',
        node,
        CHUNKS,
        rec.map((e) => n(e, 'chunks_used')),
      ),
    );
    const durations = rec.map((e) => n(e, 'duration_us')).filter((d) => d >= 0);
    out.push(
      ...histogram(
        'fibre_block_reconstruction_duration_seconds',
        node,
        DURATION,
        durations.map((d) => d / 1e6),
      ),
    );
  }
  if (detail.length) {
    const column = (k: string) => detail.map((e) => n(e, k));
    out.push(...histogram('fibre_block_missing_tx_count', node, MISSING_TX, column('missing_tx_count')));
    out.push(...histogram('fibre_block_missing_tx_bytes', node, MISSING_BYTES, column('missing_tx_bytes')));
    out.push(...histogram('fibre_block_mempool_tx_count', node, MEMPOOL_TX, column('mempool_tx_count')));
  }
  const connectDiv = connectUnit === 'us' ? 1e6 : 1e9;
  const times = connected
    .map((e) => n(e, 'connect_time'))
    .filter((t) => t > 0 && measurable(t))
    .map((t) => t / connectDiv);
  if (times.length) out.push(...histogram('bitcoin_block_connection_duration_seconds', node, DURATION, times));
  const txs = connected.map((e) => n(e, 'tx_count')).filter((t) => t > 0);
  if (txs.length) out.push(...histogram('bitcoin_block_tx_count', node, TXS, txs));
  if (connected.length) {
    const inputs = [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000];
    const sigops = [0, 100, 1000, 5000, 10000, 20000, 40000, 80000];
    out.push(
      ...histogram(
        'bitcoin_block_inputs',
        node,
        inputs,
        connected.map((e) => n(e, 'inputs')),
      ),
    );
    out.push(
      ...histogram(
        'bitcoin_block_sigops',
        node,
        sigops,
        connected.map((e) => n(e, 'sigops')),
      ),
    );
  }
  const deliveries = new Map<string, ExpectedSample>();
  for (const e of winners) {
    const labels = {
      node,
      mechanism: mechanism(hexBytes(e.winner_hex).toString('latin1')),
      peer: peerLabel(hexBytes(e.peer_hex)),
    };
    const key = JSON.stringify(labels);
    const s = deliveries.get(key) ?? { name: 'fibre_block_deliveries_total', labels, value: 0 };
    s.value++;
    deliveries.set(key, s);
  }
  out.push(...deliveries.values());
  // udp:block_reconstructed's height is its 7th argument, read from the binary's stapsdt note.
  const lastRebuilt = rec.filter((e) => e.height >= 0).at(-1);
  if (lastRebuilt) out.push({ name: 'fibre_last_reconstructed_height', labels: { node }, value: lastRebuilt.height });
  const heights = [...winners, ...connected].filter((e) => e.height >= 0);
  // Both probes set the height; within a block, block_connected fires last.
  const last = connected.at(-1) ?? winners.at(-1);
  if (heights.length && last) out.push({ name: 'fibre_last_block_height', labels: { node }, value: last.height });
  return [...out, ...packSamples(events, node, packs, release)];
}

/** One value against its expectation: counts exactly, float sums within a relative 1e-6. */
export function assertExpected(got: number | undefined, want: ExpectedSample, where = ''): void {
  const what = `${want.name} ${JSON.stringify(want.labels)}${where}`;
  assert.notEqual(got, undefined, `missing ${what}`);
  if (want.approx) {
    assert.ok(
      Math.abs((got as number) - want.value) <= 1e-6 * Math.max(1, want.value),
      `${what}: ${got} != ${want.value}`,
    );
  } else assert.equal(got, want.value, what);
}

/** Every expected sample in a /metrics text. */
export function assertSamples(text: string, expected: ExpectedSample[], where = ''): void {
  const e = parseExposition(text);
  for (const want of expected) assertExpected(sample(e, want.name, want.labels), want, where);
}
