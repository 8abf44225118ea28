/**
 * The layers, enforced. Every import in agent/, probes/, bench/, docker/ and packaging/ (import,
 * import type, export … from, import()) is read with the TypeScript compiler's own scanner, resolved,
 * and checked against TIERS below: a file may import the files of its own layer and of any layer in a
 * lower tier, never a layer of its own tier or above, and nothing but a test imports test/. A type-only
 * import counts like any other: the importer changes when the type's module does.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import test from 'node:test';
import ts from 'typescript';

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * The rule, as data: tiers from the bottom up, each a set of layers, each layer a list of folders
 * (ending in /) and files. Data flows up: probes (what bitcoind offers) and config (what the operator
 * asked for) <- rpc and source (bitcoind's answers, bpftrace's output) and decode <- record (the metric
 * store) <- ingest and export <- journal (which exports through export's OTLP) <- http <- pipeline (the
 * metrics process's side) <- privsep (the process boundary) <- the commands. Errors and types several
 * layers share are in agent/shared/, which imports nothing. Layers of one tier do not know each other.
 */
const TIERS: readonly Readonly<Record<string, readonly string[]>>[] = [
  { shared: ['agent/shared/'] },
  {
    base: [
      'agent/gc-tuning.ts',
      'agent/line-splitter.ts',
      'agent/log.ts',
      'agent/redact-url.ts',
      'agent/runtime.ts',
      'agent/unreadable.ts',
      'agent/version.ts',
    ],
    probes: ['probes/'],
  },
  { config: ['agent/config/'] },
  { rpc: ['agent/rpc/'] },
  { source: ['agent/source/'], decode: ['agent/decode/'] },
  { record: ['agent/record/'] },
  { ingest: ['agent/ingest.ts'], export: ['agent/export/'] },
  { journal: ['agent/journal/'] },
  { http: ['agent/http/'] },
  { pipeline: ['agent/pipeline.ts', 'agent/journal-start.ts', 'agent/security-log.ts'] },
  { privsep: ['agent/privsep/'] },
  { commands: ['agent/agent.ts', 'agent/cli.ts', 'agent/command.ts', 'agent/demo.ts', 'agent/privileges.ts'] },
  { bench: ['bench/'], dashboards: ['docker/'], packaging: ['packaging/'] },
];
/** The folders checked: everything but test/, which may import anything. */
const CHECKED = ['agent', 'probes', 'bench', 'docker', 'packaging'];

interface Layer {
  name: string;
  tier: number;
}

interface Import {
  /** Both relative to the repository root; `to` as the source file (.ts), wherever it is. */
  from: string;
  to: string;
  /** Where the imported path is written. */
  line: number;
}

function layerOf(file: string): Layer | undefined {
  let best: { layer: Layer; length: number } | undefined;
  TIERS.forEach((tier, index) => {
    for (const [name, paths] of Object.entries(tier)) {
      for (const p of paths) {
        const matches = p.endsWith('/') ? file.startsWith(p) : file === p;
        if (matches && p.length > (best?.length ?? -1)) best = { layer: { name, tier: index }, length: p.length };
      }
    }
  });
  return best?.layer;
}

/** The relative imports of one file, resolved; package imports are not ours to layer. */
function importsOf(file: string, text: string): Import[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((i) => i.fileName.startsWith('./') || i.fileName.startsWith('../'))
    .map((i) => ({
      from: file,
      to: posix.join(posix.dirname(file), i.fileName).replace(/\.js$/, '.ts'),
      line: text.slice(0, i.pos).split('\n').length,
    }));
}

/** Every import against the rule, in words. */
function violations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    const where = `${i.from}:${i.line} imports ${i.to}`;
    const from = layerOf(i.from);
    const to = layerOf(i.to);
    if (i.to.startsWith('test/')) out.push(`${where}: only tests import test code`);
    else if (!from) out.push(`${i.from} is in no layer of TIERS`);
    else if (!to) out.push(`${where}, which is in no layer of TIERS`);
    else if (from.name !== to.name && to.tier >= from.tier) {
      out.push(`${where}: ${from.name} (tier ${from.tier}) may not import ${to.name} (tier ${to.tier})`);
    }
  }
  return out;
}

/**
 * The layers that import one another, directly or through others (each group sorted, joined by ", "):
 * a cycle. The tiers already forbid one; this names it plainly if the table is ever loosened.
 */
function cycles(imports: readonly Import[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    const [from, to] = [layerOf(i.from)?.name, layerOf(i.to)?.name];
    if (from && to && from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
  }
  const reach = (start: string, seen = new Set<string>()): Set<string> => {
    for (const next of edges.get(start) ?? []) if (!seen.has(next)) reach(next, seen.add(next));
    return seen;
  };
  const reached = new Map([...edges.keys()].map((l) => [l, reach(l)]));
  const groups = [...reached].map(([l, r]) =>
    [...r]
      .filter((o) => o === l || reached.get(o)?.has(l))
      .sort()
      .join(', '),
  );
  return [...new Set(groups.filter((g) => g.includes(',')))].sort();
}

function sources(dir: string): string[] {
  return readdirSync(posix.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = posix.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const files = CHECKED.flatMap(sources);
const imports = files.flatMap((f) => importsOf(f, readFileSync(posix.join(ROOT, f), 'utf8')));

test('every file of agent/, probes/, bench/, docker/ and packaging/ is in a layer', () => {
  assert.ok(files.length > 50, 'the sources were found');
  assert.deepEqual(
    files.filter((f) => !layerOf(f)),
    [],
  );
});

test('every import goes down the layers, and none but a test imports test/', () => {
  assert.ok(imports.length > 200, 'the imports were read');
  assert.deepEqual(violations(imports), []);
});

test('the layers import one another without a cycle', () => {
  assert.deepEqual(cycles(imports), []);
});

test('agent/shared/ imports nothing, not even a package', () => {
  for (const f of files.filter((f) => f.startsWith('agent/shared/'))) {
    assert.deepEqual(ts.preProcessFile(readFileSync(posix.join(ROOT, f), 'utf8'), true, true).importedFiles, [], f);
  }
});

test('the check fails on wrong imports: upward, sideways, into test/, out of the map, and in a cycle', () => {
  const wrong = [
    "import {\n  resolveBinary,\n} from '../source/target.js';",
    "export type { TlsMaterial } from '../http/tls.js';",
    "const helper = await import('../../test/helpers/ingest.js');",
    "import { Decoder } from '../decode/decoder.js';",
    "import type { Logger } from '../log.js';",
  ].join('\n');
  const found = importsOf('agent/config/wrong.ts', wrong);
  assert.deepEqual(
    found.map((i) => `${i.line} ${i.to}`),
    [
      '3 agent/source/target.ts',
      '4 agent/http/tls.ts',
      '5 test/helpers/ingest.ts',
      '6 agent/decode/decoder.ts',
      '7 agent/log.ts',
    ],
  );
  assert.deepEqual(violations(found), [
    'agent/config/wrong.ts:3 imports agent/source/target.ts: config (tier 2) may not import source (tier 4)',
    'agent/config/wrong.ts:4 imports agent/http/tls.ts: config (tier 2) may not import http (tier 8)',
    'agent/config/wrong.ts:5 imports test/helpers/ingest.ts: only tests import test code',
    'agent/config/wrong.ts:6 imports agent/decode/decoder.ts: config (tier 2) may not import decode (tier 4)',
  ]);
  // Siblings of one tier: source and decode know nothing of each other.
  assert.equal(violations(importsOf('agent/source/x.ts', "import '../decode/decoder.js';")).length, 1);
  assert.deepEqual(violations(importsOf('agent/newdir/x.ts', "import '../log.js';")), [
    'agent/newdir/x.ts is in no layer of TIERS',
  ]);
  const edge = (from: string, to: string): Import => ({ from, to, line: 1 });
  assert.deepEqual(
    cycles([
      edge('agent/record/store.ts', 'agent/rpc/node-state.ts'),
      edge('agent/rpc/poller.ts', 'agent/record/store.ts'),
      edge('agent/rpc/poller.ts', 'agent/log.ts'),
    ]),
    ['record, rpc'],
  );
});
