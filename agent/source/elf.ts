/**
 * The sections of an ELF file the agent reads (the stapsdt notes, .rodata), read at their offsets:
 * the ELF header, the section headers, the section-name table and the wanted sections only. This runs
 * at every attach, and bitcoind is hundreds of megabytes with debug info.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class ElfError extends Error {
  override name = 'ElfError';
}

const ELF_HEADER_SIZE = 64;
const SECTION_HEADER_SIZE = 64;
/** Far beyond any real section the agent reads (bitcoind's notes are 2 KiB, its .rodata 2 to 4 MiB): a corrupt size must not allocate gigabytes. */
const MAX_SECTION = 64 * 1024 * 1024;
export const SHT_NOTE = 7;

/**
 * The named sections' contents (of the given type, when one is given); a section the file lacks is
 * absent from the map, and so is every section of a file stripped of its section headers. ElfError
 * (one line naming the file) when it is not a readable 64-bit little-endian ELF file.
 */
export function readSections(
  binary: string,
  wanted: readonly { readonly name: string; readonly type?: number }[],
): Map<string, Buffer> {
  let fd: number;
  try {
    fd = openSync(binary, 'r');
  } catch (e) {
    throw new ElfError(`${binary}: cannot read: ${(e as Error).message}`);
  }
  try {
    return readWanted(binary, fd, wanted);
  } finally {
    closeSync(fd);
  }
}

function readAt(binary: string, fd: number, offset: bigint, length: number, what: string): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  try {
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, Number(offset) + got);
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    throw new ElfError(`${binary}: cannot read the ${what}: ${(e as Error).message}`);
  }
  if (got < length) throw new ElfError(`${binary}: not a valid ELF file (the ${what} is cut short)`);
  return buf;
}

interface Section {
  name: number;
  type: number;
  offset: bigint;
  size: bigint;
}

function readWanted(
  binary: string,
  fd: number,
  wanted: readonly { readonly name: string; readonly type?: number }[],
): Map<string, Buffer> {
  let header: Buffer;
  try {
    header = readAt(binary, fd, 0n, ELF_HEADER_SIZE, 'ELF header');
  } catch {
    throw new ElfError(`${binary}: not an ELF file`);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${binary}: not an ELF file`);
  if (header[4] !== 2 || header[5] !== 1) {
    throw new ElfError(`${binary}: not a 64-bit little-endian ELF file, which is all the agent reads`);
  }
  const shoff = header.readBigUInt64LE(0x28);
  const shentsize = header.readUInt16LE(0x3a);
  const shnum = header.readUInt16LE(0x3c);
  const shstrndx = header.readUInt16LE(0x3e);
  const out = new Map<string, Buffer>();
  if (shoff === 0n || shnum === 0) return out; // no section headers (stripped of them): nothing to find
  if (shentsize !== SECTION_HEADER_SIZE || shstrndx >= shnum) {
    throw new ElfError(`${binary}: not a valid ELF file (section header table is malformed)`);
  }
  const table = readAt(binary, fd, shoff, shnum * SECTION_HEADER_SIZE, 'section header table');
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * SECTION_HEADER_SIZE;
    sections.push({
      name: table.readUInt32LE(at),
      type: table.readUInt32LE(at + 4),
      offset: table.readBigUInt64LE(at + 0x18),
      size: table.readBigUInt64LE(at + 0x20),
    });
  }
  const strtab = sections[shstrndx] as Section;
  const names = readAt(binary, fd, strtab.offset, sectionSize(binary, strtab, 'section-name table'), 'section names');
  for (const w of wanted) {
    const s = sections.find((x) => cString(names, x.name) === w.name && (w.type === undefined || x.type === w.type));
    if (s) out.set(w.name, readAt(binary, fd, s.offset, sectionSize(binary, s, w.name), w.name));
  }
  return out;
}

function sectionSize(binary: string, s: Section, what: string): number {
  if (s.size > BigInt(MAX_SECTION)) throw new ElfError(`${binary}: not a valid ELF file (${what} section too large)`);
  return Number(s.size);
}

function cString(buf: Buffer, at: number): string | undefined {
  if (at >= buf.length) return undefined;
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end === -1 ? buf.length : end);
}
