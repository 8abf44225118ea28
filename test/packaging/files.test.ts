/** The files the Debian package derives from the source tree: the unit and the config. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { resolveConfig } from '../../agent/config/load.js';
import { readConfigFile } from '../../agent/config/yaml-file.js';
import { ROOT } from '../../packaging/build.js';
import { packagedConfig, packagedUnit } from '../../packaging/deb.js';

const source = (p: string) => readFileSync(join(ROOT, p), 'utf8');

test('the packaged unit runs /usr/bin/fibre-agent and leaves the variable in its condition to the shell', () => {
  const unit = packagedUnit(source('systemd/fibre-agent.service'));
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/fibre-agent --config \/etc\/fibre-agent\/config\.yaml --user fibre-agent$/m,
  );
  assert.doesNotMatch(unit, /\/usr\/local\/bin/);
  // systemd turns $$ into $; a single $ would be expanded by systemd itself, before the shell.
  assert.match(unit, /^ExecCondition=\/bin\/sh -c '.*\[ -n "\$\$\{FIBRE_BITCOIND_PATH\}" \]'$/m);
  // Everything else, the confinement above all, is the source tree's unit line for line.
  const kept = (u: string) => u.split('\n').filter((l) => /^[A-Z]\w*=/.test(l) && !/^Exec(Start|Condition)=/.test(l));
  assert.deepEqual(
    kept(unit).filter((l) => !l.startsWith('Documentation=')),
    kept(source('systemd/fibre-agent.service')),
  );
});

test('the packaged config is the example with bitcoind_path commented out, and still valid', () => {
  const text = packagedConfig(source('config.example.yaml'));
  const file = join(mkdtempSync(join(tmpdir(), 'fibre-conf-')), 'config.yaml');
  writeFileSync(file, text);
  const config = resolveConfig({ flags: {}, env: {}, file: readConfigFile(file) });
  assert.equal(config.bitcoindPath, undefined);
  assert.equal(config.metricsPort, 9435);
  assert.match(text, /^# bitcoind_path: \/usr\/local\/bin\/bitcoind$/m);
});
