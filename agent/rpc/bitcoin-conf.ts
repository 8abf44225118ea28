/**
 * bitcoind's options as written, on its command line (`-key=value`, `--key`, `-nokey`,
 * `-section.key`) and in bitcoin.conf (`key=value` lines, `#` comments, `[section]` headers naming a
 * network, `section.key=value`, `nokey`). Text in, entries out, in order; which entry wins is the
 * caller's business (discovery.ts).
 */

export interface ConfEntry {
  /** The network section it is in ('' for the top of the file). */
  readonly section: string;
  readonly key: string;
  readonly value: string;
}

/** A line bitcoind would refuse; the message names the line. */
export class ConfSyntaxError extends Error {}

export function parseConf(text: string, name = 'bitcoin.conf'): ConfEntry[] {
  const out: ConfEntry[] = [];
  let section = '';
  for (const [i, raw] of text.split('\n').entries()) {
    // bitcoind cuts a line at its first '#', wherever it is.
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfSyntaxError(`${name} line ${i + 1}: no "=" in "${line.slice(0, 40)}"`);
    out.push(entry(section, line.slice(0, eq).trim().replace(/^-+/, ''), line.slice(eq + 1).trim()));
  }
  return out;
}

/** The command line: options up to the first argument that is not one, as bitcoind stops there. */
export function parseArgs(args: readonly string[]): ConfEntry[] {
  const out: ConfEntry[] = [];
  for (const arg of args) {
    if (!arg.startsWith('-')) break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    out.push(entry('', eq < 0 ? body : body.slice(0, eq), eq < 0 ? '' : body.slice(eq + 1)));
  }
  return out;
}

/** One option: a `section.` prefix names its network; `noserver=1` is `server=0`, `noserver=0` is `server=1`. */
function entry(section: string, name: string, value: string): ConfEntry {
  const dot = name.indexOf('.');
  const key = dot > 0 ? name.slice(dot + 1) : name;
  const negated = key.startsWith('no') && key.length > 2;
  return {
    section: dot > 0 ? name.slice(0, dot) : section,
    key: negated ? key.slice(2) : key,
    value: negated ? (isTrue(value) ? '0' : '1') : value,
  };
}

/** bitcoind's reading of a boolean: empty (a bare `-flag`) is true, otherwise a number that is not 0. */
export function isTrue(value: string): boolean {
  if (value === '') return true;
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? false : n !== 0;
}
