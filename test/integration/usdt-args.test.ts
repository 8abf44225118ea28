/**
 * Arguments beyond bpftrace's arg5, read for real: a program generated from the simulator's own notes
 * with bpftraceArg() must print exactly what the simulator fired, for udp:block_reconstructed's 7th
 * argument and all 8 of mempool:replaced, whose values include each type's extremes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpftraceEnv } from '../../agent/source/bpftrace.js';
import { bpftraceArg, type NoteArg, readUsdtNotes } from '../../agent/source/usdt-notes.js';
import { bitcoindTest } from '../helpers/bitcoind.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { buildSim, Sim, withTimeout } from '../helpers/sim.js';

/** printf conversions that show each width and sign as it is, so a wrong sign extension is visible. */
const format = (a: NoteArg) => (a.signed ? '%ld' : '%lu');

/** bpftrace 0.17 prints %rx as \xNN per byte. */
const hexOf = (rx: string) => rx.replaceAll('\\x', '');

ebpfTest(
  'bpftrace reads udp:block_reconstructed argument 7 and every mempool:replaced argument from the notes',
  async () => {
    const bin = buildSim('full');
    const notes = readUsdtNotes(bin);
    const reconstructed = notes.get('udp:block_reconstructed')?.[0]?.args;
    const replaced = notes.get('mempool:replaced')?.[0]?.args;
    assert.ok(reconstructed && replaced?.length === 8, 'the simulator has both probes');
    const height = reconstructed[6] as NoteArg;
    const replacedArgs = replaced.map((a, i) => (i === 0 || i === 4 ? `buf(${bpftraceArg(a)}, 32)` : bpftraceArg(a)));
    const replacedFormats = replaced.map((a, i) => (i === 0 || i === 4 ? '%rx' : format(a)));
    const program = [
      `usdt:${bin}:udp:block_reconstructed { printf("R ${format(height)}\\n", ${bpftraceArg(height)}); }`,
      `usdt:${bin}:mempool:replaced { printf("M ${replacedFormats.join(' ')}\\n", ${replacedArgs.join(', ')}); }`,
    ].join('\n');

    // -k 1 -R: the first block waits until both probes are attached.
    const sim = await Sim.start(bin, ['-n', '40', '-w', '60', '-k', '1', '-R', '-s', '5']);
    const bpftrace = spawn('bpftrace', ['-q', '-B', 'line', '-p', String(sim.pid), '-e', program, bin], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: bpftraceEnv(),
    });
    let out = '';
    let err = '';
    bpftrace.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    bpftrace.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const closed = new Promise<number | null>((r) => bpftrace.on('close', r));
    try {
      await sim.waitDone();
      assert.equal(await sim.waitExit(), 0, 'both semaphores were enabled in time');
      // -p ends bpftrace when the simulator exits; 'close' means its stdout is drained.
      await withTimeout(closed, 30_000, `bpftrace did not exit (stderr: ${err})`);
    } finally {
      bpftrace.kill('SIGKILL');
      await sim.stop();
    }

    const lines = out.split('\n').filter(Boolean);
    const heights = lines.filter((l) => l.startsWith('R ')).map((l) => Number(l.slice(2)));
    const fired = sim.events.filter((e) => e.probe === 'udp:block_reconstructed').map((e) => e.height);
    assert.ok(fired.length >= 10, `udp:block_reconstructed fired ${fired.length} times`);
    assert.deepEqual(heights, fired, `heights (stderr: ${err})`);

    const got = lines.filter((l) => l.startsWith('M ')).map((l) => l.slice(2).split(' '));
    const want = sim.events
      .filter((e) => e.probe === 'mempool:replaced')
      .map((e) => [
        e.replaced_txid_hex,
        e.replaced_vsize,
        e.replaced_fee,
        e.replaced_entry_time,
        e.replacement_txid_hex,
        e.replacement_vsize,
        e.replacement_fee,
        e.replaced_by_tx,
      ]);
    assert.equal(want.length, 40, 'mempool:replaced fired once per block');
    assert.deepEqual(
      got.map((f) => [hexOf(f[0] as string), ...f.slice(1, 4), hexOf(f[4] as string), ...f.slice(5)]),
      want.map((w) => w.map(String)),
    );
    const all = want.flat().map(String);
    for (const edge of ['-2147483648', '-9223372036854775808', '18446744073709551615', '9223372036854775808', '-1']) {
      assert.ok(all.includes(edge), `the run includes ${edge}`);
    }
  },
);

ebpfTest('bpftrace reads every operand form of the note as bpftraceArg() writes it', async () => {
  const source = new URL('../../../test/fixtures/usdt-operands.c', import.meta.url).pathname;
  const bin = join(mkdtempSync(join(tmpdir(), 'fibre-operands-')), 'operands');
  execFileSync('gcc', ['-O2', '-o', bin, source]);
  const args = readUsdtNotes(bin).get('test:operands')?.[0]?.args ?? [];
  // What the fixture's registers and memory hold at the probe, in the order of its note.
  const want = [
    ['-4@168(%rsp)', '-5'],
    ['-8@-64(%rbp)', '-1234567890'],
    ['-4@%eax', '-2'],
    ['1@%ah', '255'],
    ['-1@%al', '-2'],
    ['4@%r15d', '2147483648'],
    ['-4@%r15d', '-2147483648'],
    ['-2@%dx', '-32259'],
    ['2@%dx', '33277'],
    ['1@%cl', '3'],
    ['-1@%dl', '-3'],
    ['8@(%rbx)', Buffer.from('hello-st').readBigUInt64LE().toString()],
    ['-8@8(%r12,%rcx,8)', '-14'],
    ['-8@-8(%r12,%rcx,8)', '12'],
    ['-1@8(%rsp)', '-3'],
    ['-2@16(%rsp)', '-300'],
    ['2@%r11w', '65534'],
    ['-1@%r11b', '-2'],
    ['-8@%eax', '-2'],
    ['8@%eax', '4294967294'],
    ['-4@$-7', '-7'],
    ['8@%rbx', 'hello-string'],
  ];
  assert.deepEqual(
    args.map((a) => a.spec),
    want.map((w) => w[0]),
  );
  const prints = args.map((a, i) =>
    i === args.length - 1
      ? `printf("${i} %s\\n", str(${bpftraceArg(a)}));`
      : `printf("${i} ${format(a)}\\n", ${bpftraceArg(a)});`,
  );
  const fixture = spawn(bin, [], { stdio: 'ignore' });
  try {
    // The probe has no semaphore and fires every 10 ms: the first firing after attaching is enough.
    const out = execFileSync(
      'bpftrace',
      [
        '-q',
        '-B',
        'line',
        '-p',
        String(fixture.pid),
        '-e',
        `usdt:${bin}:test:operands { ${prints.join(' ')} exit(); }`,
        bin,
      ],
      { encoding: 'utf8', env: bpftraceEnv(), stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
    );
    assert.deepEqual(
      out.split('\n').filter(Boolean),
      want.map((w, i) => `${i} ${w[1]}`),
    );
  } finally {
    fixture.kill('SIGKILL');
  }
});

bitcoindTest('bpftraceArg() expresses every argument of every probe in a real bitcoind', (_t, bitcoind) => {
  const args = [...readUsdtNotes(bitcoind).values()].flat().flatMap((s) => s.args);
  assert.ok(args.length > 50, 'the binary has its probes');
  for (const a of args) assert.match(bpftraceArg(a), /reg\("/, a.spec);
});
