/**
 * The "What watching costs" row every dashboard ends with: CPU and resident memory of the agent's
 * processes (supervisor, metrics process, bpftrace), and, with --probe-stats, the time bitcoind's
 * threads spend in the probes. The FIBRE dashboard shows every probe; a pack's dashboard its own.
 */
import { type Pack, TRACEPOINTS } from '../../probes/catalogue.js';
import type { Row } from './model.js';
import { series } from './panels.js';
import { agentRate, M, withNodeName } from './promql.js';

/** The probes of a pack as a `probe` matcher; every probe without one. */
function probeMatcher(pack?: Pack): string {
  if (!pack) return '';
  const probes = TRACEPOINTS.filter((t) => t.pack === pack).map((t) => t.probe);
  return `{probe=~"${probes.join('|')}"}`;
}

export function costRow(pack?: Pack): Row {
  const probes = probeMatcher(pack);
  const runTime = agentRate('node_name, probe', `${M.probeRunTime}${probes}`);
  const runs = agentRate('node_name, probe', `${M.probeRuns}${probes}`);
  const statsNote = 'Empty unless the agent runs with --probe-stats.';
  return {
    title: 'What watching costs',
    panels: () => [
      series(
        'Agent CPU by process',
        "CPU the agent's own processes use, as a share of one core: the root supervisor, the metrics process (decoding, recording, serving) and bpftrace (reading the maps; its compile at each attach shows as a spike).",
        [{ expr: agentRate('node_name, process', M.processCpu), legend: '{{node_name}} {{process}}' }],
        { unit: 'percentunit', width: 12, min: 0, stacked: true },
      ),
      series(
        'Agent resident memory by process',
        "Resident memory of the agent's own processes (bpftrace: 0 while detached).",
        [
          {
            expr: `sum by (node_name, process) (${withNodeName(M.processResident)})`,
            legend: '{{node_name}} {{process}}',
          },
        ],
        { unit: 'bytes', width: 12, min: 0, stacked: true },
      ),
      series(
        'Probe time inside bitcoind',
        `Seconds per second bitcoind's threads spend running each probe's BPF programs, as the kernel measures them: what tracing costs the node itself. ${statsNote}`,
        [{ expr: runTime, legend: '{{node_name}} {{probe}}' }],
        { unit: 's', width: 8, min: 0, stacked: true, axisLabel: 'seconds/s' },
      ),
      series(
        'Probe runs',
        `Runs of each probe per second, as the kernel counts them (every site of the probe, every program on it). ${statsNote}`,
        [{ expr: runs, legend: '{{node_name}} {{probe}}' }],
        { unit: 'ops', width: 8, min: 0, axisLabel: 'runs/s' },
      ),
      series(
        'Probe time per run',
        `Mean time of one run of each probe inside bitcoind. ${statsNote}`,
        [{ expr: `${runTime} / ${runs}`, legend: '{{node_name}} {{probe}}' }],
        { unit: 's', width: 8, min: 0 },
      ),
    ],
  };
}
