/** Reading other processes' identity and capabilities from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStatus {
  pid: number;
  name: string;
  ppid: number;
  uid: number;
  capEff: bigint;
  capPrm: bigint;
  capBnd: bigint;
  noNewPrivs: number;
}

export function procStatus(pid: number): ProcStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '';
  return {
    pid,
    name: field('Name'),
    ppid: Number(field('PPid')),
    uid: Number(field('Uid')),
    capEff: BigInt(`0x${field('CapEff') || '0'}`),
    capPrm: BigInt(`0x${field('CapPrm') || '0'}`),
    capBnd: BigInt(`0x${field('CapBnd') || '0'}`),
    noNewPrivs: Number(field('NoNewPrivs') || '0'),
  };
}

export function allProcs(): ProcStatus[] {
  return readdirSync('/proc')
    .filter((n) => /^[0-9]+$/.test(n))
    .map((n) => procStatus(Number(n)))
    .filter((p): p is ProcStatus => p !== undefined);
}

/** Children (direct) of a process. */
export function childrenOf(pid: number): ProcStatus[] {
  return allProcs().filter((p) => p.ppid === pid);
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export const capBit = (n: number) => 1n << BigInt(n);
