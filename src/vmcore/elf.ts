/**
 * ELF64 vmcores: /proc/vmcore copies, `makedumpfile -E`, QEMU
 * `dump-guest-memory` (with and without -p). PT_NOTE segments hold
 * VMCOREINFO; PT_LOAD segments map physical (p_paddr) and, when filled,
 * virtual (p_vaddr) addresses to file offsets. More than 65535 program
 * headers: e_phnum = PN_XNUM (0xffff) and the real count is section 0's sh_info.
 */
import { readExact, view, VmcoreError, type RandomAccess, type VmcoreDiagnostic } from "./io.js";
import type { MissingSink, PhysicalDump } from "./dump.js";

const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;
/** Kernel virtual addresses (x86_64, arm64) have the top bit set. */
const KERNEL_HALF = 1n << 63n;
/** Refuse more program headers than this (a 16 TiB machine in 4 KiB segments would not get near). */
const MAX_PHDRS = 1 << 22;

export interface LoadSegment {
  offset: number;
  vaddr: bigint;
  paddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

export function isElf64(b: Uint8Array): boolean {
  return b.length >= 5 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46 && b[4] === 2;
}

export function parseNotes(b: Uint8Array): ElfNote[] {
  const notes: ElfNote[] = [];
  const dv = view(b);
  let p = 0;
  const align4 = (n: number): number => (n + 3) & ~3;
  while (p + 12 <= b.length && notes.length < 4096) {
    const namesz = dv.getUint32(p, true);
    const descsz = dv.getUint32(p + 4, true);
    const type = dv.getUint32(p + 8, true);
    const nameStart = p + 12;
    const descStart = nameStart + align4(namesz);
    const end = descStart + align4(descsz);
    if (namesz > b.length || descsz > b.length || descStart + descsz > b.length) break;
    let name = Buffer.from(b.subarray(nameStart, nameStart + namesz)).toString("latin1");
    const nul = name.indexOf("\0");
    if (nul >= 0) name = name.slice(0, nul);
    notes.push({ name, type, desc: b.subarray(descStart, descStart + descsz) });
    if (end <= p) break;
    p = end;
  }
  return notes;
}

export class Elf64Dump implements PhysicalDump {
  readonly format = "elf64" as const;
  description = "ELF64 vmcore";
  vmcoreinfo: string | null = null;
  complete = true;
  readonly diagnostics: VmcoreDiagnostic[] = [];
  /** By p_paddr, overlaps removed. */
  loads: LoadSegment[] = [];
  /** As in the file, in program-header order. */
  rawLoads: LoadSegment[] = [];
  /** PT_NOTE segments as in the file. */
  noteSegments: Array<{ offset: number; size: number }> = [];
  /** Sorted by vaddr, only those with a kernel virtual address. */
  private vloads: LoadSegment[] = [];
  notes: ElfNote[] = [];
  machine = 0;
  phnum = 0;

  private constructor(private readonly src: RandomAccess) {}

  static async open(src: RandomAccess): Promise<Elf64Dump> {
    const d = new Elf64Dump(src);
    await d.init();
    return d;
  }

  private async init(): Promise<void> {
    const src = this.src;
    const eh = await readExact(src, 0, 64, "ELF header");
    if (!isElf64(eh)) throw new VmcoreError("not-a-vmcore", "not an ELF64 file");
    if (eh[5] !== 1) throw new VmcoreError("unsupported", "big-endian ELF vmcores are not supported (x86_64 and arm64 only)");
    const dv = view(eh);
    const type = dv.getUint16(16, true);
    if (type !== 4) throw new VmcoreError("not-a-vmcore", `ELF type ${type} is not ET_CORE`);
    this.machine = dv.getUint16(18, true);
    const phoff = Number(dv.getBigUint64(32, true));
    const shoff = Number(dv.getBigUint64(40, true));
    const phentsize = dv.getUint16(54, true);
    let phnum = dv.getUint16(56, true);
    if (phentsize !== 56) throw new VmcoreError("bad-header", `ELF e_phentsize ${phentsize}, expected 56`);
    if (phnum === PN_XNUM) {
      const sh = await readExact(src, shoff, 64, "ELF section header 0 (PN_XNUM)");
      phnum = view(sh).getUint32(44, true);
    }
    if (phnum > MAX_PHDRS) throw new VmcoreError("bad-header", `ELF: ${phnum} program headers is implausible`);
    this.phnum = phnum;
    const ph = await src.read(phoff, phnum * 56);
    if (ph.length < phnum * 56) {
      this.complete = false;
      this.diagnostics.push({ code: "truncated-dump", severity: "error", message: `the file ends inside the program headers (${ph.length / 56 | 0} of ${phnum})` });
    }
    const pv = view(ph);
    const noteSegs: Array<{ offset: number; size: number }> = [];
    let anyVaddr = false;
    for (let i = 0; i + 56 <= ph.length; i += 56) {
      const pType = pv.getUint32(i, true);
      const offset = Number(pv.getBigUint64(i + 8, true));
      const vaddr = pv.getBigUint64(i + 16, true);
      const paddr = Number(pv.getBigUint64(i + 24, true));
      const filesz = Number(pv.getBigUint64(i + 32, true));
      const memsz = Number(pv.getBigUint64(i + 40, true));
      if (pType === PT_NOTE) noteSegs.push({ offset, size: filesz });
      else if (pType === PT_LOAD) {
        this.loads.push({ offset, vaddr, paddr, filesz, memsz });
        if (vaddr >= KERNEL_HALF) anyVaddr = true;
      }
    }
    this.rawLoads = this.loads;
    this.noteSegments = noteSegs;
    // Kernel-half addresses only: QEMU's arm64 dumps (which cannot page) carry p_vaddr = p_paddr.
    this.vloads = this.loads.filter((l) => l.vaddr >= KERNEL_HALF).sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
    this.loads = physicalRanges(this.loads);
    let truncatedLoads = 0;
    for (const l of this.loads) if (l.offset + l.filesz > src.size) truncatedLoads++;
    if (truncatedLoads > 0) {
      this.complete = false;
      this.diagnostics.push({ code: "truncated-dump", severity: "warning", message: `${truncatedLoads} PT_LOAD segment(s) extend past the end of the file (${src.size} bytes); memory there reads as missing` });
    }
    for (const n of noteSegs) {
      if (n.size > 64 << 20) continue;
      const b = await src.read(n.offset, n.size);
      this.notes.push(...parseNotes(b));
    }
    const vi = this.notes.find((n) => n.name === "VMCOREINFO");
    if (vi) this.vmcoreinfo = Buffer.from(vi.desc).toString("latin1");
    const qemu = this.notes.some((n) => n.name === "QEMU");
    this.description = `ELF64 vmcore, ${this.rawLoads.length} PT_LOAD${phnum >= PN_XNUM ? ` (${phnum} program headers: PN_XNUM)` : ""}${qemu ? ", QEMU dump-guest-memory" : ""}${anyVaddr ? "" : ", no virtual addresses"}`;
  }

  loadVirtToPhys(vaddr: bigint): number | undefined {
    return this.loadVirtRun(vaddr)?.paddr;
  }

  /** Physical address of a virtual one and how many bytes the same PT_LOAD maps from there. */
  loadVirtRun(vaddr: bigint): { paddr: number; length: number } | undefined {
    const v = this.vloads;
    let lo = 0;
    let hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = v[mid]!;
      if (vaddr < l.vaddr) hi = mid - 1;
      else if (vaddr >= l.vaddr + BigInt(l.memsz)) lo = mid + 1;
      else {
        const rel = Number(vaddr - l.vaddr);
        return { paddr: l.paddr + rel, length: l.memsz - rel };
      }
    }
    return undefined;
  }

  private findLoad(paddr: number): LoadSegment | undefined {
    const v = this.loads;
    let lo = 0;
    let hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = v[mid]!;
      if (paddr < l.paddr) hi = mid - 1;
      else if (paddr >= l.paddr + l.memsz) lo = mid + 1;
      else return l;
    }
    return undefined;
  }

  async physRanges(): Promise<Array<{ start: number; length: number }>> {
    const size = this.src.size;
    return this.loads
      .map((l) => ({ start: l.paddr, length: Math.max(0, Math.min(l.filesz, size - l.offset)) }))
      .filter((r) => r.length > 0);
  }

  async readPhys(paddr: number, length: number, missing: MissingSink): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = paddr + done;
      const l = this.findLoad(a);
      if (!l) {
        // Skip to the next segment start or the end.
        const nextSeg = this.loads.find((s) => s.paddr > a);
        const n = Math.min(length - done, nextSeg ? nextSeg.paddr - a : length - done);
        missing(a, n, `physical address ${a.toString(16)} is in no PT_LOAD segment`);
        done += n;
        continue;
      }
      const rel = a - l.paddr;
      const n = Math.min(length - done, l.paddr + l.memsz - a);
      const inFile = Math.max(0, Math.min(n, l.filesz - rel));
      if (inFile > 0) {
        const b = await this.src.read(l.offset + rel, inFile);
        out.set(b, done);
        if (b.length < inFile) missing(a + b.length, inFile - b.length, "past the end of the truncated file");
      }
      // memsz beyond filesz is zero (makedumpfile -E excluded pages).
      done += n;
    }
    return out;
  }
}

/**
 * Non-overlapping physical ranges, sorted by p_paddr. QEMU's paging dumps
 * (`-p`) write one PT_LOAD per virtual mapping, so the same physical memory
 * can appear several times (direct map, kernel text); the first segment that
 * covers an address is kept, later overlapping parts are trimmed away.
 */
export function physicalRanges(loads: LoadSegment[]): LoadSegment[] {
  const sorted = [...loads].sort((a, b) => a.paddr - b.paddr || b.memsz - a.memsz);
  const out: LoadSegment[] = [];
  let coveredEnd = -1;
  for (const l of sorted) {
    const end = l.paddr + l.memsz;
    if (l.memsz <= 0 || end <= coveredEnd) continue;
    if (l.paddr < coveredEnd) {
      const cut = coveredEnd - l.paddr;
      out.push({ offset: l.offset + cut, vaddr: l.vaddr + BigInt(cut), paddr: coveredEnd, filesz: Math.max(0, l.filesz - cut), memsz: l.memsz - cut });
    } else out.push({ ...l });
    coveredEnd = end;
  }
  return out;
}
