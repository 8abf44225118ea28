/**
 * The statements one update adds to its probe's body with --aggregation kernel: its labels' indices,
 * the map key they make, and the update's rules (probes/update-rules.ts) written with them.
 */
import type { LabelSource, Update } from '../../probes/catalogue.js';
import { bytesLabelOf, labelOrder, labelValues } from '../../probes/protocol.js';
import type { ReleaseArg, Semantics } from '../../probes/semantics.js';
import { type KernelTerms, kernelStatements } from '../../probes/update-rules.js';
import { type LabelVars, labelIndex } from './label-index.js';
import { argExpression, positionOf } from './probe-args.js';
import type { PresentProbe } from './probe-selection.js';
import { ProgramError } from './program-error.js';

export interface Written {
  maps: Set<string>;
}

/**
 * The arguments a probe's counting reads: variable -> the expression reading it. They are read once,
 * before the branch on the epoch: an argument read inside both branches let LLVM share one pointer into
 * the probe's registers between them, which the BPF verifier refuses ("dereference of modified ctx ptr").
 */
export type ArgVars = Map<string, string>;

/** One update of a probe, and what its statements share with the probe's others. */
interface KernelUpdateOptions {
  probe: PresentProbe;
  update: Update;
  /** The update's place among its probe's: it names the update's variables. */
  index: number;
  semantics: Semantics;
  written: Written;
  labelVars: LabelVars;
  argVars: ArgVars;
}

/** The statements of one update: its labels' indices, then the update's rules (probes/update-rules.ts). */
export function kernelUpdate({
  probe,
  update,
  index,
  semantics,
  written,
  labelVars,
  argVars,
}: KernelUpdateOptions): string[] {
  const t = probe.tracepoint;
  const arg = (name: string) => {
    const position = positionOf(t, name);
    const variable = `$a${position}`;
    if (!argVars.has(variable)) argVars.set(variable, argExpression(probe, position));
    return variable;
  };
  const pre: string[] = [];
  const keys: string[] = [];
  const bytesLabel = bytesLabelOf(update);
  for (const label of labelOrder(update)) {
    if (label === bytesLabel) continue;
    const source = (update.labels as Record<string, LabelSource<string>> | undefined)?.[label];
    if (!source || 'peer' in source)
      throw new ProgramError(`${t.probe}: ${update.metric} has no source for label ${label}`);
    const universe = labelValues(update.metric, label);
    if ('value' in source) {
      keys.push(String(universe.indexOf(source.value)));
      continue;
    }
    const id = JSON.stringify([source, universe]);
    let variable = labelVars.get(id);
    if (!variable) {
      variable = `$l${labelVars.size}`;
      labelVars.set(id, variable);
      pre.push(...labelIndex(variable, source, arg(source.arg), universe, semantics));
    }
    keys.push(variable);
  }
  const terms: KernelTerms = {
    arg,
    typeOf: (name) => (probe.args[positionOf(t, name) - 1] as ReleaseArg).type,
    at: (extra = []) => {
      const all = [...keys, ...extra];
      return all.length ? `[${all.join(', ')}]` : '';
    },
    value: `$v${index}`,
    per: `$d${index}`,
    bucket: `$b${index}`,
    writes: (map) => written.maps.add(map),
  };
  return [...pre, ...kernelStatements(update, terms).map((l) => `  ${l}`)];
}
