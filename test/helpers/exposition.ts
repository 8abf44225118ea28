/** A small reader of the Prometheus text format, for assertions on what /metrics serves. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, ...rest] = line.slice(2).split(' ');
      out.help.set(name as string, rest.join(' '));
    } else if (line.startsWith('# TYPE ')) {
      const [, name, type] = line.slice(2).split(' ');
      out.types.set(name as string, type as string);
    } else if (line && !line.startsWith('#')) {
      const brace = line.indexOf('{');
      const close = line.lastIndexOf('}');
      const name = brace === -1 ? (line.split(' ')[0] as string) : line.slice(0, brace);
      const labels: Record<string, string> = {};
      if (brace !== -1) {
        for (const m of line.slice(brace + 1, close).matchAll(LABEL))
          labels[m[1] as string] = unescapeLabel(m[2] as string);
      }
      const rest = (brace === -1 ? line.slice(name.length) : line.slice(close + 1)).trim().split(' ');
      out.samples.push({ name, labels, value: Number(rest[0]) });
    }
  }
  return out;
}

function matches(s: Sample, name: string, labels: Record<string, string>): boolean {
  return s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
}

/** The one sample with this name and (at least) these labels; throws if there are several. */
export function sample(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = e.samples.filter(
    (s) => matches(s, name, labels) && Object.keys(s.labels).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export function samplesOf(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}
