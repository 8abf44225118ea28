/**
 * The metric contract: the reviewed exposition (test/fixtures/e2e-exposition.txt) against the Python
 * exporter's own output (../shared/reference/python-exporter-metrics.txt, copied into the fixtures as
 * python-exporter-metrics.txt): same names, types, label sets and `le` values.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { pythonStyleLe } from '../../agent/export/prometheus.js';
import { METRICS, type MetricDef } from '../../probes/metrics.js';
import { type Exposition, parseExposition } from '../helpers/exposition.js';

const read = (name: string) =>
  parseExposition(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8'));
const ours = read('e2e-exposition.txt');
const python = read('python-exporter-metrics.txt');

/** Family name of a sample: histogram series lose their _bucket/_sum/_count suffix. */
function family(e: Exposition, sampleName: string): string {
  const base = sampleName.replace(/_(bucket|sum|count)$/, '');
  return e.types.get(base) === 'histogram' ? base : sampleName;
}

function labelSets(e: Exposition, fam: string): Set<string> {
  return new Set(
    e.samples
      .filter((s) => family(e, s.name) === fam)
      .map((s) => `${s.name}{${Object.keys(s.labels).sort().join(',')}}`),
  );
}

function leValues(e: Exposition, fam: string): string[] {
  return e.samples.filter((s) => s.name === `${fam}_bucket`).map((s) => s.labels.le as string);
}

test('every family of the Python exporter exists here with the same type, label sets and le values', () => {
  assert.equal(python.types.size, 17);
  for (const [name, type] of python.types) {
    assert.equal(ours.types.get(name), type, `${name} type`);
    assert.ok(ours.help.get(name), `${name} has a HELP text`);
    const theirs = labelSets(python, name);
    if (theirs.size > 0) assert.deepEqual(labelSets(ours, name), theirs, `${name} label sets`);
    if (type === 'histogram') assert.deepEqual(leValues(ours, name), leValues(python, name), `${name} le values`);
  }
});

test('the exposition has exactly the catalogue families, each with HELP, and nothing else', () => {
  // The fixture is the simulator's, which serves no RPC: the rpc pack's own families are checked against
  // a real node's bitcoin-cli instead (test/integration/bitcoind-rpc.test.ts).
  const catalogue = Object.values(METRICS)
    .filter((m: MetricDef) => !(m.self && m.rpc))
    .map((m) => m.name)
    .sort();
  assert.deepEqual([...ours.types.keys()].sort(), catalogue);
  for (const m of Object.values(METRICS).filter((d: MetricDef) => !(d.self && d.rpc))) {
    assert.equal(ours.types.get(m.name), m.kind);
    assert.equal(ours.help.get(m.name), m.help);
    for (const s of ours.samples.filter((x) => family(ours, x.name) === m.name)) {
      assert.deepEqual(
        Object.keys(s.labels)
          .filter((l) => l !== 'le')
          .sort(),
        [...m.labels].sort(),
        s.name,
      );
    }
  }
});

test('le values are written as the Python client writes them', () => {
  assert.equal(
    pythonStyleLe('x_bucket{node="a",le="1"} 3\nx_bucket{le="0.005"} 1\nx_bucket{le="+Inf"} 4\ny{node="10"} 1'),
    'x_bucket{node="a",le="1.0"} 3\nx_bucket{le="0.005"} 1\nx_bucket{le="+Inf"} 4\ny{node="10"} 1',
  );
});
