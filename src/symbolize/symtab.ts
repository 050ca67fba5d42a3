/**
 * Symbol tables for resolution: from an ELF symbol table (vmlinux, modules)
 * or from the text of a `System.map` / `/proc/kallsyms` (name-only
 * resolution: no sizes, no lines). Pure: callers hand in bytes or text.
 */
import type { ElfInfo, ElfSymbol } from "./elf.js";
import { isCodeSection } from "./elf.js";

export interface SymbolEntry {
  name: string;
  /** Absolute address (vmlinux, System.map, kallsyms) or offset in `section` (modules). */
  address: bigint;
  /** Size in bytes; null when the table has none (System.map: derived from the next symbol). */
  size: number | null;
  /** The section it lives in, for relocatable objects (`.text`, `.text.unlikely`, ...). */
  section: string | null;
  code: boolean;
  /**
   * Bytes to the next code symbol of the same section (or the section's end):
   * the size kallsyms prints (`func+off/SIZE`) is that distance, padding
   * included, so it can exceed the ELF st_size.
   */
  span?: number;
  /** kallsyms: the module in brackets. */
  module?: string;
}

export interface NameLookup {
  /** Candidates for the name, those whose size matches the frame's first. */
  matches: SymbolEntry[];
  /** Symbols by that name exist, but none has the frame's size. */
  sizeMismatch: boolean;
}

export interface AddressLookup {
  symbol: SymbolEntry;
  offset: bigint;
}

/** How far past the last symbol of a map an address may be and still count as in it. */
const MAX_UNSIZED = 0x10000;

export class SymbolTable {
  private readonly byName = new Map<string, SymbolEntry[]>();
  private readonly sorted: SymbolEntry[];

  constructor(
    readonly entries: SymbolEntry[],
    /** Whether addresses are absolute (so address lookups make sense). */
    readonly absolute: boolean,
  ) {
    for (const e of entries) {
      const l = this.byName.get(e.name);
      if (l) l.push(e);
      else this.byName.set(e.name, [e]);
    }
    // Data symbols stay in the address index: they end the function before them.
    this.sorted = absolute ? [...entries].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) : [];
    // System.map and kallsyms carry no sizes: a symbol runs to the next one.
    for (let i = 0; i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      if (e.size !== null) continue;
      let j = i + 1;
      while (j < this.sorted.length && this.sorted[j]!.address === e.address) j++;
      const next = this.sorted[j];
      e.size = next ? Number(next.address - e.address) : null;
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * The symbols a `name+off/size` frame can mean. Static functions of the same
   * name are told apart by their size, as scripts/faddr2line does.
   */
  lookupName(name: string, size: number | null): NameLookup {
    const all = (this.byName.get(name) ?? []).filter((e) => e.code);
    if (all.length === 0) return { matches: [], sizeMismatch: false };
    if (size === null) return { matches: all, sizeMismatch: false };
    const same = all.filter((e) => e.size === size || e.span === size);
    if (same.length > 0) return { matches: same, sizeMismatch: false };
    // kallsyms' distance to the next symbol it knows: at least the function,
    // at most to the next code symbol (alignment padding in between).
    const within = all
      .filter((e) => e.size !== null && e.size <= size && size <= Math.max(e.span ?? 0, alignUp(e.size, 64)))
      .sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
    if (within.length > 0) return { matches: within, sizeMismatch: false };
    // Tables without sizes cannot disagree.
    const unsized = all.filter((e) => e.size === null);
    if (unsized.length > 0) return { matches: unsized, sizeMismatch: false };
    return { matches: all, sizeMismatch: true };
  }

  /** The code symbol containing an absolute address, with the offset into it. */
  lookupAddress(address: bigint): AddressLookup | null {
    const s = this.sorted;
    let lo = 0;
    let hi = s.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]!.address <= address) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    // Prefer a sized symbol among several at the same address (aliases).
    let i = best;
    while (i > 0 && s[i - 1]!.address === s[best]!.address) i--;
    let pick: SymbolEntry | null = null;
    for (let j = i; j <= best; j++) if (s[j]!.code && (!pick || s[j]!.size)) pick = s[j]!;
    if (!pick) return null;
    const offset = address - pick.address;
    // The last symbol of a map has no end: do not stretch it over the rest of memory.
    const size = pick.size ?? (pick.span ?? MAX_UNSIZED);
    if (offset >= BigInt(Math.max(size, 1))) return null;
    return { symbol: pick, offset };
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A table from an ELF object's symbols. Module symbols are section offsets. */
export function tableFromElf(info: ElfInfo): SymbolTable {
  const relocatable = info.type === 1;
  const bySection = new Map<number, SymbolEntry[]>();
  const entries: SymbolEntry[] = info.symbols.map((s: ElfSymbol) => {
    const sec = info.sections[s.shndx];
    const e: SymbolEntry = {
      name: s.name,
      address: s.value,
      size: s.kind === "notype" && s.size === 0 ? null : s.size,
      section: relocatable ? (sec?.name ?? null) : null,
      code: isCodeSection(sec) && s.kind !== "object",
    };
    if (e.code) {
      const l = bySection.get(s.shndx);
      if (l) l.push(e);
      else bySection.set(s.shndx, [e]);
    }
    return e;
  });
  for (const [shndx, list] of bySection) {
    const sec = info.sections[shndx]!;
    const end = (relocatable ? 0n : sec.addr) + BigInt(sec.size);
    list.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      let j = i + 1;
      while (j < list.length && list[j]!.address === e.address) j++;
      const next = j < list.length ? list[j]!.address : end;
      if (next > e.address) e.span = Number(next - e.address);
    }
  }
  return new SymbolTable(entries, !relocatable);
}

/** Fields of `System.map` (`ffffffff81000000 T _text`) and `/proc/kallsyms` (`... t name\t[mod]`) lines. */
const MAP_ADDR = /^[0-9a-fA-F]{8,16}$/;
const MAP_TYPE = /^[A-Za-z]$/;
const MAP_MODULE = /^\[([A-Za-z0-9_-]{1,64})\]$/;

export interface MapParse {
  table: SymbolTable;
  /** Lines that were not symbol lines. */
  badLines: number;
  /** kallsyms read without privilege: every address is 0. */
  allZero: boolean;
}

/** Parses System.map or kallsyms text. Text (t/T) and weak (w/W) symbols count as code. */
export function parseSymbolMap(text: string): MapParse {
  const entries: SymbolEntry[] = [];
  let bad = 0;
  let nonZero = false;
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    const f = line.trim().split(/[ \t]+/);
    const mod = f[3] === undefined ? null : MAP_MODULE.exec(f[3]);
    if (f.length < 3 || f.length > 4 || !MAP_ADDR.test(f[0]!) || !MAP_TYPE.test(f[1]!) || f[2]!.length > 512 || (f.length === 4 && !mod)) {
      bad++;
      continue;
    }
    const address = BigInt("0x" + f[0]!);
    if (address !== 0n) nonZero = true;
    const type = f[1]!;
    const e: SymbolEntry = { name: f[2]!, address, size: null, section: null, code: type === "t" || type === "T" || type === "w" || type === "W" };
    if (mod) e.module = mod[1]!.replace(/-/g, "_");
    entries.push(e);
  }
  return { table: new SymbolTable(entries, true), badLines: bad, allZero: entries.length > 0 && !nonZero };
}
