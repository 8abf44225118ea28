/**
 * What the log says of an attach: one line for what was attached and what this binary does not have,
 * and a warning only when the operator named a pack (--packs) that the binary lacks. A binary without
 * some packs is normal (Bitcoin Core has no udp:* probes, a build without the wallet no
 * coin_selection:*, an older release fewer probes): said once as information, never as a failure.
 */
import { PACKS, type Pack, selectedTracepoints } from '../../probes/catalogue.js';

export interface AttachReport {
  /** The INFO line: the probes attached, their packs, and what of the selection this binary lacks. */
  summary: string;
  /** One WARNING for each pack named with --packs that this binary has no probe of. */
  warnings: string[];
}

/**
 * `has`: whether the binary has a probe (its stapsdt notes); `attached`: the probes attached. A probe
 * the binary has but that was refused is neither attached nor lacking: its refusal is said apart.
 */
export function attachReport(
  binary: string,
  packs: readonly Pack[] | undefined,
  has: (probe: string) => boolean,
  attached: readonly string[],
): AttachReport {
  const selected = selectedTracepoints(packs);
  const on = new Set(attached);
  const attachedPacks: Pack[] = [];
  const lackedPacks: Pack[] = [];
  const lackedProbes: string[] = [];
  for (const pack of PACKS) {
    const probes = selected.filter((t) => t.pack === pack).map((t) => t.probe);
    if (probes.length === 0) continue;
    const lacked = probes.filter((p) => !has(p));
    if (lacked.length === probes.length) lackedPacks.push(pack);
    else lackedProbes.push(...lacked);
    if (probes.some((p) => on.has(p))) attachedPacks.push(pack);
  }
  // A pack is named by its name when the binary has none of its probes, and a probe by its own name
  // when the binary has others of its pack (a release that predates it).
  const lacking = [...lackedPacks, ...lackedProbes];
  const probes = attached.length === 1 ? 'probe' : 'probes';
  const summary = `Attached ${attached.length} ${probes} (packs: ${attachedPacks.join(', ')})${
    lacking.length ? `; not in this binary: ${lacking.join(', ')}` : ''
  }`;
  // Only a pack the operator asked for by name is worth a warning: its metrics stay at zero.
  const warnings = lackedPacks
    .filter((p) => packs?.includes(p))
    .map(
      (p) =>
        `--packs names ${p}, but ${binary} has none of its probes: its metrics stay at zero (leave it out of --packs, or point --bitcoind at a build that has it)`,
    );
  return { summary, warnings };
}
