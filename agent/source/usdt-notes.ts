/**
 * The USDT probes of a binary as its .note.stapsdt section records them, and bpftrace expressions that
 * read any of their arguments. bpftrace 0.17 exposes only arg0..arg5 on x86_64, while Bitcoin Core's
 * mempool:replaced has 8 arguments and udp:block_reconstructed's height is the 7th: reading the
 * location the compiler recorded (a register or a memory operand) with reg() reaches all of them.
 */
import { readSections, SHT_NOTE } from './elf.js';

export interface NoteArg {
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  /** As in the note, e.g. "-4@168(%rsp)". */
  readonly spec: string;
}

export interface NoteSite {
  readonly pc: bigint;
  readonly semaphore: bigint;
  readonly args: readonly NoteArg[];
}

/** bpftrace 0.17 reads arg0..arg5 of a USDT probe on x86_64 by itself, at every site. */
export const DIRECT_ARGS = 6;

/** A note the agent cannot read, or an argument location it cannot express. */
export class UsdtNoteError extends Error {
  override name = 'UsdtNoteError';
}

const NT_STAPSDT = 3;

/**
 * provider:name -> every site of that probe in the binary (a probe can be inlined in several places).
 * Empty map when the binary has no stapsdt notes; ElfError (clear one-line message naming the
 * file) when it is not a readable 64-bit little-endian ELF.
 */
export function readUsdtNotes(binary: string): Map<string, NoteSite[]> {
  const notes = readSections(binary, [{ name: '.note.stapsdt', type: SHT_NOTE }]).get('.note.stapsdt');
  return notes ? parseNotes(binary, notes) : new Map();
}

const align4 = (n: number) => (n + 3) & ~3;

function parseNotes(binary: string, data: Buffer): Map<string, NoteSite[]> {
  const probes = new Map<string, NoteSite[]>();
  const bad = (why: string) => new UsdtNoteError(`${binary}: malformed .note.stapsdt (${why})`);
  for (let at = 0; at + 12 <= data.length; ) {
    const namesz = data.readUInt32LE(at);
    const descsz = data.readUInt32LE(at + 4);
    const type = data.readUInt32LE(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (next > data.length) throw bad(`a note at offset ${at} runs past the section`);
    at = next;
    // Other owners' notes may share the section in principle; only stapsdt type 3 describes probes.
    if (type !== NT_STAPSDT || data.toString('latin1', nameAt, nameAt + namesz) !== 'stapsdt\0') continue;
    if (descsz < 24 + 3) throw bad('a probe descriptor is too short');
    const desc = data.subarray(descAt, descAt + descsz);
    const pc = desc.readBigUInt64LE(0);
    const semaphore = desc.readBigUInt64LE(16);
    const strings = desc.toString('latin1', 24).split('\0');
    const [provider, name, args] = strings;
    if (provider === undefined || name === undefined || args === undefined || strings.length < 4) {
      throw bad('a probe descriptor lacks its provider, name or arguments');
    }
    const key = `${provider}:${name}`;
    const site: NoteSite = { pc, semaphore, args: args.trim() === '' ? [] : args.trim().split(/\s+/).map(parseArg) };
    const sites = probes.get(key);
    if (sites) sites.push(site);
    else probes.set(key, [site]);
  }
  return probes;
}

/**
 * "N@location", N being the size in bytes, negative when signed. A location without a size is the
 * oldest form of the note: systemtap reads it as an unsigned machine word.
 */
function parseArg(spec: string): NoteArg {
  const m = /^(-?)(1|2|4|8)@/.exec(spec);
  if (!m) return { size: 8, signed: false, spec };
  return { size: Number(m[2]) as NoteArg['size'], signed: m[1] === '-', spec };
}

const WIDE = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'];

/** x86_64 register name as the note spells it -> bpftrace's reg() name, width in bytes, and a shift for %ah. */
function register(name: string): { reg: string; width: 1 | 2 | 4 | 8; shift: number } | undefined {
  if (name === 'rip') return undefined; // relative to the next instruction, and used with symbols: not a plain value
  const r = /^r(8|9|1[0-5])([dwbl]?)$/.exec(name);
  if (r) {
    const width = ({ '': 8, d: 4, w: 2, b: 1, l: 1 } as const)[r[2] as '' | 'd' | 'w' | 'b' | 'l'];
    return { reg: `r${r[1]}`, width, shift: 0 };
  }
  for (const w of WIDE) {
    if (name === `r${w}`) return { reg: w, width: 8, shift: 0 };
    if (name === `e${w}`) return { reg: w, width: 4, shift: 0 };
    if (name === w) return { reg: w, width: 2, shift: 0 };
  }
  const low = /^([abcd])l$|^(si|di|bp|sp)l$/.exec(name);
  if (low) return { reg: low[1] ? `${low[1]}x` : (low[2] as string), width: 1, shift: 0 };
  const high = /^([abcd])h$/.exec(name);
  if (high) return { reg: `${high[1]}x`, width: 1, shift: 8 };
  return undefined;
}

const typeOf = (size: number, signed: boolean) => `${signed ? 'int' : 'uint'}${size * 8}`;

function parseOffset(text: string): bigint | undefined {
  if (text === '') return 0n;
  const m = /^(-?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2] as string);
  return m[1] ? -v : v;
}

/**
 * A bpftrace expression, valid inside a usdt probe body on x86_64, whose value is the argument with
 * its width and signedness, e.g. `(int32)reg("ax")` for -4@%eax, `*(int32*)(reg("sp") + 168)` for
 * -4@168(%rsp), `(uint8)reg("cx")` for 1@%cl; a pointer (8@...) as uint64 usable in str()/buf().
 * Throws UsdtNoteError for a form it cannot express.
 *
 * Verified against bpftrace 0.17: in a usdt probe a dereference and str()/buf() read user memory
 * without uptr(), and an integer cast truncates and then sign- or zero-extends as C does.
 */
export function bpftraceArg(arg: NoteArg): string {
  const type = typeOf(arg.size, arg.signed);
  const location = noteLocation(arg);
  const cannot = (why: string) => new UsdtNoteError(`cannot read USDT argument "${arg.spec}": ${why}`);

  const reg = /^%([a-z0-9]+)$/.exec(location);
  if (reg) {
    const r = register(reg[1] as string);
    if (!r) throw cannot(`%${reg[1]} is not an x86_64 general-purpose register`);
    const value = r.shift ? `(reg("${r.reg}") >> ${r.shift})` : `reg("${r.reg}")`;
    // A register narrower than the argument holds the argument's low bytes, extended as its sign says.
    return r.width < arg.size ? `(${type})(${typeOf(r.width, arg.signed)})${value}` : `(${type})${value}`;
  }

  const imm = /^\$(-?(?:0x[0-9a-f]+|[0-9]+))$/i.exec(location);
  if (imm) {
    const text = imm[1] as string;
    const v = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
    // bpftrace 0.17 mis-parses integer literals near 2^63 (measured: (int64)(-9223372036854775807) is 1).
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw cannot('constant too large');
    return `(${type})(${v})`;
  }

  const mem = /^([^(]*)\(%([a-z0-9]*)(?:,%([a-z0-9]+)(?:,([1248]))?)?\)$/.exec(location);
  if (mem) {
    const offset = parseOffset(mem[1] as string);
    if (offset === undefined) throw cannot(`offset "${mem[1]}" is not a number (symbols are not supported)`);
    const parts: string[] = [];
    for (const [name, scale] of [
      [mem[2], '1'],
      [mem[3], mem[4] ?? '1'],
    ] as const) {
      if (!name) continue;
      const r = register(name);
      if (!r || r.width !== 8) throw cannot(`%${name} cannot address memory`);
      parts.push(scale === '1' ? `reg("${r.reg}")` : `reg("${r.reg}") * ${scale}`);
    }
    if (parts.length === 0) throw cannot('no base or index register');
    let address = parts.join(' + ');
    if (offset > 0n) address += ` + ${offset}`;
    else if (offset < 0n) address += ` - ${-offset}`;
    return `*(${type}*)(${address})`;
  }
  throw cannot('unsupported operand form');
}

/** 'any' is for arguments whose sign the catalogue does not depend on (pointers, bools). */
function describe(size: number, signed: boolean | 'any'): string {
  if (signed === 'any') return `${size * 8}-bit`;
  return `${signed ? 'i' : 'u'}${size * 8}`;
}

/**
 * The attach-time check: a one-line error when the binary's note disagrees with what the catalogue
 * reads (argument count, size or sign, or sites that disagree with each other), undefined when all match.
 */
export function checkArgs(
  probe: string,
  sites: readonly NoteSite[],
  expected: readonly { name: string; size: 1 | 2 | 4 | 8; signed: boolean | 'any' }[],
  release?: string,
): string | undefined {
  const reads = release ? `on ${release} the catalogue reads` : 'the catalogue reads';
  if (sites.length === 0) return `${probe}: the binary has no site of this probe`;
  for (const site of sites) {
    if (site.args.length < expected.length) {
      return `${probe}: ${reads} ${expected.length} arguments, the binary's note has ${site.args.length} (${site.args.map((a) => a.spec).join(' ') || 'none'})`;
    }
  }
  for (const [i, want] of expected.entries()) {
    const label = `${probe} argument ${i + 1} (${want.name})`;
    const found = sites.map((s) => s.args[i] as NoteArg);
    const first = found[0] as NoteArg;
    // Widths must agree for one expression to fit every site; the sign only matters where the
    // catalogue cares, and then each site is held to it below.
    const other = found.find((a) => a.size !== first.size);
    if (other) {
      return `${label}: the binary's sites disagree: ${noteSays(first)} at one, ${noteSays(other)} at another`;
    }
    // bpftrace reads arguments 1..6 at each site itself. A later one is read by an expression built
    // from one site's location, the same program text at every site: where the compiler put it
    // elsewhere, it would read the wrong register or slot.
    const moved = i >= DIRECT_ARGS ? found.find((a) => noteLocation(a) !== noteLocation(first)) : undefined;
    if (moved) {
      return `${label}: the binary's sites keep it in different places (${first.spec} at one, ${moved.spec} at another), which one expression cannot read`;
    }
    const wrong = found.find((a) => a.size !== want.size || (want.signed !== 'any' && a.signed !== want.signed));
    if (wrong) {
      return `${label}: ${reads} ${describe(want.size, want.signed)}, the binary's note says ${noteSays(wrong)}`;
    }
  }
  return undefined;
}

/** Where an argument lives, without its size: `-8@24(%rsp)` -> `24(%rsp)` (a spec without one is all location). */
export const noteLocation = (a: NoteArg) => a.spec.slice(a.spec.indexOf('@') + 1);

function noteSays(a: NoteArg): string {
  return `${a.size} ${a.size === 1 ? 'byte' : 'bytes'} ${a.signed ? 'signed' : 'unsigned'} (${a.spec})`;
}
