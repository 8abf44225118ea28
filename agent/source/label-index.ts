/**
 * A known or coded label's value as an index, computed in the probe: a code compared as a number, a
 * known string read as integers and compared word by word.
 */
import type { CodeLabel, KnownLabel } from '../../probes/catalogue.js';
import { codesOn, type Semantics, valuesOn } from '../../probes/semantics.js';

/** Per probe: each label computed once, whatever number of updates use it (a message's type feeds two). */
export type LabelVars = Map<string, string>;

/**
 * Statements that set `variable` to the index, in the metric's label values, of the value a known or
 * coded label gives this event, stopping at the first match. A known string is compared as integers:
 * bpftrace's string compares branch at every byte, and a few dozen of them are more paths than the
 * BPF verifier accepts (measured: 35 message types, or 6 connection types of 21 bytes).
 */
export function labelIndex(
  variable: string,
  source: KnownLabel<string> | CodeLabel<string>,
  arg: string,
  universe: readonly string[],
  semantics: Semantics,
): string[] {
  const index = (value: string) => universe.indexOf(value);
  const cases: [string, number][] = [];
  const lines: string[] = [];
  if ('codes' in source) {
    // Read once: an argument in memory would be read again by every compare.
    lines.push(`  ${variable}v = ${arg};`);
    for (const [code, value] of Object.entries(codesOn(source, semantics.release)))
      cases.push([`${variable}v == ${code}`, index(value)]);
  } else {
    const values = valuesOn(source, semantics.release);
    const keys = Object.keys(values);
    const count = Math.ceil((Math.max(...keys.map((k) => Buffer.byteLength(k, 'latin1'))) + 1) / 8);
    lines.push(...wordsOf(variable, arg, count));
    for (const k of keys) {
      const test = packWords(k, count).map((w, i) => `${variable}w${i} == ${w}`);
      cases.push([test.join(' && '), index(values[k] as string)]);
    }
  }
  lines.push(`  ${variable} = ${index(source.otherwise)};`);
  if (cases.length) lines.push(`  ${cases.map(([c, i]) => `if (${c}) { ${variable} = ${i}; }`).join(' else ')}`);
  return lines;
}

/** A known value as the little-endian words its bytes and NUL padding make. */
function packWords(value: string, count: number): string[] {
  const bytes = Buffer.alloc(8 * count);
  bytes.write(value, 'latin1');
  // Printable ASCII: every word is under 2^63, which bpftrace's integer literals hold.
  return Array.from({ length: count }, (_, i) => bytes.readBigUInt64LE(8 * i).toString());
}

/**
 * Reads `count` words at a string pointer and zeroes every byte from the first NUL on (what follows a
 * short string's NUL is whatever its buffer held before). A zero byte is found without a loop:
 * (w - 0x01..01) & ~w & 0x80..80 has its lowest set bit in w's first zero byte. The words hold one
 * byte more than the longest known value, so a longer string keeps a nonzero last byte and matches
 * none. Reading past a short string stays within what bitcoind passes (a std::string's buffer, a
 * literal in .rodata); a read the kernel refuses gives zeros, which match no known value.
 */
function wordsOf(variable: string, pointer: string, count: number): string[] {
  const w = (i: number) => `${variable}w${i}`;
  const zero = (x: string) => `(${x} - 72340172838076673) & ~${x} & ~9187201950435737471`;
  const keepBelow = (t: string) => `(((${t} & -${t}) >> 7) - 1)`;
  const lines = [`  ${variable}p = (uint64)(${pointer});`];
  for (let i = 0; i < count; i++) lines.push(`  ${w(i)} = *(uint64*)(${variable}p + ${8 * i});`);
  // Word i is cut at its first NUL; when it has one, every later word is 0.
  const cut = (i: number): string => {
    const t = `${variable}t${i}`;
    const rest = Array.from({ length: count - i - 1 }, (_, j) => `${w(i + j + 1)} = 0;`).join(' ');
    const mask = `${t} = ${zero(w(i))}; ${w(i)} = ${w(i)} & ${keepBelow(t)};`;
    if (i === count - 1) return mask;
    return `${mask} if (${t} != 0) { ${rest} } else { ${cut(i + 1)} }`;
  };
  lines.push(`  ${cut(0)}`);
  return lines;
}
