/**
 * The exposition as a whole, diffed against test/fixtures/e2e-exposition.txt (a reviewed real run):
 * any change to a name, type, label, bucket or value shows up here. The simulator is seeded, so the
 * same run gives the same numbers; only the start time and the binary's path vary and are masked.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { PACKS, selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';

const FIXTURE = new URL('../../../test/fixtures/e2e-exposition.txt', import.meta.url).pathname;

/**
 * bpftrace reads its per-CPU buffers in turn, so events from a process that moved between CPUs can
 * arrive in another order; float sums then differ in the last bits. Counts do not.
 */
function roundSums(text: string): string {
  return text.replace(
    /^(\S+_sum\{[^}]*\}) (\S+)$/gm,
    (_, series: string, v: string) => `${series} ${Number(v).toPrecision(12)}`,
  );
}

/**
 * Series within a family in a fixed order: the kernel's maps list their entries in hash order, so
 * a labelled family's series come in an order that means nothing.
 */
function sortSeries(text: string): string {
  const out: string[] = [];
  let series: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') {
      out.push(...series.sort(), line);
      series = [];
    } else series.push(line);
  }
  out.push(...series.sort());
  return out.join('\n');
}

export function normalise(text: string, binary: string): string {
  return (
    roundSums(text)
      .replaceAll(binary, '/usr/local/bin/bitcoind')
      .replace(/^(fibre_exporter_start_time_seconds) .*$/m, '$1 START_TIME')
      // What the agent's processes and the probes cost varies from run to run; the probes' run counts do not.
      .replace(/^(fibre_exporter_process_\w+\{[^}]*\}) .*$/gm, '$1 MEASURED')
      .replace(/^(fibre_exporter_probe_run_seconds_total\{[^}]*\}) .*$/gm, '$1 MEASURED')
      .replace(/(version=")[^"]+"/, '$1VERSION"')
  );
}

ebpfTest('/metrics equals the reviewed exposition, and promtool accepts it', async () => {
  const bin = buildSim('full');
  // Every pack, the opt-in probes too, so every family of the contract shows; the simulator fires
  // once all of them are enabled (mempool:replaced is not among those -k counts), so the run is the
  // same every time. 15 blocks a second: the journal records every one (its lines are limited to 20
  // blocks a second), so fibre_slow_blocks_total is exact too.
  const probes = selectedTracepoints([...PACKS]).filter((t) => t.probe !== 'mempool:replaced').length;
  const sim = await Sim.start(bin, ['-n', '200', '-r', '15', '-w', '60', '-k', String(probes), '-s', '42', '-l']);
  const agent = await AgentProc.start(['-b', bin, '--packs', PACKS.join(','), '--probe-stats']);
  try {
    await sim.waitDone();
    await eventually(async () => {
      const t = await agent.metrics();
      assert.equal(sample(parseExposition(t), 'bitcoin_blocks_connected_total', { node: 'localhost' }), 200);
    });
    // A block's journal record is written a read interval and a grace after the block: the count of
    // slow blocks is read once the journal holds all 200 (read any sooner, a busy machine's last
    // records are not yet in it, and it comes out a few short).
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${agent.port}/blocks?limit=1000`);
      assert.equal(((await res.json()) as unknown[]).length, 200);
    });
    // The maps are printed one after another: one more read interval and every one has arrived.
    await new Promise((r) => setTimeout(r, 1500));
    const text = await agent.metrics();
    const got = normalise(text, bin);
    if (process.env.UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, got);
    assert.equal(
      sortSeries(got),
      sortSeries(readFileSync(FIXTURE, 'utf8')),
      'exposition differs from test/fixtures/e2e-exposition.txt',
    );

    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error && process.env.CI !== 'true') return;
    assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
  } finally {
    await agent.stop();
    await sim.stop();
  }
});
