/**
 * What /metrics must say for the race times and the Bitcoin Core packs after the simulator fired a
 * list of events, computed from the simulator's own record of them.
 */

import type { Pack } from '../../probes/catalogue.js';
import { CONN_TYPES, MSG_TYPES, REJECTION_REASONS, REMOVAL_REASONS } from '../../probes/known-values.js';
import { inRange, type Release } from '../../probes/releases.js';
import type { ExpectedSample } from './expected.js';
import { hexBytes, type SimEvent } from './sim.js';

const MARGIN = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const VSIZE = [150, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 400000];
const FEE_RATE = [0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];
const FLUSH = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const NETWORKS = ['unroutable', 'ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'internal'];
const MODES = ['none', 'if_needed', 'periodic', 'always'];
const WASTE = [-100000, -10000, -1000, -100, 0, 100, 1000, 10000, 100000, 1000000];
const SATS = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11];
const WALLET_FEE = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000];

/** What each release passes, as Bitcoin Core's source has it (the reference), not as the catalogue says. */
function releaseFacts(release: Release) {
  const from = (r: Release) => inRange(release, { from: r });
  return {
    // v31: private-broadcast connections, and FORCE_SYNC (4) beside FORCE_FLUSH (3, a wiping flush).
    connTypes: from('v31') ? [...CONN_TYPES, 'private-broadcast'] : [...CONN_TYPES],
    modes: from('v31') ? [...MODES, 'force_sync'] : MODES,
    // v27: CoinGrinder.
    algorithms: from('v27') ? ['bnb', 'knapsack', 'srd', 'manual', 'cg'] : ['bnb', 'knapsack', 'srd', 'manual'],
  };
}

/** What the agent takes as a measurement: neither negative nor 2^63 or more. */
export const measurable = (v: number) => v >= 0 && v < 2 ** 63;
const le = (b: number) => (Number.isInteger(b) ? `${b}.0` : String(b));
const text = (e: SimEvent, k: string) => hexBytes(e[k] as string).toString('latin1');
const n = (e: SimEvent, k: string) => Number(e[k]);
const known = (list: readonly string[], v: string) => (list.includes(v) ? v : 'other');

class Counts {
  private readonly m = new Map<string, ExpectedSample>();
  add(name: string, labels: Record<string, string>, by = 1): void {
    const key = JSON.stringify([name, labels]);
    const s = this.m.get(key) ?? { name, labels, value: 0 };
    s.value += by;
    this.m.set(key, s);
  }
  get samples(): ExpectedSample[] {
    return [...this.m.values()];
  }
}

/** Buckets by `fits(value, bound)`, so a ratio's bucket can be decided in integers. */
function histogram<T>(
  name: string,
  labels: Record<string, string>,
  bounds: readonly number[],
  values: readonly T[],
  fits: (v: T, bound: number) => boolean,
  sum: number,
): ExpectedSample[] {
  const out: ExpectedSample[] = bounds.map((b) => ({
    name: `${name}_bucket`,
    labels: { ...labels, le: le(b) },
    value: values.filter((v) => fits(v, b)).length,
  }));
  out.push({ name: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: values.length });
  out.push({ name: `${name}_count`, labels, value: values.length });
  out.push({ name: `${name}_sum`, labels, value: sum, approx: true });
  return out;
}

/** A histogram of plain values: each bucket holds the values at most its bound. */
export const plain = (name: string, labels: Record<string, string>, bounds: readonly number[], values: number[]) =>
  histogram(
    name,
    labels,
    bounds,
    values,
    (v, b) => v <= b,
    values.reduce((a, b) => a + b, 0),
  );

/** Values no real measurement can have, which the agent counts as value_out_of_range (once per rule broken). */
export function outOfRange(events: readonly SimEvent[]): number {
  let count = 0;
  for (const e of events) {
    if (e.probe === 'udp:block_reconstructed' && n(e, 'duration_us') < 0) count++;
    // An unsigned connect time (v25-v28) of 2^63 ns or more is refused like a negative one.
    if (e.probe === 'validation:block_connected' && !measurable(n(e, 'connect_time'))) count++;
    if (e.probe === 'utxocache:flush' && n(e, 'duration_us') < 0) count++;
    if (e.probe === 'mempool:added') {
      if (n(e, 'vsize') < 0) count++;
      // The fee rate: a vsize under 1, or else a negative fee.
      if (n(e, 'vsize') < 1 || n(e, 'fee') < 0) count++;
    }
    if (e.probe === 'coin_selection:selected_coins') {
      if (n(e, 'target') < 0) count++;
      if (n(e, 'selected') < 0) count++;
    }
    if (e.probe === 'coin_selection:normal_create_tx_internal' && n(e, 'success') && n(e, 'fee') < 0) count++;
  }
  return count;
}

/**
 * `packs`: what the agent was started with (undefined: the default selection); `release`: the release
 * the simulator was built as.
 */
export function packSamples(
  events: readonly SimEvent[],
  node: string,
  packs?: readonly Pack[],
  release: Release = 'v30',
): ExpectedSample[] {
  const of = (probe: string) => events.filter((e) => e.probe === probe);
  const on = (pack: Pack) => !packs || packs.includes(pack);
  const facts = releaseFacts(release);
  const counts = new Counts();
  const out: ExpectedSample[] = [];

  // Race times: the margin when both paths delivered, else which one did alone.
  const margins: Record<string, number[]> = { fibre_udp: [], bip152_cmpct: [] };
  for (const e of of('udp:block_race_time')) {
    const udp = n(e, 'udp_ns');
    const cmpct = n(e, 'cmpct_ns');
    if (udp >= 0 && cmpct >= 0) margins[udp <= cmpct ? 'fibre_udp' : 'bip152_cmpct']?.push(Math.abs(udp - cmpct) / 1e9);
    else if (udp >= 0) counts.add('fibre_block_race_uncontested_total', { node, mechanism: 'fibre_udp' });
    else if (cmpct >= 0) counts.add('fibre_block_race_uncontested_total', { node, mechanism: 'bip152_cmpct' });
  }
  for (const mechanism of ['fibre_udp', 'bip152_cmpct'])
    counts.add('fibre_block_race_uncontested_total', { node, mechanism }, 0);
  for (const [winner, values] of Object.entries(margins)) {
    if (values.length) out.push(...plain('fibre_block_race_margin_seconds', { node, winner }, MARGIN, values));
  }

  for (const [probe, messages, bytes] of [
    ['net:inbound_message', 'bitcoin_p2p_messages_received_total', 'bitcoin_p2p_message_received_bytes_total'],
    ['net:outbound_message', 'bitcoin_p2p_messages_sent_total', 'bitcoin_p2p_message_sent_bytes_total'],
  ] as const) {
    for (const e of of(probe)) {
      const labels = {
        node,
        msg_type: known(MSG_TYPES, text(e, 'msg_type_hex')),
        conn_type: known(facts.connTypes, text(e, 'conn_type_hex')),
      };
      counts.add(messages, labels);
      counts.add(bytes, labels, n(e, 'size'));
    }
  }
  const peers = new Map<string, number>();
  for (const e of events) {
    const conn = text(e, 'conn_type_hex');
    const direction = conn === 'inbound' ? 'inbound' : 'outbound';
    const network = NETWORKS[n(e, 'network')] ?? 'other';
    if (e.probe === 'net:inbound_connection' || e.probe === 'net:outbound_connection') {
      counts.add('bitcoin_p2p_connections_opened_total', {
        node,
        direction,
        conn_type: known(facts.connTypes, conn),
        network,
      });
      peers.set(direction, n(e, 'count_now'));
    } else if (e.probe === 'net:closed_connection') {
      counts.add('bitcoin_p2p_connections_closed_total', { node, conn_type: known(facts.connTypes, conn), network });
      const now = peers.get(direction);
      if (now !== undefined && now > 0) peers.set(direction, now - 1);
    } else if (e.probe === 'net:evicted_inbound_connection') {
      counts.add('bitcoin_p2p_connections_evicted_total', { node, network });
    }
  }
  for (const [direction, value] of peers) out.push({ name: 'bitcoin_p2p_peers', labels: { node, direction }, value });
  if (on('net')) counts.add('bitcoin_p2p_misbehaving_total', { node }, of('net:misbehaving_connection').length);

  // The vsize histogram refuses a negative vsize; the fee rate a vsize under 1 or a negative fee.
  const sized = of('mempool:added').filter((e) => n(e, 'vsize') >= 0);
  const added = sized.filter((e) => n(e, 'vsize') >= 1);
  if (on('mempool')) {
    counts.add('bitcoin_mempool_added_total', { node }, of('mempool:added').length);
    counts.add('bitcoin_mempool_replaced_total', { node }, of('mempool:replaced').length);
    counts.add(
      'bitcoin_mempool_added_fees_satoshis_total',
      { node },
      of('mempool:added')
        .filter((e) => n(e, 'fee') >= 0)
        .reduce((a, e) => a + n(e, 'fee'), 0),
    );
  }
  if (sized.length) {
    out.push(
      ...plain(
        'bitcoin_mempool_added_vsize_bytes',
        { node },
        VSIZE,
        sized.map((e) => n(e, 'vsize')),
      ),
    );
  }
  if (added.length) {
    const paid = added
      .filter((e) => n(e, 'fee') >= 0)
      .map((e) => [BigInt(e.fee as number), BigInt(e.vsize as number)] as const);
    // Exactly: fee / vsize <= bound is fee * 10^6 <= bound * 10^6 * vsize; the sum is in whole millionths.
    const micro = paid.reduce((a, [fee, vsize]) => a + (fee * 1_000_000n) / vsize, 0n);
    out.push(
      ...histogram(
        'bitcoin_mempool_added_fee_rate_sat_per_vbyte',
        { node },
        FEE_RATE,
        paid,
        ([fee, vsize], b) => fee * 1_000_000n <= BigInt(Math.round(b * 1e6)) * vsize,
        Number(micro) / 1e6,
      ),
    );
  }
  for (const e of of('mempool:removed'))
    counts.add('bitcoin_mempool_removed_total', { node, reason: known(REMOVAL_REASONS, text(e, 'reason_hex')) });
  for (const e of of('mempool:rejected'))
    counts.add('bitcoin_mempool_rejected_total', { node, reason: known(REJECTION_REASONS, text(e, 'reason_hex')) });

  const flushes = of('utxocache:flush');
  for (const e of flushes)
    counts.add('bitcoin_utxocache_flushes_total', { node, mode: facts.modes[n(e, 'mode')] ?? 'other' });
  if (on('utxocache'))
    counts.add(
      'bitcoin_utxocache_flushed_coins_total',
      { node },
      flushes.reduce((a, e) => a + n(e, 'coins'), 0),
    );
  const durations = flushes.map((e) => n(e, 'duration_us')).filter((d) => d >= 0);
  if (durations.length)
    out.push(
      ...plain(
        'bitcoin_utxocache_flush_duration_seconds',
        { node },
        FLUSH,
        durations.map((d) => d / 1e6),
      ),
    );
  const lastFlush = flushes.at(-1);
  if (lastFlush)
    out.push({ name: 'bitcoin_utxocache_memory_bytes', labels: { node }, value: n(lastFlush, 'memory_bytes') });

  // A wallet's transactions: selections by algorithm, what each selection covered, chose and wasted,
  // the transactions built (ok or failed, with change or not) and their fees, and the
  // avoid-partial-spends attempts and how often their result was kept.
  const selections = of('coin_selection:selected_coins');
  for (const e of selections)
    counts.add('bitcoin_wallet_coin_selections_total', {
      node,
      algorithm: known(facts.algorithms, text(e, 'algorithm_hex')),
    });
  const amounts = (key: string, refuseNegative: boolean) =>
    selections.map((e) => n(e, key)).filter((v) => !refuseNegative || v >= 0);
  if (selections.length) {
    out.push(...plain('bitcoin_wallet_coin_selection_waste_satoshis', { node }, WASTE, amounts('waste', false)));
    for (const [metric, key] of [
      ['bitcoin_wallet_coin_selection_target_satoshis', 'target'],
      ['bitcoin_wallet_coin_selection_selected_satoshis', 'selected'],
    ] as const) {
      const values = amounts(key, true);
      if (values.length) out.push(...plain(metric, { node }, SATS, values));
    }
  }
  if (on('coin_selection')) {
    for (const [result, change] of [
      ['ok', 'yes'],
      ['ok', 'no'],
      ['failed', 'no'],
    ] as const)
      counts.add('bitcoin_wallet_transactions_created_total', { node, result, change }, 0);
    counts.add('bitcoin_wallet_aps_attempts_total', { node }, of('coin_selection:attempting_aps_create_tx').length);
    counts.add(
      'bitcoin_wallet_aps_used_total',
      { node },
      of('coin_selection:aps_create_tx_internal').filter((e) => n(e, 'use_aps')).length,
    );
  }
  const built = of('coin_selection:normal_create_tx_internal');
  for (const e of built) {
    const ok = n(e, 'success') !== 0;
    counts.add('bitcoin_wallet_transactions_created_total', {
      node,
      result: ok ? 'ok' : 'failed',
      change: ok && n(e, 'change_pos') >= 0 ? 'yes' : 'no',
    });
  }
  const fees = built.filter((e) => n(e, 'success') !== 0 && n(e, 'fee') >= 0).map((e) => n(e, 'fee'));
  if (fees.length) out.push(...plain('bitcoin_wallet_transaction_fee_satoshis', { node }, WALLET_FEE, fees));

  // Per event type, for the probes the default selection attaches (utxocache:add/spent/uncache are opt-in).
  const types: Record<string, string> = {
    'udp:block_race_time': 'block_race_time',
    'net:inbound_message': 'inbound_message',
    'net:outbound_message': 'outbound_message',
    'net:inbound_connection': 'inbound_connection',
    'net:outbound_connection': 'outbound_connection',
    'net:evicted_inbound_connection': 'evicted_inbound_connection',
    'net:closed_connection': 'closed_connection',
    'net:misbehaving_connection': 'misbehaving_connection',
    'mempool:added': 'mempool_added',
    'mempool:removed': 'mempool_removed',
    'mempool:replaced': 'mempool_replaced',
    'mempool:rejected': 'mempool_rejected',
    'utxocache:flush': 'utxocache_flush',
    'coin_selection:selected_coins': 'coin_selection',
    'coin_selection:normal_create_tx_internal': 'wallet_create_tx',
    'coin_selection:attempting_aps_create_tx': 'wallet_aps_attempt',
    'coin_selection:aps_create_tx_internal': 'wallet_aps_create_tx',
  };
  for (const [probe, eventType] of Object.entries(types)) {
    if (on(probe.startsWith('udp:') ? 'fibre' : (probe.split(':')[0] as Pack)))
      counts.add('fibre_exporter_events_processed_total', { event_type: eventType }, of(probe).length);
  }
  return [...out, ...counts.samples];
}
