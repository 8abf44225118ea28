/**
 * Linux capabilities, read from /proc/self/status. bpftrace 0.17 insists on uid 0 and, on the kernels
 * measured here, attaches USDT probes with CAP_SYS_ADMIN and CAP_SYS_PTRACE and nothing else (without
 * SYS_ADMIN the uprobe cannot be created; without SYS_PTRACE it cannot enter the target's mount
 * namespace). Those two are all bpftrace keeps.
 */
import { readFileSync } from 'node:fs';

export const CAP = {
  DAC_READ_SEARCH: 2,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
} as const;
export type CapName = keyof typeof CAP;

/** What bpftrace needs, and so the bounding set it runs with. */
export const BPFTRACE_CAPS: readonly CapName[] = ['SYS_ADMIN', 'SYS_PTRACE'];
/** What the supervisor needs on top to start the unprivileged worker. */
export const PRIVSEP_CAPS: readonly CapName[] = ['SETUID', 'SETGID'];

export interface CapSets {
  effective: bigint;
  bounding: bigint;
}

export function parseCapSets(status: string): CapSets {
  const read = (field: string) => BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return { effective: read('CapEff'), bounding: read('CapBnd') };
}

export function ownCaps(): CapSets {
  return parseCapSets(readFileSync('/proc/self/status', 'utf8'));
}

export function missing(set: bigint, wanted: readonly CapName[]): CapName[] {
  return wanted.filter((c) => (set & (1n << BigInt(CAP[c]))) === 0n);
}

export function capList(names: readonly CapName[]): string {
  return names.map((n) => `CAP_${n}`).join(', ');
}

/** `setpriv` bounding-set argument keeping only these capabilities: -all,+sys_admin,... */
export function boundingArg(names: readonly CapName[]): string {
  return ['-all', ...names.map((n) => `+${n.toLowerCase()}`)].join(',');
}
