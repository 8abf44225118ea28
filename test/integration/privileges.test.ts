/**
 * Least privilege, measured on the running processes: the network-facing metrics process has a
 * non-zero uid and no capabilities at all; bpftrace keeps only CAP_SYS_ADMIN and CAP_SYS_PTRACE; the
 * probes attach and the metrics arrive; bpftrace alone has a long timer slack. Below what bpftrace
 * needs, the agent says so and stops.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BPFTRACE_TIMER_SLACK_NS } from '../../agent/source/timer-slack.js';
import { selectedTracepoints } from '../../probes/catalogue.js';
import { AgentProc, CLI, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { allProcs, capBit, childrenOf, cmdline, procStatus } from '../helpers/procs.js';
import { buildSim, Sim } from '../helpers/sim.js';

const SYS_PTRACE = 19;
const SYS_ADMIN = 21;

ebpfTest(
  'the metrics process runs unprivileged, bpftrace with only its two capabilities, and metrics arrive',
  async () => {
    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-n', '40', '-w', '60', '-s', '8', '-l']);
    const agent = await AgentProc.start(['-b', bin]);
    try {
      await agent.waitFor(/Waiting for events/);
      const agentPid = agent.child.pid as number;
      const kids = childrenOf(agentPid);
      const worker = kids.find((k) => cmdline(k.pid).includes('privsep/worker.js'));
      const bpftrace = kids.find((k) => k.name === 'bpftrace');
      assert.ok(worker, `a metrics process among ${kids.map((k) => `${k.pid}:${k.name}`)}`);
      assert.ok(bpftrace, 'a bpftrace process');
      const w = procStatus(worker.pid);
      assert.ok(w && w.uid !== 0, `metrics process uid ${w?.uid}`);
      assert.equal(w?.capEff, 0n, 'no effective capabilities');
      assert.equal(w?.capPrm, 0n, 'no permitted capabilities');
      assert.equal(w?.capBnd, 0n, 'an empty bounding set');
      assert.equal(w?.noNewPrivs, 1, 'no_new_privs: no setuid binary can give them back');
      const b = procStatus(bpftrace.pid);
      const only = capBit(SYS_ADMIN) | capBit(SYS_PTRACE);
      assert.equal(b?.uid, 0, 'bpftrace runs as root, which 0.17 insists on');
      assert.equal(b?.capBnd, only, `bpftrace bounding set ${b?.capBnd.toString(16)}`);
      assert.equal(b?.capEff, only, `bpftrace effective set ${b?.capEff.toString(16)}`);
      // Started through setpriv and stdbuf, each exec'ing the next: the stdout buffer set before its main.
      assert.match(
        readFileSync(`/proc/${bpftrace.pid}/maps`, 'latin1'),
        /libstdbuf/,
        'bpftrace has stdbuf set its buffer',
      );
      // bpftrace's idle timeout may fire late (agent/source/timer-slack.ts); the agent's own processes
      // keep the slack they were started with, this test's.
      const slack = (pid: number) => Number(readFileSync(`/proc/${pid}/timerslack_ns`, 'utf8'));
      assert.equal(slack(bpftrace.pid), BPFTRACE_TIMER_SLACK_NS, 'bpftrace has the timer slack');
      assert.equal(slack(agentPid), slack(process.pid), 'the supervisor is back to its own slack');
      assert.equal(slack(worker.pid), slack(process.pid), 'the metrics process has the default slack');
      assert.match(agent.output, /Metrics side runs as [\w-]+ \(uid \d+\), pid \d+/);

      await sim.waitDone();
      await eventually(async () => {
        const e = parseExposition(await agent.metrics());
        assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'localhost' }), 40);
        assert.equal(sample(e, 'fibre_exporter_probes_attached'), selectedTracepoints(undefined).length);
      });
    } finally {
      await agent.stop();
      await sim.stop();
    }
  },
);

ebpfTest('with CAP_SYS_ADMIN outside the bounding set, the agent names what is missing and exits 1', async () => {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '1', '-l']);
  try {
    const child = spawn(
      'setpriv',
      [
        '--bounding-set=-all,+sys_ptrace,+setuid,+setgid,+setpcap,+kill,+dac_read_search',
        process.execPath,
        CLI,
        '-b',
        bin,
        '--port',
        '1',
        '--health-port',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(
      out,
      /\[ERROR\] fibre-agent: bpftrace needs CAP_SYS_ADMIN, CAP_SYS_PTRACE to attach USDT probes, and this process lacks CAP_SYS_ADMIN/,
    );
    assert.deepEqual(
      Object.entries(await sim.semaphores()).filter(([, v]) => v !== 0),
      [],
      'nothing attached',
    );
  } finally {
    await sim.stop();
  }
});

ebpfTest("under exactly the systemd unit's bounding set and no_new_privs, the agent attaches and serves", async () => {
  const unit = readFileSync(new URL('../../../systemd/fibre-agent.service', import.meta.url), 'utf8');
  const caps = (/^CapabilityBoundingSet=(.*)$/m.exec(unit)?.[1] ?? '').split(/\s+/).filter(Boolean);
  assert.ok(caps.length > 0);
  const bounding = ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-n', '25', '-w', '60', '-s', '13', '-l']);
  const agent = await AgentProc.start(['-b', bin], {}, ['setpriv', `--bounding-set=${bounding}`, '--no-new-privs']);
  try {
    await agent.waitFor(/Waiting for events/);
    await sim.waitDone();
    await eventually(async () => {
      const e = parseExposition(await agent.metrics());
      assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'localhost' }), 25);
    });
    const worker = allProcs().find((p) => cmdline(p.pid).includes('privsep/worker.js') && p.ppid === agentPid(agent));
    assert.ok(worker && worker.uid !== 0 && worker.capEff === 0n);
    await agent.stop();
    // The unit's CAP_SYS_NICE lets the supervisor lower bpftrace's timer slack for its stop.
    assert.doesNotMatch(agent.output, /timer slack/);
  } finally {
    await agent.stop();
    await sim.stop();
  }
});

/** The agent's node process: under setpriv, setpriv execs it, so the pid is the same. */
function agentPid(agent: AgentProc): number {
  return agent.child.pid as number;
}
