/**
 * The README's metric table, generated from the catalogue: every metric, what feeds it, and where it is
 * computed. A test compares it with the README, so the two cannot drift apart.
 */
import { TRACEPOINTS, type Tracepoint, type Update } from './catalogue.js';
import { METRICS, type MetricDef, type MetricKey } from './metrics.js';
import { bytesLabelOf, peerLabelOf } from './protocol.js';

function argRef(t: Tracepoint, name: string): string {
  return `${name} (arg ${t.args.findIndex((a) => a.name === name) + 1})`;
}

function describeUpdate(t: Tracepoint, u: Update): string {
  const refused = (what: string | undefined, zero?: string) =>
    [
      what === 'out_of_range' ? 'negative: counted as `value_out_of_range`, not observed' : undefined,
      what === 'skip' ? 'negative: ignored' : undefined,
      zero ? '0: not observed' : undefined,
    ]
      .filter(Boolean)
      .join('; ');
  let what: string;
  if ('add' in u) what = u.add === 1 ? '+1 per event' : `+ ${argRef(t, u.add)}`;
  else if ('decrement' in u) what = '-1 per event (never below 0, nothing before a value was set)';
  else if ('observe' in u) {
    const divisor =
      u.divisor === 'connect_time' ? ' in seconds per `connect_time_unit`' : u.divisor ? ` / ${u.divisor}` : '';
    const rules = refused(u.negative, u.zero);
    const o = u.observe;
    const value =
      typeof o === 'string'
        ? argRef(t, o)
        : 'ratio' in o
          ? `${argRef(t, o.ratio[0])} / ${argRef(t, o.ratio[1])} (divisor under 1: \`value_out_of_range\`)`
          : `(${argRef(t, o.difference[0])} − ${argRef(t, o.difference[1])})`;
    what = `${value}${divisor}${rules ? `; ${rules}` : ''}`;
  } else {
    const rules = refused(u.negative);
    what = `${argRef(t, u.set)}, the last one seen${rules ? `; ${rules}` : ''}`;
  }
  const labels = Object.entries(u.labels ?? {}).map(([name, source]) => {
    if ('peer' in source) return `${name} = ${argRef(t, source.arg)}`;
    if ('value' in source) return `${name} = \`${source.value}\``;
    const known = 'codes' in source ? source.codes : source.values;
    // Long known sets (message types, reasons) are listed in the README's text, not in the table.
    const list =
      Object.keys(known).length > 8
        ? `${Object.keys(known).length} known values`
        : Object.entries(known)
            .map(([k, v]) => `\`${k}\` → \`${v}\``)
            .join(', ');
    return `${name} = ${argRef(t, source.arg)}: ${list}, else \`${source.otherwise}\``;
  });
  const when = (u.when ?? []).map(([a, op, b]) => `${a} ${op} ${b}`).join(' and ');
  return `\`${t.probe}\`: ${what}${labels.length ? `; ${labels.join('; ')}` : ''}${when ? `; when ${when}` : ''}`;
}

function typeOf(def: MetricDef): string {
  if (def.kind !== 'histogram' || !def.buckets) return def.kind;
  return `histogram (${def.buckets[0]} ... ${def.buckets.at(-1)})`;
}

export function metricsTable(): string {
  const rows = ['| metric | type | labels | from | computed |', '|---|---|---|---|---|'];
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const def: MetricDef = METRICS[key];
    const feeds = TRACEPOINTS.flatMap((t) => t.updates.filter((u) => u.metric === key).map((u) => ({ t, u })));
    const from = def.self ? def.help : feeds.map(({ t, u }) => describeUpdate(t, u)).join('<br>');
    const where = def.self
      ? key === 'eventsProcessed' || key === 'errors'
        ? 'agent, and in the kernel for what the kernel counts'
        : 'agent'
      : feeds.some(({ u }) => peerLabelOf(u))
        ? "kernel (BPF map keyed by the peer's bytes)"
        : feeds.some(({ u }) => bytesLabelOf(u))
          ? "kernel (BPF map keyed by the reason's bytes, matched by the agent)"
          : 'kernel (BPF map)';
    rows.push(`| \`${def.name}\` | ${typeOf(def)} | ${def.labels.join(', ')} | ${from} | ${where} |`);
  }
  return rows.join('\n');
}
