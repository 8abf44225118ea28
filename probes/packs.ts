/**
 * The packs an operator names with --packs: the tracepoint packs of the catalogue, and `rpc`, which
 * reads bitcoind's own RPC and has no tracepoint, so it never reaches the bpftrace program. Code that
 * builds the program takes tracepointPacks(); code that polls RPC asks rpcSelected().
 */
import { PACKS, type Pack } from './catalogue.js';

export const RPC_PACK = 'rpc';
export const AGENT_PACKS = [...PACKS, RPC_PACK] as const;
export type AgentPack = (typeof AGENT_PACKS)[number];

/** The tracepoint packs of a selection; undefined (the default) stays undefined: every pack. */
export function tracepointPacks(packs: readonly AgentPack[] | undefined): Pack[] | undefined {
  return packs?.filter((p): p is Pack => p !== RPC_PACK);
}

/** The rpc pack runs: by default, or when named. */
export function rpcSelected(packs: readonly AgentPack[] | undefined): boolean {
  return packs === undefined || packs.includes(RPC_PACK);
}
