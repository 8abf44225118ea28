/** Every relative link in the project's Markdown leads to a file that exists, and to a heading it has. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import test from 'node:test';
import { brokenLinks, headingAnchors } from '../helpers/markdown.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** Not the project's text: installed packages, build output, and what git keeps for itself. */
const NOT_OURS = new Set(['node_modules', 'dist', '.git']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (NOT_OURS.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(path);
    return e.name.endsWith('.md') ? [relative(ROOT, path)] : [];
  });
}

test('every relative link and anchor in README.md, docs/ and the other Markdown files resolves', () => {
  const files = markdownFiles(ROOT);
  for (const f of ['README.md', 'docs/README.md', 'docs/configuration.md', 'docker/README.md']) {
    assert.ok(files.includes(f), `${f} is checked`);
  }
  assert.deepEqual(brokenLinks(ROOT, files), []);
});

test('the link check finds a missing file, a missing heading and a link out of the tree, and nothing in code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibre-links-'));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs/guide.md'), "# Guide\n\n## The rpc pack: the node's state\n");
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# Front door',
      '',
      'Good: [guide](docs/guide.md), [its section](docs/guide.md#the-rpc-pack-the-nodes-state),',
      '[here](#front-door), [`docs`](docs/), [site](https://example.com/nowhere.md).',
      'Broken: [gone](docs/gone.md), [no heading](docs/guide.md#the-rpc-pack), [up](../outside.md),',
      '[self](#nowhere).',
      'Code is not a link: `[a](missing-inline.md)`',
      '',
      '```md',
      '[b](missing-fenced.md)',
      '# Not a heading',
      '```',
      '',
      '[ref]: docs/missing-reference.md',
    ].join('\n'),
  );
  assert.deepEqual(brokenLinks(dir, ['README.md', 'docs/guide.md']), [
    'README.md: docs/gone.md (no such file)',
    'README.md: docs/guide.md#the-rpc-pack (no such heading in docs/guide.md)',
    'README.md: ../outside.md (no such file)',
    'README.md: #nowhere (no such heading in README.md)',
    'README.md: docs/missing-reference.md (no such file)',
  ]);
});

test("headings get GitHub's anchors: punctuation dropped, code by its text, repeats numbered", () => {
  const text = [
    '# fibre-agent',
    "## The rpc pack: the node's state from its own RPC",
    '### Certificates: `generate-certs.sh`',
    '## Restarts, crashes and shutdown',
    '### What watching costs, as metrics',
    '## Notes',
    '## Notes',
    '```sh',
    '# a comment, not a heading',
    '```',
    '## Bücher — `fibre_exporter_up`',
  ].join('\n');
  assert.deepEqual(headingAnchors(text), [
    'fibre-agent',
    'the-rpc-pack-the-nodes-state-from-its-own-rpc',
    'certificates-generate-certssh',
    'restarts-crashes-and-shutdown',
    'what-watching-costs-as-metrics',
    'notes',
    'notes-1',
    'bücher--fibre_exporter_up',
  ]);
});
