/**
 * The generated program keeps each count in one map per epoch and prints, at each read, only the maps
 * of the epoch at rest (probes/protocol.ts, READ_WORD); gauges are kept once and printed every read.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { presentProbes } from '../../agent/source/probe-selection.js';
import { buildProgram } from '../../agent/source/program.js';
import { readMarkers, tellRelease } from '../../agent/source/release.js';
import { readUsdtNotes } from '../../agent/source/usdt-notes.js';
import { EPOCH_MAP, epochMap, epochOfMap, keptPerEpoch, READ_END_WORD } from '../../probes/protocol.js';
import { buildSim } from '../helpers/sim.js';

function program(): string {
  const bin = buildSim('full');
  const notes = readUsdtNotes(bin);
  const semantics = { release: tellRelease(notes, readMarkers(bin)).semantics };
  const { present } = presentProbes(notes, ['fibre', 'validation'], semantics);
  return buildProgram(present, {
    binary: bin,
    attempt: 1,
    aggregation: 'kernel',
    verbose: false,
    semantics,
    readIntervalMs: 1000,
    journal: true,
  });
}

const printed = (text: string) => [...text.matchAll(/print\((@[A-Za-z0-9_]+)\)/g)].map((m) => m[1] as string);

test('each count map is written and printed per epoch; a read prints the resting epoch and the gauges', () => {
  const text = program();
  const interval = /interval:ms:1000 \{(.*)\}$/m.exec(text)?.[1] ?? '';
  const branches = /if \(\$rest == 0\) \{(.*?)\} else \{(.*?)\}(.*)/.exec(interval);
  assert.ok(branches, 'the read branches on the epoch at rest');
  const [, zero = '', one = '', after = ''] = branches;
  const inZero = printed(zero);
  const inOne = printed(one);
  assert.ok(inZero.length > 20, `${inZero.length} count maps`);
  assert.deepEqual(
    inZero.map((m) => epochOfMap(m)),
    inZero.map((m) => ({ map: m.slice(0, -3), epoch: 0 })),
  );
  assert.deepEqual(
    inOne,
    inZero.map((m) => epochMap(epochOfMap(m)?.map as string, 1)),
  );
  const once = printed(after);
  assert.ok(once.includes('@g_lastHeight') && once.includes('@journal_skipped'), once.join(' '));
  assert.ok(once.every((m) => !keptPerEpoch(m) && epochOfMap(m) === undefined));
  assert.ok(after.includes(READ_END_WORD));
  // Every map the probes write for an epoch is one the read of that epoch prints, and no count map is
  // written under its bare name.
  const written = new Set([...text.matchAll(/(@[A-Za-z0-9_]+)(?:\[[^\]]*\])? = /g)].map((m) => m[1] as string));
  for (const m of written) {
    const kept = epochOfMap(m);
    if (kept) assert.ok((kept.epoch === 0 ? inZero : inOne).includes(m), `${m} is printed with its epoch`);
    else assert.ok(!keptPerEpoch(m), `${m} is written without an epoch`);
  }
  // Each counting program reads the epoch once, and only after its arguments.
  for (const body of text.split('\nusdt:').slice(1)) {
    if (!body.includes('@ev_e')) continue;
    const reads = body.split(`if (${EPOCH_MAP} == 0)`);
    assert.equal(reads.length, 2, body.slice(0, 200));
    assert.doesNotMatch(reads[1] as string, /\barg\d\b|reg\(/, 'no argument is read inside the branches');
  }
});
