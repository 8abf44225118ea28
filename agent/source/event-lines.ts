/**
 * The lines a probe prints: its event line (the arguments the agent reads, strings and hashes as hex
 * words), and the journal's, printed only for the blocks within the journal's budget.
 */
import type { ArgSpec, ArgType } from '../../probes/catalogue.js';
import {
  DIRTY_MAP,
  JOURNAL_BLOCKS_PER_SECOND,
  JOURNAL_DECISION_MAP,
  JOURNAL_KEEP,
  JOURNAL_KEPT_MAP,
  JOURNAL_RING_MAP,
  JOURNAL_RING_POS_MAP,
  JOURNAL_RING_SIZE,
  JOURNAL_SECOND_MAP,
  JOURNAL_SKIP,
  JOURNAL_SKIPPED_MAP,
  lineWords,
  stringLimit,
} from '../../probes/protocol.js';
import type { ReleaseArg } from '../../probes/semantics.js';
import { argExpression, positionOf } from './probe-args.js';
import type { PresentProbe } from './probe-selection.js';
import { ProgramError } from './program-error.js';

const FORMAT: Record<ArgType, string> = {
  bool: '%u',
  u32: '%u',
  i32: '%d',
  u64: '%llu',
  i64: '%lld',
  str: '%016llx',
  hash32: '%016llx',
  ptr: '%llu',
};

/**
 * A string argument whose NUL falls within this many words is printed in them alone: most peers
 * ("203.0.113.5:8333") are. The decoder cuts at the NUL either way, so the two forms read the same.
 */
export const SHORT_WORDS = 4;

/** The word expressions of a string or hash argument, as many as `words` (all of them if omitted). */
function wordsOf(probe: PresentProbe, name: string, words?: number): string[] {
  const t = probe.tracepoint;
  const a = probe.args[positionOf(t, name) - 1] as ReleaseArg;
  const x = argExpression(probe, positionOf(t, name));
  // One field of words (probes/protocol.ts), read past a string's NUL, where the decoder cuts it; the
  // last word keeps only the bytes up to the limit str() would keep.
  const n = lineWords(a);
  const tail = a.type === 'str' ? stringLimit(a) - 8 * (n - 1) : 8;
  const mask = tail < 8 ? ` & 0x${'ff'.repeat(tail)}` : '';
  return Array.from({ length: Math.min(n, words ?? n) }, (_, i) =>
    i === n - 1 && mask ? `(*(uint64*)(${x} + ${8 * i})${mask})` : `*(uint64*)(${x} + ${8 * i})`,
  );
}

/**
 * The string arguments printed short when their NUL is in the first SHORT_WORDS words: those longer
 * than that, but not the block hash the journal joins by, which is always 64 digits.
 */
function shortenable(probe: PresentProbe, args: readonly ArgSpec[]): string[] {
  const t = probe.tracepoint;
  return args
    .filter((spec) => {
      const a = probe.args[positionOf(t, spec.name) - 1] as ReleaseArg;
      return a.type === 'str' && lineWords(a) > SHORT_WORDS && t.journal?.fields.hash !== spec.name;
    })
    .map((spec) => spec.name);
}

function printf(probe: PresentProbe, args: readonly ArgSpec[], timed: boolean, short: ReadonlySet<string>): string {
  const t = probe.tracepoint;
  const formats = [t.probe];
  const values: string[] = [];
  for (const { name } of args) {
    const a = probe.args[positionOf(t, name) - 1] as ReleaseArg;
    if (a.type === 'str' || a.type === 'hash32') {
      const words = wordsOf(probe, name, short.has(name) ? SHORT_WORDS : undefined);
      formats.push(FORMAT[a.type].repeat(words.length));
      values.push(...words);
    } else {
      formats.push(FORMAT[a.type]);
      values.push(argExpression(probe, positionOf(t, name)));
    }
  }
  if (timed) {
    formats.push('%llu');
    values.push('nsecs');
  }
  return `printf("${formats.join(' ')}\\n"${values.map((v) => `, ${v}`).join('')});`;
}

/**
 * The printf of the arguments the agent needs, and the event's time if `timed`: the line the decoder
 * reads. Strings whose NUL comes early are printed in fewer words: with a short peer a line is about
 * half as long (udp:block_race_winner with --verbose: 238 characters against 430), fewer bytes for
 * bpftrace to format and write and for the agent to read. A bit trick finds a zero byte in a word:
 * (w - 0x01..01) & ~w & 0x80..80 is not 0 exactly when one of its bytes is.
 */
export function eventLine(probe: PresentProbe, args: readonly ArgSpec[], timed: boolean): string {
  const names = shortenable(probe, args);
  const long = printf(probe, args, timed, new Set());
  if (names.length === 0) return `  ${long}`;
  const test: string[] = ['  $short = 1;'];
  for (const name of names) {
    test.push('  $zero = 0;');
    for (const w of wordsOf(probe, name, SHORT_WORDS)) {
      test.push(`  $word = ${w};`, '  $zero = $zero | (($word - 0x0101010101010101) & ~$word & 0x8080808080808080);');
    }
    test.push('  if ($zero == 0) { $short = 0; }');
  }
  const short = printf(probe, args, timed, new Set(names));
  return [...test, `  if ($short) { ${short} } else { ${long} }`].join('\n');
}

/**
 * Statements setting $jk to 8 bytes of the block's hash (internal order bytes 0 to 7, little-endian),
 * the key of the journal's decision. Probes pass the hash either as its 32 bytes or as display-order
 * hex: hex digits 48 to 63 are those bytes, reversed, and turned back into them here without a branch
 * (a digit's low four bits, plus 9 when bit 6 says it is a letter). These bytes, not the first ones:
 * proof of work makes the last bytes of a hash zeros.
 */
function journalKey(probe: PresentProbe): string[] {
  const t = probe.tracepoint;
  const hash = t.journal?.fields.hash;
  if (hash === undefined) throw new ProgramError(`${t.probe}: the journal does not join it`);
  const spec = probe.args[positionOf(t, hash) - 1] as ReleaseArg;
  const at = argExpression(probe, positionOf(t, hash));
  if (spec.type === 'hash32') return [`  $jk = *(uint64*)(${at});`];
  // One word of 8 digits into 4 bytes: nibbles, then pairs of nibbles in 16-bit lanes, then the lanes
  // in reverse order (the hex is display order).
  const half = (offset: number, out: string) => [
    `  $jw = *(uint64*)($jp + ${offset});`,
    '  $jw = ($jw & 0x0f0f0f0f0f0f0f0f) + 9 * (($jw >> 6) & 0x0101010101010101);',
    '  $jw = (($jw & 0x000f000f000f000f) << 4) | (($jw >> 8) & 0x000f000f000f000f);',
    `  ${out} = (($jw >> 48) & 0xff) | (($jw >> 24) & 0xff00) | ($jw & 0xff0000) | (($jw & 0xff) << 24);`,
  ];
  return [`  $jp = (uint64)(${at});`, ...half(48, '$jk'), ...half(56, '$jl'), '  $jk = ($jk << 32) | $jl;'];
}

/**
 * A journal-only line, printed for the blocks the journal keeps. A block's first journal event decides
 * (within this second's budget: keep; beyond it: skip, and count the block), and the block's later
 * events follow the decision, so a kept block's record is whole. The decision is remembered for the
 * next JOURNAL_RING_SIZE blocks. Racing CPUs may keep a block or two beyond the budget, and two blocks
 * first seen at the same moment on two CPUs may share a ring position, leaving one decision to stay in
 * its map (which has room for thousands).
 */
export function journalLine(probe: PresentProbe, line: string): string {
  const d = JOURNAL_DECISION_MAP;
  return [
    ...journalKey(probe),
    `  $jd = ${d}[$jk];`,
    '  if ($jd == 0) {',
    '    $sec = nsecs / 1000000000;',
    `    if (${JOURNAL_SECOND_MAP} != $sec) { ${JOURNAL_SECOND_MAP} = $sec; ${JOURNAL_KEPT_MAP} = 0; }`,
    `    $jr = ${JOURNAL_RING_POS_MAP};`,
    `    ${JOURNAL_RING_POS_MAP} = ($jr + 1) % ${JOURNAL_RING_SIZE};`,
    // The decision this position held is the oldest: forgotten for the new one.
    `    $jo = ${JOURNAL_RING_MAP}[$jr];`,
    `    delete(${d}[$jo]);`,
    `    ${JOURNAL_RING_MAP}[$jr] = $jk;`,
    `    $jd = ${JOURNAL_SKIP};`,
    `    if (${JOURNAL_KEPT_MAP} < ${JOURNAL_BLOCKS_PER_SECOND}) { ${JOURNAL_KEPT_MAP} = ${JOURNAL_KEPT_MAP} + 1; $jd = ${JOURNAL_KEEP}; }`,
    `    else { ${JOURNAL_SKIPPED_MAP} = count(); ${DIRTY_MAP} = 1; }`,
    `    ${d}[$jk] = $jd;`,
    '  }',
    `  if ($jd == ${JOURNAL_KEEP}) {`,
    `  ${line}`,
    '  }',
  ].join('\n');
}
