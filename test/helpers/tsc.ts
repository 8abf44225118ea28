/** The TypeScript compiler run on one file with the build's options, for type-level tests. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url).pathname;

/** The build's compiler options (tsconfig.json) as flags, but where it writes: this run only checks. */
function buildFlags(): string[] {
  const { compilerOptions } = JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  const output = new Set(['outDir', 'rootDir', 'sourceMap']);
  return Object.entries(compilerOptions).flatMap(([name, value]) => {
    if (output.has(name)) return [];
    if (value === true) return [`--${name}`];
    return [`--${name}`, Array.isArray(value) ? value.join(',') : String(value)];
  });
}

/** The compiler's errors in `file` (a path from the repository root), by line, each with its whole message. */
export function typeErrors(file: string): Map<number, string[]> {
  const tsc = spawnSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '--noEmit', '--pretty', 'false', ...buildFlags(), file],
    { encoding: 'utf8', cwd: root },
  );
  const errors = new Map<number, string[]>();
  let last: { list: string[]; index: number } | undefined;
  for (const line of tsc.stdout.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
    if (m) {
      // Errors in other files (what the file imports) are on no line of its own: kept under line 0.
      const at = m[1] === file ? Number(m[2]) : 0;
      const list = errors.get(at) ?? [];
      errors.set(at, list);
      last = { list, index: list.push(m[3] as string) - 1 };
    } else if (line.startsWith('  ') && last) {
      // A message's further lines (why a type is not assignable) belong to the error before them.
      last.list[last.index] += `\n${line.trim()}`;
    }
  }
  return errors;
}
