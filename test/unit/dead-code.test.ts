/**
 * No dead exports: a name the agent's or the catalogue's code exports must be used somewhere, in its
 * own module or another, tests included. Code nothing calls still reads as if something relied on it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** The folders whose exports are checked; the others only use them. */
const CHECKED = ['agent', 'probes'];
const USERS = ['test', 'bench', 'docker', 'packaging'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const DECLARATION = /^export (?:async )?(?:function\*?|const|let|class|abstract class|interface|type|enum)\s+(\w+)/gm;

test('every name agent/ and probes/ export is used somewhere besides its declaration', () => {
  const text = new Map([...CHECKED, ...USERS].flatMap(sources).map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  const dead: string[] = [];
  for (const [file, source] of text) {
    if (!CHECKED.some((d) => file.startsWith(`${d}/`))) continue;
    for (const [, name] of source.matchAll(DECLARATION)) {
      const word = new RegExp(`\\b${name}\\b`, 'g');
      let uses = (source.match(word)?.length ?? 0) - 1;
      for (const [other, t] of text) if (other !== file) uses += t.match(word)?.length ?? 0;
      if (uses === 0) dead.push(`${file}: ${name}`);
    }
  }
  assert.deepEqual(dead, []);
});
