/**
 * Each probe's runs and run time inside bitcoind, as the kernel counts them for every BPF program
 * (run_cnt, run_time_ns in /proc/<bpftrace>/fdinfo/<fd> of each program, while
 * kernel.bpf_stats_enabled is 1), summed per probe.
 *
 * Which program is which probe: fdinfo gives a program's type, tag and id, not its name. The name
 * needs the BPF_OBJ_GET_INFO_BY_FD system call (a native addon, or bpftool, which Debian does not
 * install with bpftrace); /proc/kallsyms lists JIT-ed programs by tag and name only where
 * net.core.bpf_jit_kallsyms allows it, and a tag is a hash of the instructions with the map
 * references left out, so two probes that only count into different maps share one; a perf event's
 * fdinfo says nothing of its uprobe; `bpftrace -v` prints program ids on stdout, among the map
 * reads, without the probe they belong to. What is left, and needs nothing but /proc, is the order:
 * bpftrace 0.17 makes one program per site of a USDT probe and loads them one by one as it attaches,
 * walking its probe list backwards (it fires uprobes in declaration order that way), and ids grow
 * with each load. So the uprobe programs of our bpftrace, by id, are the program's usdt blocks
 * expanded by their sites, last block first. Measured on the simulator with probes fired different
 * numbers of times each (test/integration/cost.test.ts checks every probe's count against what
 * the simulator fired). If a bpftrace changes that order the test fails; if the number of programs
 * does not match the layout, nothing is reported rather than something wrong.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { ProcFile } from './proc-file.js';

/** BPF_PROG_TYPE_KPROBE: uprobes (and USDT probes) run programs of this type; the map-read timer's is another. */
const UPROBE_PROGRAM_TYPE = 2;

/** The probe a program runs for; `counts`: it is of the probe's first block, so its runs are the probe's. */
export interface ProgramSlot {
  probe: string;
  counts: boolean;
}

/**
 * The probe of each uprobe program bpftrace loads for `program`, in load order: each `usdt:` block
 * once per site of its probe in the binary, the last block first. A probe may have two blocks (a
 * line printed beside the counts): both run at each hit, so only the first one's runs count
 * the hits, while the time of both is the probe's.
 */
export function loadOrder(program: string, sitesOf: (probe: string) => number): ProgramSlot[] {
  const slots: ProgramSlot[] = [];
  const seen = new Set<string>();
  for (const line of program.split('\n')) {
    const m = /^usdt:.*:([^:\s]+):([^:\s]+)$/.exec(line.trim());
    if (!m) continue;
    const probe = `${m[1]}:${m[2]}`;
    const counts = !seen.has(probe);
    seen.add(probe);
    for (let i = 0; i < sitesOf(probe); i++) slots.push({ probe, counts });
  }
  return slots.reverse();
}

/** The uprobe programs of a bpftrace are not those its program makes: the probes cannot be told apart. */
export class LayoutMismatch extends Error {}

export interface ProbeRuns {
  runs: number;
  runNs: number;
}

interface Program {
  id: number;
  runs: number;
  runNs: number;
}

/** The fields of one program's fdinfo; undefined for anything but a uprobe program. */
export function parseProgInfo(text: string): Program | undefined {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  if (field('prog_type') !== UPROBE_PROGRAM_TYPE) return undefined;
  const id = field('prog_id');
  if (id === undefined) return undefined;
  return { id, runs: field('run_cnt') ?? 0, runNs: field('run_time_ns') ?? 0 };
}

/** Reads the totals of one bpftrace run: its program descriptors are found once, then only their fdinfo is read. */
export class ProbeStatsReader {
  private files?: ProcFile[];

  constructor(
    readonly pid: number,
    private readonly layout: readonly ProgramSlot[],
  ) {}

  private programFiles(): ProcFile[] {
    this.files ??= readdirSync(`/proc/${this.pid}/fd`)
      .filter((fd) => {
        try {
          return readlinkSync(`/proc/${this.pid}/fd/${fd}`) === 'anon_inode:bpf-prog';
        } catch {
          return false;
        }
      })
      .map((fd) => new ProcFile(`/proc/${this.pid}/fdinfo/${fd}`));
    return this.files;
  }

  close(): void {
    for (const f of this.files ?? []) f.close();
  }

  /**
   * Runs and run time per probe since this bpftrace loaded its programs. Throws LayoutMismatch when
   * they do not match the layout, and the file system's error once bpftrace is gone.
   */
  read(): Map<string, ProbeRuns> {
    const programs: Program[] = [];
    for (const file of this.programFiles()) {
      const text = file.read();
      if (text === undefined) throw new Error(`bpftrace (pid ${this.pid}) is gone`);
      const p = parseProgInfo(text);
      if (p) programs.push(p);
    }
    if (programs.length !== this.layout.length) {
      throw new LayoutMismatch(
        `bpftrace (pid ${this.pid}) has ${programs.length} uprobe programs where its program makes ${this.layout.length}`,
      );
    }
    programs.sort((a, b) => a.id - b.id);
    const totals = new Map<string, ProbeRuns>();
    programs.forEach((p, i) => {
      const { probe, counts } = this.layout[i] as ProgramSlot;
      const t = totals.get(probe) ?? { runs: 0, runNs: 0 };
      if (counts) t.runs += p.runs;
      t.runNs += p.runNs;
      totals.set(probe, t);
    });
    return totals;
  }
}
