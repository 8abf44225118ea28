/**
 * CPU time and resident memory of one process, from /proc/PID/stat alone: one small read per process
 * and sample through a descriptor kept open (utime and stime in clock ticks, rss in pages), so
 * watching the agent's own processes costs next to nothing.
 */
import { execFileSync } from 'node:child_process';
import { ProcFile } from './proc-file.js';

export interface ProcessStats {
  cpuSeconds: number;
  residentBytes: number;
}

/** What `getconf` says, or the Linux value on x86_64 and arm64 when it cannot be asked. */
function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let units: { ticks: number; page: number } | undefined;

/** Clock ticks per second (USER_HZ) and the page size, asked once. */
function procUnits(): { ticks: number; page: number } {
  units ??= { ticks: getconf('CLK_TCK', 100), page: getconf('PAGESIZE', 4096) };
  return units;
}

/** The fields of a stat line after the command name, which may itself hold spaces and parentheses. */
export function parseStat(line: string, ticksPerSecond: number, pageBytes: number): ProcessStats | undefined {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // proc(5) numbers the fields from 1, the state (field 3) being the first after the name.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const rss = Number(fields[24 - 3]);
  if (![utime, stime, rss].every(Number.isFinite)) return undefined;
  return { cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss * pageBytes };
}

/** One process's /proc/PID/stat, kept open while the process lives. */
export class ProcessStatsReader {
  private readonly file: ProcFile;

  constructor(readonly pid: number) {
    this.file = new ProcFile(`/proc/${pid}/stat`);
  }

  /** The process's CPU seconds since it started and its resident memory; undefined once it is gone. */
  read(): ProcessStats | undefined {
    const { ticks, page } = procUnits();
    const text = this.file.read();
    return text === undefined ? undefined : parseStat(text, ticks, page);
  }

  close(): void {
    this.file.close();
  }
}
