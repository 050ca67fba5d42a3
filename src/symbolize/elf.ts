/**
 * Just enough of an ELF reader to symbolize a kernel backtrace: the section
 * table, the symbol table, the build id, `.modinfo` (a module's name and
 * vermagic) and the `linux_banner` string (a vmlinux's release). Works on
 * positioned reads, so a 600 MB vmlinux costs only its headers, symbol and
 * string tables. DWARF is left to addr2line (see src/sources/symbolizer.ts).
 *
 * Facts from the ELF specification and include/uapi/linux/elf.h.
 */
import type { RandomAccess } from "../vmcore/io.js";

export class ElfError extends Error {
  constructor(
    readonly code: "not-elf" | "truncated" | "unsupported",
    message: string,
  ) {
    super(message);
  }
}

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHF_EXECINSTR = 0x4;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;

/** e_machine values of the architectures a kernel backtrace can come from. */
export const MACHINES: Readonly<Record<number, string>> = {
  3: "i386",
  8: "mips",
  20: "powerpc",
  21: "powerpc64",
  22: "s390",
  40: "arm",
  62: "x86_64",
  183: "arm64",
  243: "riscv",
  258: "loongarch",
};

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value: an absolute address in vmlinux, a section offset in a module (ET_REL). */
  value: bigint;
  size: number;
  kind: "func" | "object" | "notype";
  /** Index of the section the symbol is defined in. */
  shndx: number;
}

export interface ElfInfo {
  is64: boolean;
  littleEndian: boolean;
  type: number;
  machine: string;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  buildId: string | null;
  /** `.modinfo` key=value pairs (modules only). */
  modinfo: Record<string, string>;
  /** The release from `linux_banner` (vmlinux) or vermagic (modules), when readable. */
  release: string | null;
  /** Whether the object carries DWARF line information. */
  hasDebugInfo: boolean;
}

/** Refuse tables bigger than this: no real vmlinux comes near it. */
const MAX_TABLE = 512 << 20;

async function readRange(src: RandomAccess, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (length > MAX_TABLE) throw new ElfError("unsupported", `${what} is ${length} bytes, more than any kernel object has`);
  const b = await src.read(offset, length);
  if (b.length < length) {
    throw new ElfError("truncated", `${what} needs ${length} bytes at offset ${offset}, but the file ends at ${src.size} (truncated ELF file?)`);
  }
  return b;
}

function cString(b: Uint8Array, at: number): string {
  if (at < 0 || at >= b.length) return "";
  let end = b.indexOf(0, at);
  if (end < 0) end = b.length;
  return Buffer.from(b.buffer, b.byteOffset + at, end - at).toString("latin1");
}

/** Reads the headers, sections and symbols of an ELF object. Throws ElfError. */
export async function readElf(src: RandomAccess): Promise<ElfInfo> {
  const ident = await src.read(0, 64);
  if (ident.length < 16 || ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    throw new ElfError("not-elf", "not an ELF file (no \\x7fELF magic)");
  }
  const is64 = ident[4] === 2;
  if (ident[4] !== 1 && ident[4] !== 2) throw new ElfError("unsupported", `unknown ELF class ${ident[4]}`);
  const le = ident[5] !== 2;
  const hdrSize = is64 ? 64 : 52;
  if (ident.length < hdrSize) throw new ElfError("truncated", `the ELF header needs ${hdrSize} bytes, the file has ${ident.length}`);
  const dv = new DataView(ident.buffer, ident.byteOffset, ident.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, le);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const type = u16(16);
  const machineNo = u16(18);
  const shoff = is64 ? Number(dv.getBigUint64(40, le)) : u32(32);
  const shentsize = u16(is64 ? 58 : 46);
  let shnum = u16(is64 ? 60 : 48);
  let shstrndx = u16(is64 ? 62 : 50);
  if (shoff === 0) throw new ElfError("unsupported", "the ELF file has no section table");
  if (shentsize < (is64 ? 64 : 40)) throw new ElfError("unsupported", `section header entries of ${shentsize} bytes`);
  if (shnum === 0 || shstrndx === 0xffff) {
    // More than 0xff00 sections: the real counts live in section 0.
    const s0 = await readRange(src, shoff, shentsize, "section header 0");
    const d0 = new DataView(s0.buffer, s0.byteOffset, s0.byteLength);
    if (shnum === 0) shnum = is64 ? Number(d0.getBigUint64(32, le)) : d0.getUint32(20, le);
    if (shstrndx === 0xffff) shstrndx = d0.getUint32(is64 ? 44 : 28, le);
  }
  const table = await readRange(src, shoff, shnum * shentsize, "the section header table");
  const td = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    const nameOff = td.getUint32(o, le);
    sections.push(
      is64
        ? {
            index: i,
            name: String(nameOff),
            type: td.getUint32(o + 4, le),
            flags: Number(td.getBigUint64(o + 8, le) & 0xffffffffn),
            addr: td.getBigUint64(o + 16, le),
            offset: Number(td.getBigUint64(o + 24, le)),
            size: Number(td.getBigUint64(o + 32, le)),
            link: td.getUint32(o + 40, le),
            entsize: Number(td.getBigUint64(o + 56, le)),
          }
        : {
            index: i,
            name: String(nameOff),
            type: td.getUint32(o + 4, le),
            flags: td.getUint32(o + 8, le),
            addr: BigInt(td.getUint32(o + 12, le)),
            offset: td.getUint32(o + 16, le),
            size: td.getUint32(o + 20, le),
            link: td.getUint32(o + 24, le),
            entsize: td.getUint32(o + 36, le),
          },
    );
  }
  const shstr = sections[shstrndx];
  const names = shstr ? await readRange(src, shstr.offset, shstr.size, "the section name table") : new Uint8Array(0);
  for (const s of sections) s.name = cString(names, Number(s.name));

  const contents = (s: ElfSection, what: string): Promise<Uint8Array> =>
    s.type === SHT_NOBITS ? Promise.resolve(new Uint8Array(0)) : readRange(src, s.offset, s.size, what);

  const symbols: ElfSymbol[] = [];
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab && symtab.size > 0) {
    const strtab = sections[symtab.link];
    const syms = await contents(symtab, "the symbol table (.symtab)");
    const strs = strtab ? await contents(strtab, "the symbol name table (.strtab)") : new Uint8Array(0);
    const sd = new DataView(syms.buffer, syms.byteOffset, syms.byteLength);
    const ent = symtab.entsize || (is64 ? 24 : 16);
    for (let o = ent; o + ent <= syms.length; o += ent) {
      const nameOff = sd.getUint32(o, le);
      const info = is64 ? sd.getUint8(o + 4) : sd.getUint8(o + 12);
      const shndx = is64 ? sd.getUint16(o + 6, le) : sd.getUint16(o + 14, le);
      const stt = info & 0xf;
      if (stt !== STT_FUNC && stt !== STT_OBJECT && stt !== STT_NOTYPE) continue;
      if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
      const name = cString(strs, nameOff);
      if (name === "" || name.startsWith(".L") || name.startsWith("$")) continue; // local labels, ARM mapping symbols
      const value = is64 ? sd.getBigUint64(o + 8, le) : BigInt(sd.getUint32(o + 4, le));
      const size = is64 ? Number(sd.getBigUint64(o + 16, le)) : sd.getUint32(o + 8, le);
      symbols.push({ name, value, size, kind: stt === STT_FUNC ? "func" : stt === STT_OBJECT ? "object" : "notype", shndx });
    }
  }

  let buildId: string | null = null;
  const note = sections.find((s) => s.name === ".note.gnu.build-id" && s.type !== SHT_NOBITS);
  if (note && note.size >= 16 && note.size < 4096) {
    const b = await contents(note, "the build-id note");
    const nd = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const namesz = nd.getUint32(0, le);
    const descsz = nd.getUint32(4, le);
    const descAt = 12 + ((namesz + 3) & ~3);
    if (descAt + descsz <= b.length) buildId = Buffer.from(b.subarray(descAt, descAt + descsz)).toString("hex");
  }

  const modinfo: Record<string, string> = {};
  const mi = sections.find((s) => s.name === ".modinfo" && s.type !== SHT_NOBITS);
  if (mi && mi.size < 1 << 20) {
    const b = await contents(mi, "the .modinfo section");
    for (const kv of Buffer.from(b).toString("latin1").split("\0")) {
      const eq = kv.indexOf("=");
      if (eq > 0 && !(kv.slice(0, eq) in modinfo)) modinfo[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }

  let release: string | null = null;
  if (modinfo["vermagic"]) release = modinfo["vermagic"].split(" ")[0] ?? null;
  else {
    const banner = symbols.find((s) => s.name === "linux_banner" && s.kind === "object");
    const sec = banner ? sections[banner.shndx] : undefined;
    if (banner && sec && sec.type !== SHT_NOBITS && banner.value >= sec.addr) {
      const at = sec.offset + Number(banner.value - sec.addr);
      const b = await src.read(at, Math.min(512, Math.max(banner.size, 64)));
      const m = /^Linux version (\S{1,128})/.exec(cString(b, 0));
      release = m?.[1] ?? null;
    }
  }

  const hasDebugInfo = sections.some((s) => (s.name === ".debug_line" || s.name === ".zdebug_line") && s.type !== SHT_NOBITS && s.size > 0);
  return {
    is64,
    littleEndian: le,
    type,
    machine: MACHINES[machineNo] ?? `machine ${machineNo}`,
    sections,
    symbols,
    buildId,
    modinfo,
    release,
    hasDebugInfo,
  };
}

/** Whether a section holds code (a place a backtrace frame can point into). */
export function isCodeSection(s: ElfSection | undefined): boolean {
  return !!s && (s.flags & SHF_EXECINSTR) !== 0;
}
