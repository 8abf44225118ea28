/**
 * The README and docs/ against what they document: each generated table against its source, the README
 * short enough to be a front door, and config.example.yaml against the settings table.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import test from 'node:test';
import { resolveConfig, unknownKeys } from '../../agent/config/load.js';
import { settingsTable } from '../../agent/config/table.js';
import { readConfigFile } from '../../agent/config/yaml-file.js';
import { metricsTable, releasesTable } from '../../probes/table.js';

const root = new URL('../../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** The settings an operator sets most, in the README; the rest are in docs/configuration.md. */
const MOST_USED = [
  'bitcoind_path',
  'pid',
  'node_name',
  'metrics_port',
  'metrics_address',
  'log_level',
  'packs',
  'user',
  'metrics_auth_username',
  'metrics_auth_password_file',
  'tls_cert',
  'tls_key',
  'otlp.endpoint',
  'journal_path',
];

const BEGIN = /^<!-- ([\w-]+):begin -->$/;

/** Where the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` starts and ends. */
function section(file: string, text: string, name: string): [number, number] {
  const begin = `<!-- ${name}:begin -->\n`;
  const start = text.indexOf(begin) + begin.length;
  const end = text.indexOf(`<!-- ${name}:end -->`);
  assert.ok(start > begin.length && end > start - 1, `${file} has the ${name} markers`);
  return [start, end];
}

/** `file` between `<!-- NAME:begin -->` and `<!-- NAME:end -->` must be `want`. */
function assertSection(file: string, name: string, want: string): void {
  if (process.env.UPDATE_FIXTURES === '1') {
    const text = read(file);
    const [start, end] = section(file, text, name);
    writeFileSync(new URL(file, root), text.slice(0, start) + want + text.slice(end));
  }
  const text = read(file);
  const [start, end] = section(file, text, name);
  assert.equal(text.slice(start, end), want, 'run UPDATE_FIXTURES=1 npm test');
}

test("the README's most used settings are rows of the settings table", () => {
  const want = `${settingsTable(MOST_USED)}\n`;
  assertSection('README.md', 'settings', want);
  assert.equal(want.trim().split('\n').length, MOST_USED.length + 2, 'every key is a setting');
});

test("the configuration reference's settings table is the settings table", () => {
  assertSection('docs/configuration.md', 'settings', `${settingsTable()}\n`);
});

test("the metrics reference's table is the catalogue's: names, types, labels, sources and where each is computed", () => {
  assertSection('docs/metrics.md', 'metrics', `${metricsTable()}\n`);
});

test("the table of releases is the catalogue's: probes, semaphores and what each reads differently", () => {
  const want = `${releasesTable()}\n`;
  assertSection('docs/packs-and-releases.md', 'releases', want);
  assert.match(want, /\| v23 \| no \|/);
  assert.match(want, /\| v31 \| yes \|.*\| as v31 \|/);
});

test('the README is a front door: at most 250 lines', () => {
  const lines = read('README.md').trimEnd().split('\n').length;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
});

test('no line of the README or docs/ is over 200 characters, but generated rows and the quick start', () => {
  const files = ['README.md', ...readdirSync(new URL('docs/', root)).map((f) => `docs/${f}`)];
  const long: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    let generated = false;
    let quickStart = false;
    read(file)
      .split('\n')
      .forEach((line, i) => {
        if (BEGIN.test(line)) generated = true;
        if (/^<!-- [\w-]+:end -->$/.test(line)) generated = false;
        // The quick start's two commands are what a fresh clone runs, copied whole: they are not wrapped.
        if (/^## /.test(line)) quickStart = file === 'README.md' && line === '## Quick start';
        const command = quickStart && line.startsWith('apt-get install');
        if (line.length > 200 && !generated && !command) long.push(`${file}:${i + 1} (${line.length})`);
      });
  }
  assert.deepEqual(long, []);
});

test('config.example.yaml uses only known keys, each with a valid value', () => {
  const file = readConfigFile(new URL('config.example.yaml', root).pathname);
  assert.deepEqual(unknownKeys(file), []);
  const config = resolveConfig({ flags: {}, env: {}, file });
  assert.equal(config.bitcoindPath, '/usr/local/bin/bitcoind');
  assert.equal(config.metricsPort, 9435);
});
