/** The README and config.example.yaml against the settings table they document. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'node:test';
import { readConfigFile, resolveConfig, unknownKeys } from '../../agent/config/load.js';
import { settingsTable } from '../../agent/config/table.js';
import { metricsTable, releasesTable } from '../../probes/table.js';

const root = new URL('../../../', import.meta.url);
const README = new URL('README.md', root);

/** The README between `<!-- NAME:begin -->` and `<!-- NAME:end -->` must be `want`. */
function assertSection(name: string, want: string): void {
  const begin = `<!-- ${name}:begin -->\n`;
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(begin) + begin.length;
  const end = text.indexOf(`<!-- ${name}:end -->`);
  assert.ok(start > begin.length && end > start - 1, `README has the ${name} markers`);
  if (process.env.UPDATE_FIXTURES === '1') writeFileSync(README, text.slice(0, start) + want + text.slice(end));
  assert.equal(readFileSync(README, 'utf8').slice(start, end), want, 'run UPDATE_FIXTURES=1 npm test');
}

test("the README's settings table is the settings table", () => {
  assertSection('settings', `${settingsTable()}\n`);
});

test("the README's metric table is the catalogue's: names, types, labels, sources and where each is computed", () => {
  assertSection('metrics', `${metricsTable()}\n`);
});

test("the README's table of releases is the catalogue's: probes, semaphores and what each reads differently", () => {
  const want = `${releasesTable()}\n`;
  assertSection('releases', want);
  assert.match(want, /\| v23 \| no \|/);
  assert.match(want, /\| v31 \| yes \|.*\| as v31 \|/);
});

test('config.example.yaml uses only known keys, each with a valid value', () => {
  const file = readConfigFile(new URL('config.example.yaml', root).pathname);
  assert.deepEqual(unknownKeys(file), []);
  const config = resolveConfig({ flags: {}, env: {}, file });
  assert.equal(config.bitcoindPath, '/usr/local/bin/bitcoind');
  assert.equal(config.metricsPort, 9435);
});
