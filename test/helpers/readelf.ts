/** The stapsdt notes as binutils' `readelf -n` prints them: an independent reading to compare ours with. */
import { execFileSync } from 'node:child_process';

export interface ReadelfSite {
  probe: string;
  pc: bigint;
  semaphore: bigint;
  args: string[];
}

export function readelfNotes(binary: string): ReadelfSite[] {
  const text = execFileSync('readelf', ['-n', '--wide', binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sites: ReadelfSite[] = [];
  // Each probe is four lines: Provider, Name, Location/Base/Semaphore, Arguments (empty for none).
  const re =
    /Provider: (\S+)\n\s*Name: (\S+)\n\s*Location: (0x[0-9a-f]+), Base: 0x[0-9a-f]+, Semaphore: (0x[0-9a-f]+)\n\s*Arguments:([^\n]*)/g;
  for (const m of text.matchAll(re)) {
    sites.push({
      probe: `${m[1]}:${m[2]}`,
      pc: BigInt(m[3] as string),
      semaphore: BigInt(m[4] as string),
      args: (m[5] as string).trim().split(/\s+/).filter(Boolean),
    });
  }
  return sites;
}
