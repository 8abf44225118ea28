/**
 * Telling a binary's release from its notes and .rodata, on the real v28, v30 and v31 binaries and on
 * the simulator built as every release line; the per-release semantics the program then reads with.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { presentProbes } from '../../agent/source/probe-selection.js';
import { buildProgram } from '../../agent/source/program.js';
import { readMarkers, tellRelease } from '../../agent/source/release.js';
import { type NoteSite, readUsdtNotes } from '../../agent/source/usdt-notes.js';
import { type LabelSource, selectedTracepoints, TRACEPOINTS } from '../../probes/catalogue.js';
import { FLUSH_MODE } from '../../probes/known-values.js';
import { labelValues } from '../../probes/protocol.js';
import { NEWEST, RELEASES, type Release } from '../../probes/releases.js';
import { argsOn, codesOn, valuesOn } from '../../probes/semantics.js';
import { REAL_NODES, realNodeTest } from '../helpers/bitcoind.js';
import { buildSim, RELEASE_SIMS } from '../helpers/sim.js';

function tell(binary: string) {
  return tellRelease(readUsdtNotes(binary), readMarkers(binary));
}

const PROGRAM = { attempt: 1, aggregation: 'kernel', verbose: false, readIntervalMs: 1000 } as const;

for (const node of REAL_NODES) {
  realNodeTest(
    node,
    `the real ${node.release} binary is told as ${node.release}, and every probe of the default selection it has attaches`,
    (_t, { bitcoind }) => {
      const notes = readUsdtNotes(bitcoind);
      const build = tell(bitcoind);
      assert.equal(build.release, node.release, build.toldFrom);
      assert.equal(build.semantics, node.release);
      assert.equal(build.verified, true);
      assert.match(build.toldFrom, node.semaphores ? /semaphores/ : /no semaphores/);
      const { present, refused } = presentProbes(notes, undefined, { release: build.semantics });
      assert.deepEqual(refused, []);
      const wanted = selectedTracepoints(undefined).filter((t) => notes.has(t.probe));
      assert.deepEqual(
        present.map((p) => p.tracepoint.probe),
        wanted.map((t) => t.probe),
      );
      assert.equal(
        present.some((p) => p.tracepoint.pack === 'coin_selection'),
        node.wallet,
        'the wallet probes where the build has the wallet',
      );
    },
  );
}

test('the simulator built as each release line is told as that line', () => {
  for (const [variant, release] of Object.entries(RELEASE_SIMS)) {
    const build = tell(buildSim(variant as keyof typeof RELEASE_SIMS));
    assert.equal(build.release, release, `${variant}: ${build.toldFrom}`);
    assert.equal(build.verified, true, variant);
  }
});

/** The notes of a binary with one more Core probe, or one more argument, than the newest release has. */
function withExtra(notes: Map<string, NoteSite[]>, change: 'probe' | 'argument'): Map<string, NoteSite[]> {
  const copy = new Map(notes);
  const site = (copy.get('mempool:added') as NoteSite[])[0] as NoteSite;
  if (change === 'probe') copy.set('mempool:trimmed', [site]);
  else copy.set('mempool:added', [{ ...site, args: [...site.args, { size: 8, signed: true, spec: '-8@%rcx' }] }]);
  return copy;
}

test('a release newer than the newest known is read with its semantics, said unverified, with what is new', () => {
  const bin = buildSim('v31');
  const notes = readUsdtNotes(bin);
  for (const change of ['probe', 'argument'] as const) {
    const build = tellRelease(withExtra(notes, change), readMarkers(bin));
    assert.equal(build.release, `newer than ${NEWEST}`);
    assert.equal(build.semantics, NEWEST);
    assert.equal(build.verified, false);
    assert.match(
      build.toldFrom,
      change === 'probe' ? /mempool:trimmed/ : /more arguments than v31 passes: mempool:added/,
    );
  }
  // The same additions on an older binary are a patched build of that release, not a newer one.
  const old = buildSim('v28');
  assert.equal(tellRelease(withExtra(readUsdtNotes(old), 'probe'), readMarkers(old)).release, 'v28');
});

test('a binary without Bitcoin Core probes is unknown, read as the newest', () => {
  const build = tellRelease(new Map([['udp:block_send_start', []]]), new Set());
  assert.deepEqual([build.release, build.semantics, build.verified], ['unknown', NEWEST, false]);
});

test('a fact that contradicts the others is set aside: a split marker does not make a v28 unknown', () => {
  const bin = buildSim('v28');
  const markers = readMarkers(bin);
  markers.add('FORCE_SYNC');
  assert.equal(tellRelease(readUsdtNotes(bin), markers).release, 'v28');
});

test('a code or known string never means two things in two releases, so the agent may map with all of them', () => {
  const sources = new Set(
    TRACEPOINTS.flatMap((t) =>
      t.updates.flatMap((u) => Object.values((u.labels ?? {}) as Record<string, LabelSource<string>>)),
    ),
  );
  for (const source of sources) {
    if (!('codes' in source) && !('values' in source)) continue;
    const meaning = new Map<string, string>();
    for (const release of RELEASES) {
      const table: Readonly<Record<string, string>> =
        'codes' in source ? codesOn(source, release) : valuesOn(source, release);
      for (const [k, v] of Object.entries(table)) {
        assert.equal(meaning.get(k) ?? v, v, `${source.arg} ${k} on ${release}`);
        meaning.set(k, v);
      }
    }
  }
  // v31's new flush mode has its own value; its renamed FORCE_FLUSH keeps "always".
  assert.equal(codesOn(FLUSH_MODE, 'v31')[4], 'force_sync');
  assert.equal(codesOn(FLUSH_MODE, 'v30')[4], undefined);
  assert.equal(codesOn(FLUSH_MODE, 'v31')[3], 'always');
  assert.ok(labelValues('utxoFlushes', 'mode').includes('force_sync'));
});

test('per release: argument types, units and absences as each release passes them', () => {
  const of = (probe: string, release: Release) =>
    argsOn(TRACEPOINTS.find((t) => t.probe === probe) as (typeof TRACEPOINTS)[number], { release });
  const connect = (release: Release) => of('validation:block_connected', release).at(-1);
  assert.deepEqual([connect('v23')?.type, connect('v23')?.factor], ['i64', 1000]);
  assert.deepEqual([connect('v25')?.type, connect('v25')?.factor], ['u64', 1]);
  assert.deepEqual([connect('v29')?.type, connect('v29')?.factor], ['i64', 1]);
  // An operator's --connect-time-unit wins over the release.
  const given = argsOn(
    TRACEPOINTS.find((t) => t.probe === 'validation:block_connected') as (typeof TRACEPOINTS)[number],
    {
      release: 'v30',
      connectTimeUnit: 'us',
    },
  ).at(-1);
  assert.equal(given?.factor, 1000);
  assert.equal(of('mempool:added', 'v25')[1]?.type, 'u64');
  assert.equal(of('mempool:added', 'v26')[1]?.type, 'i32');
  assert.equal(of('mempool:replaced', 'v28').filter((a) => !a.absent).length, 7);
  assert.equal(of('mempool:replaced', 'v29').filter((a) => !a.absent).length, 8);
  // An absent argument can only be a last one: positions of the others never move.
  for (const t of TRACEPOINTS) {
    for (const release of RELEASES) {
      const args = argsOn(t, { release });
      const first = args.findIndex((a) => a.absent);
      if (first !== -1)
        assert.ok(
          args.slice(first).every((a) => a.absent),
          `${t.probe} on ${release}`,
        );
    }
  }
});

test('the program reads an older unit as nanoseconds and an older width as it is', () => {
  const program = (variant: keyof typeof RELEASE_SIMS) => {
    const bin = buildSim(variant);
    const build = tell(bin);
    const { present } = presentProbes(readUsdtNotes(bin), ['validation'], { release: build.semantics });
    return buildProgram(present, { ...PROGRAM, binary: bin, semantics: { release: build.semantics } });
  };
  assert.match(program('v23'), /\$a\d+ = \(\(int64\)arg5 \* 1000\);/);
  assert.match(program('v25'), /\$a\d+ = \(uint64\)arg5;/);
  assert.match(program('v29'), /\$a\d+ = \(int64\)arg5;/);
});
