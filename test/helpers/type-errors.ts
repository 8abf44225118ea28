/**
 * The other side of a file of @ts-expect-error tests: with its markers removed, what the compiler says
 * about each line. A marker that is merely unused fails the build already; this tells whether each
 * marked line fails for the reason the marker gives.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;
const MARKER = /^\s*\/\/ @ts-expect-error (.+)$/;

export interface Marked {
  /** 1-based: the line the marker applies to. */
  readonly line: number;
  readonly reason: string;
}

export interface TypeErrors {
  readonly marked: readonly Marked[];
  /** Each error's whole message (its elaboration lines too), by the line it is reported on. */
  readonly errors: ReadonlyMap<number, readonly string[]>;
  readonly output: string;
}

/** Compiles the repository file `path` (relative to the root) without its markers. */
export function typeErrors(path: string): TypeErrors {
  const source = readFileSync(join(root, path), 'utf8').split('\n');
  const marked: Marked[] = [];
  const stripped = source.map((text, i) => {
    const m = MARKER.exec(text);
    if (!m) return text;
    marked.push({ line: i + 2, reason: m[1] as string });
    return '';
  });
  // Beside the original, so its relative imports resolve; the same number of lines, so lines match.
  const unmarked = join(root, dirname(path), `unmarked-${process.pid}-${basename(path)}`);
  writeFileSync(unmarked, stripped.join('\n'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [
        `${root}node_modules/typescript/bin/tsc`,
        '--noEmit',
        '--pretty',
        'false',
        '--strict',
        '--skipLibCheck',
        '--target',
        'ES2022',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--types',
        'node',
        unmarked,
      ],
      { encoding: 'utf8', cwd: root },
    );
    const errors = new Map<number, string[]>();
    const name = basename(unmarked).replaceAll('.', '\\.');
    // An error starts a line with the file's name; its elaboration follows on indented lines.
    for (const m of tsc.stdout.matchAll(new RegExp(`${name}\\((\\d+),\\d+\\): error (.*(?:\\n .*)*)`, 'g'))) {
      const line = Number(m[1]);
      errors.set(line, [...(errors.get(line) ?? []), m[2] as string]);
    }
    return { marked, errors, output: tsc.stdout };
  } finally {
    rmSync(unmarked, { force: true });
  }
}
