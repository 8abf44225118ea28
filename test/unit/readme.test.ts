/** The README and config.example.yaml against the settings table they document. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'node:test';
import { readConfigFile, resolveConfig, unknownKeys } from '../../agent/config/load.js';
import { settingsTable } from '../../agent/config/table.js';

const root = new URL('../../../', import.meta.url);
const README = new URL('README.md', root);
const BEGIN = '<!-- settings:begin -->\n';
const END = '<!-- settings:end -->';

test("the README's settings table is the settings table", () => {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(BEGIN) + BEGIN.length;
  const end = text.indexOf(END);
  assert.ok(start > BEGIN.length && end > start - 1, 'README has the settings markers');
  const want = `${settingsTable()}\n`;
  if (process.env.UPDATE_FIXTURES === '1') writeFileSync(README, text.slice(0, start) + want + text.slice(end));
  assert.equal(readFileSync(README, 'utf8').slice(start, start + want.length), want, 'run UPDATE_FIXTURES=1 npm test');
});

test('config.example.yaml uses only known keys, each with a valid value', () => {
  const file = readConfigFile(new URL('config.example.yaml', root).pathname);
  assert.deepEqual(unknownKeys(file), []);
  const config = resolveConfig({ flags: {}, env: {}, file });
  assert.equal(config.bitcoindPath, '/usr/local/bin/bitcoind');
  assert.equal(config.metricsPort, 9435);
});
