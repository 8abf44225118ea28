/**
 * CPU time and resident memory of one process, from /proc/PID/stat alone: one small read per process
 * and sample through a descriptor kept open (utime and stime in clock ticks, rss in pages), so
 * watching the agent's own processes costs next to nothing.
 */
import { readFileSync } from 'node:fs';
import { ProcFile } from './proc-file.js';

export interface ProcessStats {
  cpuSeconds: number;
  residentBytes: number;
}

/** The auxiliary vector's entries the kernel gave this process: AT_PAGESZ and AT_CLKTCK (elf.h). */
const AT_PAGESZ = 6n;
const AT_CLKTCK = 17n;

/**
 * Clock ticks per second (USER_HZ) and the page size, from this process's auxiliary vector, where the
 * kernel puts both (what sysconf reads; asking getconf meant two processes at every start); the Linux
 * values on x86_64 and arm64 when it cannot be read.
 */
export function readUnits(auxvPath = '/proc/self/auxv'): { ticks: number; page: number } {
  const found = { ticks: 100, page: 4096 };
  try {
    const auxv = readFileSync(auxvPath);
    for (let at = 0; at + 16 <= auxv.length; at += 16) {
      const type = auxv.readBigUInt64LE(at);
      const value = Number(auxv.readBigUInt64LE(at + 8));
      if (type === AT_PAGESZ && value > 0) found.page = value;
      if (type === AT_CLKTCK && value > 0) found.ticks = value;
      if (type === 0n) break;
    }
  } catch {
    // Kept: the defaults above.
  }
  return found;
}

let units: { ticks: number; page: number } | undefined;

/** Clock ticks per second (USER_HZ) and the page size, read once. */
function procUnits(): { ticks: number; page: number } {
  units ??= readUnits();
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
