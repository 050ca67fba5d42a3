/**
 * Minimiser: from a kdump-compressed dump and the pfns the log reader
 * touched, a small valid kdump-compressed dump of the same header, sub-header
 * (VMCOREINFO, notes) and first bitmap, whose second bitmap and page
 * descriptors list only those pages (their compressed bytes copied as they
 * are). Also writers that re-wrap such a dump as makedumpfile's flattened
 * format and as an ELF64 core (QEMU-style: p_vaddr 0), for fixtures of the
 * other readers made from the same real memory.
 */
import { readExact, view, type RandomAccess } from "./io.js";
import { KdumpCompressed, PAGE_DESC_SIZE } from "./kdump.js";
import { FLAT_HEADER_SIZE, FLAT_SIGNATURE } from "./flat.js";
import type { Elf64Dump } from "./elf.js";

export async function minimizeKdump(src: RandomAccess, dump: KdumpCompressed, pfns: Iterable<number>): Promise<Uint8Array> {
  const h = dump.header;
  const bs = h.blockSize;
  const keep = [...new Set(pfns)].sort((a, b) => a - b);
  const headerLen = (1 + h.subHdrSize) * bs;
  const head = await readExact(src, 0, headerLen, "headers");
  const bitmap1 = await readExact(src, h.bitmap1, h.bitmapHalf, "bitmap 1");
  const bitmap2 = new Uint8Array(h.bitmapHalf);
  for (const pfn of keep) bitmap2[pfn >> 3]! |= 1 << (pfn & 7);
  // Original descriptors, found by rank in the original bitmap.
  const origDescs: Uint8Array[] = [];
  const pages: Uint8Array[] = [];
  const orig2 = await readExact(src, h.bitmap2, h.bitmapHalf, "bitmap 2");
  let rank = 0;
  let k = 0;
  for (let pfn = 0; k < keep.length && pfn < h.bitmapHalf * 8; pfn++) {
    const set = ((orig2[pfn >> 3]! >> (pfn & 7)) & 1) === 1;
    if (pfn === keep[k]) {
      if (!set) throw new Error(`pfn ${pfn} is not in the dump`);
      const d = await readExact(src, h.pageDescs + rank * PAGE_DESC_SIZE, PAGE_DESC_SIZE, "page descriptor");
      const dv = view(d);
      origDescs.push(d);
      pages.push(await readExact(src, Number(dv.getBigInt64(0, true)), dv.getUint32(8, true), "page data"));
      k++;
    }
    if (set) rank++;
  }
  const descStart = headerLen + h.bitmapBlocks * bs;
  let dataOff = descStart + keep.length * PAGE_DESC_SIZE;
  const total = dataOff + pages.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  out.set(head, 0);
  out.set(bitmap1, h.bitmap1);
  out.set(bitmap2, h.bitmap2);
  const ov = view(out);
  // Descriptors that shared page data (makedumpfile's one zero page) still share it.
  const placed = new Map<string, number>();
  for (let i = 0; i < keep.length; i++) {
    const at = descStart + i * PAGE_DESC_SIZE;
    const od = view(origDescs[i]!);
    const key = `${od.getBigInt64(0, true)}:${od.getUint32(8, true)}`;
    out.set(origDescs[i]!, at);
    let where = placed.get(key);
    if (where === undefined) {
      where = dataOff;
      placed.set(key, where);
      out.set(pages[i]!, dataOff);
      dataOff += pages[i]!.length;
    }
    ov.setBigInt64(at, BigInt(where), true);
  }
  return out.subarray(0, dataOff);
}

/**
 * makedumpfile's flattened format around a dump: records of at most
 * `recordSize` bytes; the first record is written twice (zeros first, the
 * real bytes last), as makedumpfile rewrites its header at the end.
 */
export function flatten(dump: Uint8Array, recordSize = 1 << 16): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(FLAT_HEADER_SIZE);
  for (let i = 0; i < FLAT_SIGNATURE.length; i++) head[i] = FLAT_SIGNATURE.charCodeAt(i);
  view(head).setBigInt64(16, 1n, false);
  view(head).setBigInt64(24, 1n, false);
  parts.push(head);
  const rec = (offset: number, data: Uint8Array): void => {
    const h = new Uint8Array(16);
    view(h).setBigInt64(0, BigInt(offset), false);
    view(h).setBigInt64(8, BigInt(data.length), false);
    parts.push(h, data);
  };
  const first = Math.min(4096, dump.length);
  rec(0, new Uint8Array(first));
  for (let off = first; off < dump.length; off += recordSize) rec(off, dump.subarray(off, Math.min(dump.length, off + recordSize)));
  rec(0, dump.subarray(0, first));
  const end = new Uint8Array(16);
  view(end).setBigInt64(0, -1n, false);
  view(end).setBigInt64(8, -1n, false);
  parts.push(end);
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * An ELF64 core of the given physical pages (x86_64, little-endian): one
 * PT_NOTE with a VMCOREINFO note, one PT_LOAD per run of contiguous pages with
 * p_vaddr 0 (as QEMU dump-guest-memory writes it), `extraLoads` empty PT_LOADs
 * to reach PN_XNUM territory.
 */
export function elfCore(vmcoreinfo: string, pages: Map<number, Uint8Array>, pageSize: number, extraLoads = 0): Uint8Array {
  const pfns = [...pages.keys()].sort((a, b) => a - b);
  const runs: Array<{ pfn: number; n: number }> = [];
  for (const pfn of pfns) {
    const last = runs[runs.length - 1];
    if (last && last.pfn + last.n === pfn) last.n++;
    else runs.push({ pfn, n: 1 });
  }
  const name = "VMCOREINFO\0";
  const desc = Buffer.from(vmcoreinfo, "latin1");
  const align4 = (n: number): number => (n + 3) & ~3;
  const noteLen = 12 + align4(name.length) + align4(desc.length);
  const phnum = 1 + runs.length + extraLoads;
  const xnum = phnum >= 0xffff;
  const phoff = 64;
  const shoff = phoff + phnum * 56;
  const noteOff = shoff + (xnum ? 64 : 0);
  let dataOff = (noteOff + noteLen + pageSize - 1) & ~(pageSize - 1);
  const total = dataOff + pfns.length * pageSize;
  const out = new Uint8Array(total);
  const dv = view(out);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  dv.setUint16(16, 4, true); // ET_CORE
  dv.setUint16(18, 62, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setBigUint64(40, BigInt(xnum ? shoff : 0), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, xnum ? 0xffff : phnum, true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, xnum ? 1 : 0, true);
  if (xnum) dv.setUint32(shoff + 44, phnum, true);
  const ph = (i: number, type: number, offset: number, paddr: number, filesz: number): void => {
    const p = phoff + i * 56;
    dv.setUint32(p, type, true);
    dv.setUint32(p + 4, type === 1 ? 7 : 0, true);
    dv.setBigUint64(p + 8, BigInt(offset), true);
    dv.setBigUint64(p + 24, BigInt(paddr), true);
    dv.setBigUint64(p + 32, BigInt(filesz), true);
    dv.setBigUint64(p + 40, BigInt(filesz), true);
  };
  ph(0, 4, noteOff, 0, noteLen);
  dv.setUint32(noteOff, name.length, true);
  dv.setUint32(noteOff + 4, desc.length, true);
  dv.setUint32(noteOff + 8, 0, true);
  out.set(Buffer.from(name, "latin1"), noteOff + 12);
  out.set(desc, noteOff + 12 + align4(name.length));
  let i = 1;
  for (const r of runs) {
    ph(i++, 1, dataOff, r.pfn * pageSize, r.n * pageSize);
    for (let j = 0; j < r.n; j++) {
      out.set(pages.get(r.pfn + j)!, dataOff);
      dataOff += pageSize;
    }
  }
  // Empty PT_LOADs far above memory.
  for (let e = 0; e < extraLoads; e++) ph(i++, 1, total, 2 ** 45 + e * pageSize, 0);
  return out;
}

/**
 * An ELF vmcore cut down to what was read: the ELF header, the PT_NOTE
 * segments as they are, and, for every PT_LOAD, only the pages of its file
 * data that appear in `ranges` (file offsets read), each run of them as a new
 * PT_LOAD with p_paddr and p_vaddr moved along. No PN_XNUM in the result
 * unless it still has 65535 program headers.
 */
export async function minimizeElf(src: RandomAccess, elf: Elf64Dump, ranges: Array<[number, number]>, pageSize = 4096): Promise<Uint8Array> {
  const pages = new Set<number>();
  for (const [a, b] of ranges) for (let p = Math.floor(a / pageSize); p * pageSize < b; p++) pages.add(p);
  const eh = await readExact(src, 0, 64, "ELF header");
  type Seg = { type: number; flags: number; data: Uint8Array; vaddr: bigint; paddr: number; memsz: number };
  const segs: Seg[] = [];
  for (const n of elf.noteSegments) segs.push({ type: 4, flags: 0, data: await readExact(src, n.offset, n.size, "note"), vaddr: 0n, paddr: 0, memsz: n.size });
  for (const l of elf.rawLoads) {
    let run: { from: number; to: number } | undefined;
    const flush = async (): Promise<void> => {
      if (!run) return;
      const rel = run.from - l.offset;
      segs.push({ type: 1, flags: 7, data: await readExact(src, run.from, run.to - run.from, "load data"), vaddr: l.vaddr === 0n ? 0n : l.vaddr + BigInt(rel), paddr: l.paddr + rel, memsz: run.to - run.from });
      run = undefined;
    };
    const end = Math.min(l.offset + l.filesz, src.size);
    for (let p = Math.floor(l.offset / pageSize); p * pageSize < end; p++) {
      if (!pages.has(p)) {
        await flush();
        continue;
      }
      const from = Math.max(l.offset, p * pageSize);
      const to = Math.min(end, (p + 1) * pageSize);
      if (run && run.to === from) run.to = to;
      else {
        await flush();
        run = { from, to };
      }
    }
    await flush();
  }
  const phnum = segs.length;
  const phoff = 64;
  let off = phoff + phnum * 56;
  const total = off + segs.reduce((n, x) => n + x.data.length, 0);
  const out = new Uint8Array(total);
  out.set(eh.subarray(0, 64), 0);
  const dv = view(out);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setBigUint64(40, 0n, true);
  dv.setUint16(56, phnum, true);
  dv.setUint16(60, 0, true);
  dv.setUint16(62, 0, true);
  segs.forEach((g, i) => {
    const p = phoff + i * 56;
    dv.setUint32(p, g.type, true);
    dv.setUint32(p + 4, g.flags, true);
    dv.setBigUint64(p + 8, BigInt(off), true);
    dv.setBigUint64(p + 16, g.vaddr, true);
    dv.setBigUint64(p + 24, BigInt(g.paddr), true);
    dv.setBigUint64(p + 32, BigInt(g.data.length), true);
    dv.setBigUint64(p + 40, BigInt(g.memsz), true);
    out.set(g.data, off);
    off += g.data.length;
  });
  return out;
}
