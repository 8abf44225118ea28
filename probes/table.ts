/**
 * The README's metric table, generated from the catalogue: every metric, what feeds it, and where it is
 * computed. A test compares it with the README, so the two cannot drift apart.
 */
import { TRACEPOINTS, type Tracepoint, type Update } from './catalogue.js';
import { METRICS, type MetricDef, type MetricKey } from './metrics.js';
import { peerLabelOf } from './protocol.js';

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
  else if ('observe' in u) {
    const divisor =
      u.divisor === 'connect_time' ? ' in seconds per `connect_time_unit`' : u.divisor ? ` / ${u.divisor}` : '';
    const rules = refused(u.negative, u.zero);
    what = `${argRef(t, u.observe)}${divisor}${rules ? `; ${rules}` : ''}`;
  } else {
    const rules = refused(u.negative);
    what = `${argRef(t, u.set)}, the last one seen${rules ? `; ${rules}` : ''}`;
  }
  const labels = Object.entries(u.labels ?? {}).map(([name, source]) =>
    'peer' in source
      ? `${name} = ${argRef(t, source.arg)}`
      : `${name} = ${argRef(t, source.arg)}: ${Object.entries(source.values)
          .map(([k, v]) => `\`${k}\` → \`${v}\``)
          .join(', ')}, else \`${source.otherwise}\``,
  );
  return `\`${t.probe}\`: ${what}${labels.length ? `; ${labels.join('; ')}` : ''}`;
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
        : 'kernel (BPF map)';
    rows.push(`| \`${def.name}\` | ${typeOf(def)} | ${def.labels.join(', ')} | ${from} | ${where} |`);
  }
  return rows.join('\n');
}
