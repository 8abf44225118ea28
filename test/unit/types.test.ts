/**
 * The type-level tests of test/types/, checked from the other side: with the @ts-expect-error markers
 * removed, the compiler must report each marked line, once, for the reason given. A marker reads
 * `// @ts-expect-error TS2322 \`words of the message\` why it is wrong`: the code and the words must
 * be those of the one error on the line below, so a line wrong in another way than intended (or in
 * two ways) fails here even though the marker alone would hide it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import test from 'node:test';
import ts from 'typescript';

const root = new URL('../../../', import.meta.url).pathname;
const dir = `${root}test/types/`;
const MARKER = /^\s*\/\/ @ts-expect-error/;
const EXPECTATION = /^\s*\/\/ @ts-expect-error (TS\d+) `([^`]+)` \S/;

interface Expected {
  /** 1-based: the line after the marker. */
  line: number;
  code: string;
  words: string;
}

interface Reported {
  line: number;
  code: string;
  message: string;
}

/** Each fixture and how many wrong lines it holds at least (so one cannot quietly lose them). */
const WRONG_LINES: Record<string, number> = { 'catalogue.ts': 8, 'journal.ts': 15, 'recorder.ts': 8, 'settings.ts': 5 };
const fixtures = Object.keys(WRONG_LINES).map((f) => `${dir}${f}`);

/** Each fixture without its markers (blank lines in their place, so line numbers stay), and what they expect. */
function unmarked(path: string): { text: string; expected: Expected[] } {
  const expected: Expected[] = [];
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => {
      if (!MARKER.test(line)) return line;
      const m = EXPECTATION.exec(line);
      assert.ok(m, `${path}:${i + 1}: a marker names the error code, \`words of its message\`, and why`);
      expected.push({ line: i + 2, code: m[1] as string, words: m[2] as string });
      return '';
    });
  return { text: lines.join('\n'), expected };
}

let compiled: Map<string, Reported[]> | undefined;

/** Every fixture compiled at once, unmarked, with the project's compiler options: the errors by file. */
function compile(): Map<string, Reported[]> {
  if (compiled) return compiled;
  const config = ts.getParsedCommandLineOfConfigFile(
    `${root}tsconfig.json`,
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    },
  );
  assert.ok(config);
  const texts = new Map(fixtures.map((f) => [f, unmarked(f).text]));
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile;
  host.readFile = (name) => texts.get(name) ?? read(name);
  const program = ts.createProgram(fixtures, config.options, host);
  const byFile = new Map<string, Reported[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName ?? '(no file)';
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    byFile.set(file, [...(byFile.get(file) ?? []), { line, code: `TS${d.code}`, message }]);
  }
  compiled = byFile;
  return byFile;
}

test('every file in test/types/ is a fixture checked here', () => {
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.ts')),
    Object.keys(WRONG_LINES).sort(),
  );
});

test('the unmarked fixtures have errors only in themselves', () => {
  const elsewhere = [...compile().entries()].filter(([file]) => !fixtures.includes(file));
  assert.deepEqual(elsewhere, []);
});

for (const fixture of fixtures) {
  const name = fixture.slice(root.length);
  test(`each wrong line in ${name} fails to compile, once, for the reason its marker gives`, () => {
    const { expected } = unmarked(fixture);
    assert.ok(expected.length >= (WRONG_LINES[fixture.slice(dir.length)] as number), `${name} holds the wrong lines`);
    const reported = compile().get(fixture) ?? [];
    const show = reported.map((r) => `${r.line}: ${r.code} ${r.message}`).join('\n');
    assert.deepEqual(
      [...new Set(reported.map((r) => r.line))].sort((a, b) => a - b),
      expected.map((e) => e.line),
      `errors on exactly the marked lines:\n${show}`,
    );
    for (const e of expected) {
      const here = reported.filter((r) => r.line === e.line);
      assert.equal(here.length, 1, `line ${e.line} fails once, not ${here.length} times:\n${show}`);
      const [only] = here as [Reported];
      assert.equal(only.code, e.code, `line ${e.line}: ${only.message}`);
      assert.ok(
        only.message.includes(e.words),
        `line ${e.line} says "${e.words}"; the compiler said:\n${only.message}`,
      );
    }
  });
}
