/**
 * The metric table of docs/metrics.md, generated from the catalogue: every metric, what feeds it, and
 * where it is computed. A test compares it with the file, so the two cannot drift apart.
 */
import {
  type CodeLabel,
  type KnownLabel,
  type LabelSource,
  PACKS,
  TRACEPOINTS,
  type Tracepoint,
  type Update,
} from './catalogue.js';
import { METRICS, type MetricDef, type MetricKey } from './metrics.js';
import { bytesLabelOf, peerLabelOf } from './protocol.js';
import { inRange, NEWEST, RELEASES, type Release, rangeText, SEMAPHORES } from './releases.js';
import { argOn, inRelease } from './semantics.js';

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
    const divisor = u.divisor ? ` / ${u.divisor}` : '';
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
    // Long known sets (message types, reasons) are listed in docs/packs-and-releases.md, not in the table.
    const list =
      Object.keys(known).length > 8
        ? `${Object.keys(known).length} known values`
        : [
            ...Object.entries(known).map(([k, v]) => `\`${k}\` → \`${v}\``),
            ...addedOf(source).map(({ key, value, range }) => `\`${key}\` → \`${value}\` (${range})`),
          ].join(', ');
    return `${name} = ${argRef(t, source.arg)}: ${list}, else \`${source.otherwise}\``;
  });
  const when = (u.when ?? []).map(([a, op, b]) => `${a} ${op} ${b}`).join(' and ');
  return `\`${t.probe}\`: ${what}${labels.length ? `; ${labels.join('; ')}` : ''}${when ? `; when ${when}` : ''}`;
}

/** The values only some releases pass, with the releases that do. */
function addedOf(source: KnownLabel<string> | CodeLabel<string>): { key: string; value: string; range: string }[] {
  return (source.added ?? []).flatMap((a) =>
    Object.entries('codes' in a ? a.codes : a.values).map(([key, value]) => ({ key, value, range: rangeText(a.in) })),
  );
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
    const traced = def.self ? [] : feeds.map(({ t, u }) => describeUpdate(t, u));
    const from = def.rpc ? [...traced, `RPC ${def.rpc}`].join('<br>') : def.self ? def.help : traced.join('<br>');
    const where = def.rpc
      ? def.self
        ? 'bitcoind RPC (`rpc` pack)'
        : 'kernel (BPF map); bitcoind RPC (`rpc` pack)'
      : def.self
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

const UNIT_NAME = { ns: 'nanoseconds', us: 'microseconds' } as const;

/** One release's probes, by pack: every probe of a pack, or the ones it has. */
function packsOn(release: Release): string {
  return PACKS.flatMap((pack) => {
    const all = TRACEPOINTS.filter((t) => t.pack === pack && t.releases);
    const has = all.filter((t) => inRelease(t, release));
    if (has.length === 0) return [];
    const which = has.length === all.length ? '' : ` (${has.map((t) => t.probe.split(':')[1]).join(', ')})`;
    const wallet = has.every((t) => t.wallet) ? ' (wallet builds)' : '';
    return [`\`${pack}\`${which}${wallet}`];
  }).join(', ');
}

/** What a release passes differently from the newest: argument types, units, absences, meanings, label values. */
function differencesOn(release: Release): string {
  const out: string[] = [];
  // A label set several probes share (connection types) is said once.
  const seen = new Set<LabelSource<string>>();
  for (const t of TRACEPOINTS.filter((x) => inRelease(x, release))) {
    t.args.forEach((spec, i) => {
      const variants = (spec.releases ?? []).filter((v) => inRange(release, v.in));
      if (variants.length === 0) return;
      const arg = argOn(spec, { release });
      const what = [
        arg.absent ? 'not passed' : undefined,
        arg.type !== spec.type ? `${arg.type} in its note` : undefined,
        arg.factor !== 1
          ? `in ${UNIT_NAME[variants.find((v) => v.unit)?.unit ?? 'ns']}, read as ${UNIT_NAME[spec.unit ?? 'ns']}`
          : undefined,
        ...variants.flatMap((v) => (v.meaning ? [v.meaning] : [])),
      ].filter(Boolean);
      out.push(`\`${t.probe}\` ${spec.name} (arg ${i + 1}): ${what.join('; ')}`);
    });
    const sources = new Set(
      t.updates.flatMap((u) => Object.values((u.labels ?? {}) as Record<string, LabelSource<string>>)),
    );
    for (const source of sources) {
      if (!('codes' in source || 'values' in source) || seen.has(source)) continue;
      seen.add(source);
      for (const a of source.added ?? []) {
        if (inRange(release, a.in)) continue;
        const keys = Object.entries('codes' in a ? a.codes : a.values).map(([k, v]) =>
          k === v ? `\`${k}\`` : `\`${k}\` (\`${v}\`)`,
        );
        out.push(`${source.arg}: never ${keys.join(', ')}`);
      }
    }
  }
  return out.join('<br>') || `as ${NEWEST}`;
}

/** The releases table of docs/packs-and-releases.md: probes by pack, semaphores, what is read differently. */
export function releasesTable(): string {
  const rows = [`| release | semaphores | packs with probes | read differently from ${NEWEST} |`, '|---|---|---|---|'];
  for (const release of RELEASES) {
    rows.push(
      `| ${release} | ${inRange(release, SEMAPHORES) ? 'yes' : 'no'} | ${packsOn(release)} | ${differencesOn(release)} |`,
    );
  }
  return rows.join('\n');
}
