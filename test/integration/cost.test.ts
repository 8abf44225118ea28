/**
 * What watching costs, for real: with --probe-stats the kernel's run count of each probe equals what
 * the simulator fired (which also proves which program is which probe), the sysctl goes back to what
 * it was when the agent stops; the process metrics agree with /proc at each scrape, and where /proc
 * hides root's processes from the metrics process, within a read interval.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BPF_STATS_SYSCTL } from '../../agent/source/bpf-stats.js';
import { parseStat } from '../../agent/source/process-stats.js';
import { PACKS, selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, CLI, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { parseExposition, sample, samplesOf } from '../helpers/exposition.js';
import { buildSim, Sim } from '../helpers/sim.js';

const ALL_PACKS = [...PACKS];
const PROBES = selectedTracepoints(ALL_PACKS).map((t) => t.probe);

const sysctl = () => readFileSync(BPF_STATS_SYSCTL, 'utf8').trim();
const setSysctl = (v: string) => writeFileSync(BPF_STATS_SYSCTL, `${v}\n`);

/** What the simulator fired, per probe. */
function firedPerProbe(sim: Sim): Map<string, number> {
  const fired = new Map<string, number>();
  for (const e of sim.events) fired.set(e.probe, (fired.get(e.probe) ?? 0) + 1);
  return fired;
}

ebpfTest('--probe-stats: runs per probe equal what the simulator fired; the sysctl is restored at stop', async () => {
  const before = sysctl();
  setSysctl('0');
  const bin = buildSim('full');
  // Every probe attached before the first fires (-k, -R), so every run is counted.
  const semaphores = PROBES.filter((p) => p !== 'mempool:replaced').length;
  const sim = await Sim.start(bin, [
    '-n',
    '150',
    '-r',
    '50',
    '-w',
    '60',
    '-k',
    String(semaphores),
    '-R',
    '-s',
    '5',
    '-l',
  ]);
  const agent = await AgentProc.start(['-b', bin, '--packs', ALL_PACKS.join(','), '--probe-stats']);
  let again: AgentProc | undefined;
  try {
    await agent.waitFor(/Waiting for events/);
    assert.equal(sysctl(), '1', 'the agent turned the statistics on');
    await sim.waitDone();
    const fired = firedPerProbe(sim);
    assert.ok(fired.size >= 20, `the run covers the probes (${[...fired.keys()].join(', ')})`);
    // Probes fired different numbers of times: a mapping that swapped two of them would show.
    assert.ok(new Set(fired.values()).size >= 8, `counts differ: ${JSON.stringify([...fired])}`);
    const text = await eventually(async () => {
      const e = parseExposition(await agent.metrics());
      for (const probe of PROBES) {
        assert.equal(sample(e, 'fibre_exporter_probe_runs_total', { probe }), fired.get(probe) ?? 0, probe);
      }
      return e;
    }, 15_000);
    for (const [probe, count] of fired) {
      const seconds = sample(text, 'fibre_exporter_probe_run_seconds_total', { probe }) ?? 0;
      assert.ok(seconds > 0 && seconds / count < 1e-3, `${probe}: ${seconds}s for ${count} runs`);
    }
    assert.doesNotMatch(agent.output, /per-probe run counts not reported/);
    assert.equal((await agent.stop()).code, 0);
    assert.equal(sysctl(), '0', 'the sysctl is back to what it was');

    // Found on: left on.
    setSysctl('1');
    again = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '--probe-stats']);
    await again.waitFor(/Waiting for events/);
    assert.equal((await again.stop()).code, 0);
    assert.equal(sysctl(), '1', 'a sysctl found on stays on');
  } finally {
    await agent.stop();
    await again?.stop();
    await sim.stop();
    setSysctl(before);
  }
});

/** The agent's processes: its own PID, the metrics process it logged, and its bpftrace child. */
function agentPids(agent: AgentProc): Record<string, number> {
  const supervisor = agent.child.pid as number;
  const metrics = Number(/Metrics side runs as .*, pid (\d+)/.exec(agent.output)?.[1]);
  const bpftrace = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .find((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return stat.includes('(bpftrace)') && Number(fields[1]) === supervisor;
      } catch {
        return false;
      }
    });
  assert.ok(metrics > 0 && bpftrace, `pids: ${metrics} ${bpftrace}`);
  return { supervisor, metrics, bpftrace: Number(bpftrace) };
}

/** CLK_TCK 100 and 4 KiB pages, as on the machines the tests run on (the agent reads its auxiliary vector). */
function proc(pid: number) {
  const stats = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'), 100, 4096);
  assert.ok(stats);
  return stats;
}

/** Three scrapes, each showing every process's CPU between /proc before it and /proc after it. */
async function agreesWithProc(agent: AgentProc): Promise<void> {
  const pids = agentPids(agent);
  // Until a sample has seen the attached bpftrace.
  await new Promise((r) => setTimeout(r, 2500));
  for (let round = 0; round < 3; round++) {
    const earlier = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, proc(pid)]));
    // A read comes every second: a sample the supervisor takes with it (hidepid) is newer than `earlier`.
    await new Promise((r) => setTimeout(r, 1300));
    const e = parseExposition(await agent.metrics());
    for (const [name, pid] of Object.entries(pids)) {
      const now = proc(pid);
      const cpu = sample(e, 'fibre_exporter_process_cpu_seconds_total', { process: name }) ?? -1;
      const was = earlier[name] as { cpuSeconds: number; residentBytes: number };
      // The agent adds increments of 1/100 s as floats: allow their rounding.
      assert.ok(
        cpu >= was.cpuSeconds - 1e-6 && cpu <= now.cpuSeconds + 1e-6,
        `${name} CPU ${cpu} outside [${was.cpuSeconds}, ${now.cpuSeconds}]`,
      );
      const rss = sample(e, 'fibre_exporter_process_resident_memory_bytes', { process: name }) ?? -1;
      const low = Math.min(was.residentBytes, now.residentBytes);
      const high = Math.max(was.residentBytes, now.residentBytes);
      assert.ok(rss >= low * 0.9 && rss <= high * 1.1, `${name} resident ${rss} outside [${low}, ${high}] ±10%`);
    }
  }
}

ebpfTest('the process metrics agree with /proc at each scrape', async () => {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '0', '-r', '20', '-w', '60', '-s', '3']);
  const agent = await AgentProc.start(['-b', bin]);
  try {
    await agent.waitFor(/Waiting for events/);
    await agreesWithProc(agent);
    assert.doesNotMatch(agent.output, /proc hides/);
    // Without --probe-stats, no probe series.
    const e = parseExposition(await agent.metrics());
    assert.deepEqual(samplesOf(e, 'fibre_exporter_probe_runs_total'), []);
  } finally {
    await agent.stop();
    await sim.stop();
  }
});

ebpfTest('where /proc hides the root processes (hidepid), the supervisor samples itself and bpftrace', async () => {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '0', '-r', '20', '-w', '60', '-s', '3']);
  // The agent in a mount namespace of its own, with a /proc that shows each user only its processes.
  const hidden = [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t proc -o hidepid=invisible proc /proc && exec "$0" "$@"',
    process.execPath,
    CLI,
  ];
  const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid)], {}, [], hidden);
  try {
    await agent.waitFor(/Waiting for events/);
    await agent.waitFor(/proc hides supervisor and bpftrace from the metrics process/);
    await agreesWithProc(agent);
  } finally {
    await agent.stop();
    await sim.stop();
  }
});
