/**
 * Our reading of .note.stapsdt against binutils' readelf on the simulator and on a real bitcoind, the
 * bpftrace expressions for each operand form, and the attach-time argument check.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { ElfError } from '../../agent/source/elf.js';
import { bpftraceArg, checkArgs, type NoteSite, readUsdtNotes, UsdtNoteError } from '../../agent/source/usdt-notes.js';
import { bitcoindTest } from '../helpers/bitcoind.js';
import { readelfNotes } from '../helpers/readelf.js';
import { buildSim } from '../helpers/sim.js';

const dir = mkdtempSync(join(tmpdir(), 'fibre-notes-'));

function assertSameAsReadelf(binary: string): Map<string, NoteSite[]> {
  const ours = readUsdtNotes(binary);
  const theirs = readelfNotes(binary);
  assert.ok(theirs.length > 0, 'readelf lists probes');
  const flat = [...ours].flatMap(([probe, sites]) =>
    sites.map((s) => ({ probe, pc: s.pc, semaphore: s.semaphore, args: s.args.map((a) => a.spec) })),
  );
  assert.deepEqual(flat, theirs);
  for (const sites of ours.values()) {
    for (const a of sites.flatMap((s) => s.args)) {
      const m = /^(-?)(\d)@/.exec(a.spec);
      assert.ok(m, a.spec);
      assert.equal(a.size, Number(m[2]), a.spec);
      assert.equal(a.signed, m[1] === '-', a.spec);
    }
  }
  return ours;
}

test('the simulator: every probe, site and argument as readelf prints them', () => {
  const notes = assertSameAsReadelf(buildSim('full'));
  assert.equal(notes.get('udp:block_reconstructed')?.[0]?.args.length, 7);
  assert.equal(notes.get('mempool:replaced')?.[0]?.args.length, 8);
  assert.ok(notes.get('mempool:replaced')?.[0]?.semaphore, 'mempool:replaced has a semaphore');
});

bitcoindTest('a real bitcoind: every probe, site and argument as readelf prints them', (_t, bitcoind) => {
  const notes = assertSameAsReadelf(bitcoind);
  assert.equal(notes.get('mempool:replaced')?.[0]?.args.length, 8);
});

test('a file that is not ELF, a missing file and a 32-bit ELF fail with one line naming the file', () => {
  const text = join(dir, 'not-elf');
  writeFileSync(text, '#!/bin/sh\necho hello\n');
  const elf32 = join(dir, 'elf32');
  writeFileSync(elf32, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]), Buffer.alloc(57)]));
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  for (const f of [text, elf32, empty, join(dir, 'missing')]) {
    assert.throws(
      () => readUsdtNotes(f),
      (e: unknown) => e instanceof ElfError && e.message.startsWith(`${f}: `) && !e.message.includes('\n'),
      f,
    );
  }
});

test('an ELF file without stapsdt notes gives an empty map', () => {
  const src = join(dir, 'plain.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const out = join(dir, 'plain');
  execFileSync('gcc', ['-o', out, src]);
  assert.deepEqual(readUsdtNotes(out), new Map());
});

test('bpftraceArg: each operand form as an expression verified against bpftrace 0.17', () => {
  const cases: [string, string][] = [
    ['-4@%eax', '(int32)reg("ax")'],
    ['4@%r15d', '(uint32)reg("r15")'],
    ['1@%cl', '(uint8)reg("cx")'],
    ['-1@%al', '(int8)reg("ax")'],
    ['1@%ah', '(uint8)(reg("ax") >> 8)'],
    ['-2@%dx', '(int16)reg("dx")'],
    ['2@%r9w', '(uint16)reg("r9")'],
    ['1@%r10b', '(uint8)reg("r10")'],
    ['1@%sil', '(uint8)reg("si")'],
    ['-8@%rbx', '(int64)reg("bx")'],
    ['8@%r12', '(uint64)reg("r12")'],
    ['-8@%eax', '(int64)(int32)reg("ax")'],
    ['-4@168(%rsp)', '*(int32*)(reg("sp") + 168)'],
    ['-8@-960(%rbp)', '*(int64*)(reg("bp") - 960)'],
    ['8@(%rax)', '*(uint64*)(reg("ax"))'],
    ['1@-2200(%rbp)', '*(uint8*)(reg("bp") - 2200)'],
    ['-8@8(%r12,%rcx,8)', '*(int64*)(reg("r12") + reg("cx") * 8 + 8)'],
    ['4@-16(%rax,%rdx)', '*(uint32*)(reg("ax") + reg("dx") - 16)'],
    ['4@0x10(%rbx)', '*(uint32*)(reg("bx") + 16)'],
    ['-4@$-5', '(int32)(-5)'],
    ['1@$1', '(uint8)(1)'],
  ];
  for (const [spec, want] of cases) {
    const m = /^(-?)(\d)@/.exec(spec) as RegExpExecArray;
    const arg = { size: Number(m[2]) as 1 | 2 | 4 | 8, signed: m[1] === '-', spec };
    assert.equal(bpftraceArg(arg), want, spec);
  }
  for (const spec of [
    '8@foo(%rip)',
    '8@16(%rip)',
    '8@%xmm0',
    '4@%fs:8',
    '8@sym',
    '4@(%eax)',
    '8@$99999999999999999999',
  ]) {
    assert.throws(() => bpftraceArg({ size: 8, signed: false, spec }), UsdtNoteError, spec);
  }
});

const site = (specs: string): NoteSite => ({
  pc: 0x1000n,
  semaphore: 0x2000n,
  args: specs.split(' ').map((spec) => {
    const m = /^(-?)(\d)@/.exec(spec) as RegExpExecArray;
    return { size: Number(m[2]) as 1 | 2 | 4 | 8, signed: m[1] === '-', spec };
  }),
});

test('checkArgs: names the probe, argument, expectation and note on any mismatch', () => {
  const expected = [
    { name: 'hash', size: 8, signed: 'any' },
    { name: 'height', size: 4, signed: true },
    { name: 'fee', size: 8, signed: true },
  ] as const;
  const ok = site('8@%rbx -4@%eax -8@40(%r15)');
  assert.equal(checkArgs('mempool:added', [ok, site('-8@%rbx -4@%eax -8@40(%r15)')], expected), undefined);
  // bpftrace reads arguments 1..6 at each site itself: their places may differ.
  assert.equal(checkArgs('mempool:added', [ok, site('8@%rbx -4@%edx -8@40(%r15)')], expected), undefined);
  const seven = [
    ...expected,
    ...['a', 'b', 'c'].map((name) => ({ name, size: 8, signed: 'any' }) as const),
    { name: 'h', size: 4, signed: true } as const,
  ];
  assert.equal(
    checkArgs(
      'udp:x',
      [
        site('8@%rbx -4@%eax -8@40(%r15) 8@%rcx 8@%rdx 8@%rsi -4@%r8d'),
        site('8@%rbx -4@%eax -8@40(%r15) 8@%rcx 8@%rdx 8@%rsi -4@%r9d'),
      ],
      seven,
    ),
    "udp:x argument 7 (h): the binary's sites keep it in different places (-4@%r8d at one, -4@%r9d at another), which one expression cannot read",
  );
  assert.equal(checkArgs('mempool:added', [site('8@%rbx -4@%eax -8@40(%r15) 1@%cl')], expected), undefined);
  assert.equal(
    checkArgs('mempool:added', [site('8@%rbx -4@%eax 8@%rax')], expected),
    "mempool:added argument 3 (fee): the catalogue reads i64, the binary's note says 8 bytes unsigned (8@%rax)",
  );
  assert.equal(
    checkArgs('mempool:added', [site('8@%rbx 4@%eax -8@%rax')], expected),
    "mempool:added argument 2 (height): the catalogue reads i32, the binary's note says 4 bytes unsigned (4@%eax)",
  );
  assert.equal(
    checkArgs('mempool:added', [site('8@%rbx -1@%al -8@%rax')], expected),
    "mempool:added argument 2 (height): the catalogue reads i32, the binary's note says 1 byte signed (-1@%al)",
  );
  assert.equal(
    checkArgs('mempool:added', [site('-4@%ebx -4@%eax -8@%rax')], expected),
    "mempool:added argument 1 (hash): the catalogue reads 64-bit, the binary's note says 4 bytes signed (-4@%ebx)",
  );
  assert.equal(
    checkArgs('mempool:added', [ok, site('8@%rbx -8@%rax -8@%rax')], expected),
    "mempool:added argument 2 (height): the binary's sites disagree: 4 bytes signed (-4@%eax) at one, 8 bytes signed (-8@%rax) at another",
  );
  assert.equal(
    checkArgs('mempool:added', [ok, site('8@%rbx -4@%eax')], expected),
    "mempool:added: the catalogue reads 3 arguments, the binary's note has 2 (8@%rbx -4@%eax)",
  );
  assert.equal(checkArgs('mempool:added', [], expected), 'mempool:added: the binary has no site of this probe');
  const height7 = [...Array(6)].map((_, i) => ({ name: `a${i + 1}`, size: 8, signed: 'any' }) as const);
  assert.equal(
    checkArgs(
      'udp:block_reconstructed',
      [site('8@%rbx 8@%rbx 8@%rbx 8@%rbx 8@%rbx 8@%rbx 8@%rax')],
      [...height7, { name: 'height', size: 4, signed: true }],
    ),
    "udp:block_reconstructed argument 7 (height): the catalogue reads i32, the binary's note says 8 bytes unsigned (8@%rax)",
  );
});
