/** What the log says of an attach: the one line, and a warning only for a named pack the binary lacks. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { attachReport } from '../../agent/source/attach-report.js';
import { type Pack, selectedTracepoints } from '../../probes/catalogue.js';

/** A binary with the probes of these packs but the `without` ones, all of them attached but `refused`. */
function binary(packs: readonly Pack[] | undefined, without: (probe: string) => boolean, refused: string[] = []) {
  const has = (probe: string) => !without(probe);
  const attached = selectedTracepoints(packs)
    .map((t) => t.probe)
    .filter((p) => has(p) && !refused.includes(p));
  return attachReport('/usr/bin/bitcoind', packs, has, attached);
}

const udp = (p: string) => p.startsWith('udp:');
const DEFAULT = selectedTracepoints(undefined).length;
const UDP = selectedTracepoints(['fibre']).length;

test('every probe there: the count and the packs, nothing said missing, no warning', () => {
  const r = binary(undefined, () => false);
  assert.equal(
    r.summary,
    `Attached ${DEFAULT} probes (packs: fibre, validation, net, mempool, utxocache, coin_selection)`,
  );
  assert.deepEqual(r.warnings, []);
});

test('a Bitcoin Core node (no udp:*) by default: fibre is information, not a warning', () => {
  const r = binary(undefined, udp);
  assert.equal(
    r.summary,
    `Attached ${DEFAULT - UDP} probes (packs: validation, net, mempool, utxocache, coin_selection); not in this binary: fibre`,
  );
  assert.deepEqual(r.warnings, []);
});

test('an older release: its pack is attached, the probes it predates are named one by one', () => {
  const r = binary(undefined, (p) => udp(p) || p === 'net:misbehaving_connection' || p.startsWith('coin_selection:'));
  assert.match(
    r.summary,
    /^Attached \d+ probes \(packs: validation, net, mempool, utxocache\); not in this binary: fibre, coin_selection, net:misbehaving_connection$/,
  );
  assert.deepEqual(r.warnings, []);
});

test('a pack named with --packs that the binary lacks: one warning for it, and none for the others', () => {
  const r = binary(['fibre', 'validation'], udp);
  assert.equal(r.summary, 'Attached 1 probe (packs: validation); not in this binary: fibre');
  assert.deepEqual(r.warnings, [
    '--packs names fibre, but /usr/bin/bitcoind has none of its probes: its metrics stay at zero (leave it out of --packs, or point --bitcoind at a build that has it)',
  ]);
});

test('a refused probe is neither attached nor lacking (its refusal is a warning of its own)', () => {
  const r = binary(['fibre', 'validation'], () => false, ['validation:block_connected']);
  assert.equal(r.summary, `Attached ${UDP} probes (packs: fibre)`);
  assert.deepEqual(r.warnings, []);
});
