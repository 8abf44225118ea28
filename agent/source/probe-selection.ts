/**
 * Which probes the program attaches: those of the selected packs the binary has, each with its
 * arguments on the traced release, checked against the binary's stapsdt notes.
 */
import { type Pack, selectedTracepoints, TRACEPOINTS, type Tracepoint } from '../../probes/catalogue.js';
import { argsOn, noteShape, type ReleaseArg, type Semantics } from '../../probes/semantics.js';
import { checkArgs, type NoteSite } from './usdt-notes.js';

/** A probe present in the binary: its catalogue entry and index, its arguments on this release, and its sites in the notes. */
export interface PresentProbe {
  index: number;
  tracepoint: Tracepoint;
  args: readonly ReleaseArg[];
  sites: readonly NoteSite[];
}

export interface Selection {
  present: PresentProbe[];
  /** One line per probe whose note disagrees with what the catalogue reads on this release: not attached. */
  refused: string[];
}

/**
 * The selected packs' probes the binary has. A probe whose note disagrees with the release's
 * arguments is refused alone: the others still attach.
 */
export function presentProbes(
  notes: ReadonlyMap<string, readonly NoteSite[]>,
  packs: readonly Pack[] | undefined,
  semantics: Semantics,
): Selection {
  const selection: Selection = { present: [], refused: [] };
  const selected = new Set(selectedTracepoints(packs));
  TRACEPOINTS.forEach((tracepoint, index) => {
    const sites = notes.get(tracepoint.probe);
    if (!selected.has(tracepoint)) return;
    if (!sites || sites.length === 0) return;
    const args = argsOn(tracepoint, semantics);
    const problem = checkArgs(tracepoint.probe, sites, noteShape(args), semantics.release);
    if (problem) selection.refused.push(problem);
    else selection.present.push({ index, tracepoint, args, sites });
  });
  return selection;
}
