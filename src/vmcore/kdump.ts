/**
 * makedumpfile's kdump-compressed format ("KDUMP   " signature, diskdump
 * header v1-v6): block 0 the disk_dump_header, blocks 1..sub_hdr_size the
 * kdump_sub_header (phys_base, VMCOREINFO and notes locations), then two
 * bitmaps (bitmap_blocks blocks: the first half marks the pfns that exist, the
 * second the pfns that were dumped), then one 24-byte page_desc per dumped
 * pfn, in pfn order, then the page data.
 */
import { cstring, readExact, view, VmcoreError, type RandomAccess, type VmcoreDiagnostic } from "./io.js";
import { DecompressError, inflatePage, lzo1xPage, snappyPage, zstdPage } from "./decompress.js";
import type { MissingSink, PhysicalDump } from "./dump.js";

export const KDUMP_SIGNATURE = "KDUMP   ";
export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10;
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;
export const PAGE_DESC_SIZE = 24;

/** Field offsets of disk_dump_header on 64-bit (utsname is 6 x 65 bytes, then timeval aligned to 8). */
export const HDR = {
  headerVersion: 8,
  utsname: 12,
  timestamp: 408,
  status: 424,
  blockSize: 428,
  subHdrSize: 432,
  bitmapBlocks: 436,
  maxMapnr: 440,
  totalRamBlocks: 444,
  deviceBlocks: 448,
  writtenBlocks: 452,
  currentCpu: 456,
  nrCpus: 460,
} as const;

/** kdump_sub_header (x86_64 / 64-bit). */
export const SUB = {
  physBase: 0,
  dumpLevel: 8,
  split: 12,
  startPfn: 16,
  endPfn: 24,
  offsetVmcoreinfo: 32,
  sizeVmcoreinfo: 40,
  offsetNote: 48,
  sizeNote: 56,
  offsetEraseinfo: 64,
  sizeEraseinfo: 72,
  startPfn64: 80,
  endPfn64: 88,
  maxMapnr64: 96,
} as const;

export interface KdumpHeader {
  headerVersion: number;
  utsname: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string };
  timestamp: number;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  nrCpus: number;
  physBase: bigint;
  dumpLevel: number;
  offsetVmcoreinfo: number;
  sizeVmcoreinfo: number;
  offsetNote: number;
  sizeNote: number;
  /** File offsets. */
  bitmap1: number;
  bitmap2: number;
  bitmapHalf: number;
  pageDescs: number;
}

export function compressionName(status: number): string {
  const names: string[] = [];
  if (status & DUMP_DH_COMPRESSED_ZLIB) names.push("zlib");
  if (status & DUMP_DH_COMPRESSED_LZO) names.push("lzo");
  if (status & DUMP_DH_COMPRESSED_SNAPPY) names.push("snappy");
  if (status & DUMP_DH_COMPRESSED_ZSTD) names.push("zstd");
  return names.length ? names.join("+") : "uncompressed";
}

export async function readKdumpHeader(src: RandomAccess): Promise<KdumpHeader> {
  const h = await readExact(src, 0, 464, "kdump header");
  if (!isKdumpSignature(h)) {
    throw new VmcoreError("not-a-vmcore", "no KDUMP signature");
  }
  const dv = view(h);
  const headerVersion = dv.getInt32(HDR.headerVersion, true);
  const blockSize = dv.getInt32(HDR.blockSize, true);
  const subHdrSize = dv.getInt32(HDR.subHdrSize, true);
  const bitmapBlocks = dv.getUint32(HDR.bitmapBlocks, true);
  if (headerVersion < 1 || headerVersion > 100) throw new VmcoreError("bad-header", `kdump header: implausible header_version ${headerVersion}`);
  if (blockSize < 512 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0) {
    throw new VmcoreError("bad-header", `kdump header: implausible block_size ${blockSize}`);
  }
  if (subHdrSize < 0 || subHdrSize > 1 << 16) throw new VmcoreError("bad-header", `kdump header: implausible sub_hdr_size ${subHdrSize}`);
  if (bitmapBlocks === 0 || bitmapBlocks % 2 !== 0 || bitmapBlocks > 1 << 24) {
    throw new VmcoreError("bad-header", `kdump header: implausible bitmap_blocks ${bitmapBlocks}`);
  }
  const uts = (i: number): string => cstring(h, HDR.utsname + 65 * i, 65);
  const s = await readExact(src, blockSize, Math.min(104, subHdrSize * blockSize), "kdump sub-header");
  const sv = view(s);
  const has = (off: number, len: number): boolean => s.length >= off + len;
  const i64 = (off: number): number => {
    if (!has(off, 8)) return 0;
    const v = sv.getBigInt64(off, true);
    return v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  let maxMapnr = dv.getUint32(HDR.maxMapnr, true);
  if (headerVersion >= 6 && has(SUB.maxMapnr64, 8)) {
    const m = sv.getBigUint64(SUB.maxMapnr64, true);
    if (m > 0n && m < 1n << 40n) maxMapnr = Number(m);
  }
  const bitmap1 = (1 + subHdrSize) * blockSize;
  const bitmapHalf = (bitmapBlocks * blockSize) / 2;
  return {
    headerVersion,
    utsname: { sysname: uts(0), nodename: uts(1), release: uts(2), version: uts(3), machine: uts(4), domainname: uts(5) },
    timestamp: Number(dv.getBigInt64(HDR.timestamp, true)),
    status: dv.getUint32(HDR.status, true),
    blockSize,
    subHdrSize,
    bitmapBlocks,
    maxMapnr,
    nrCpus: dv.getInt32(HDR.nrCpus, true),
    physBase: has(SUB.physBase, 8) ? sv.getBigInt64(SUB.physBase, true) : 0n,
    dumpLevel: has(SUB.dumpLevel, 4) ? sv.getInt32(SUB.dumpLevel, true) : -1,
    offsetVmcoreinfo: headerVersion >= 3 ? i64(SUB.offsetVmcoreinfo) : 0,
    sizeVmcoreinfo: headerVersion >= 3 ? i64(SUB.sizeVmcoreinfo) : 0,
    offsetNote: headerVersion >= 4 ? i64(SUB.offsetNote) : 0,
    sizeNote: headerVersion >= 4 ? i64(SUB.sizeNote) : 0,
    bitmap1,
    bitmap2: bitmap1 + bitmapHalf,
    bitmapHalf,
    pageDescs: bitmap1 + bitmapBlocks * blockSize,
  };
}

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** Set bits of each byte value. */
const POPCOUNT8 = Uint8Array.from({ length: 256 }, (_, b) => popcount8(b));

/** Set bits in a 32-bit word (SWAR). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Most pages kept decompressed at once. */
const PAGE_CACHE = 64;
/** Bound on the runs of dumped pages physRanges() lists. */
const MAX_RUNS = 1 << 20;
/** Largest read prefetch() makes of pages stored back to back. */
const PREFETCH_MAX = 1 << 20;

export class KdumpCompressed implements PhysicalDump {
  readonly format = "kdump-compressed" as const;
  readonly description: string;
  vmcoreinfo: string | null = null;
  readonly physBase: bigint;
  readonly dumpLevel: number;
  readonly blockSize: number;
  complete: boolean;
  readonly utsname: KdumpHeader["utsname"];
  readonly timestamp: number;
  readonly diagnostics: VmcoreDiagnostic[] = [];
  /** Bitmap-2 chunks (one block each) and the number of set bits before each chunk, filled in order. */
  private readonly chunks: Uint8Array[] = [];
  private readonly rankBefore: number[] = [0];
  /** Per chunk, set bits before each 64-byte stretch of it (a rank query then counts at most 63 bytes). */
  private readonly stretchRank: Uint32Array[] = [];
  private chunkLoad: Promise<void> = Promise.resolve();
  private readonly inflight = new Map<number, Promise<Uint8Array | string>>();
  private readonly pages = new Map<number, Uint8Array>();
  /**
   * Decoded pages by file offset: makedumpfile stores a page of zeroes once and
   * points every zero page's descriptor at it (dump levels without bit 1).
   */
  private readonly byOffset = new Map<number, Uint8Array>();
  private readonly descBlocks = new Map<number, Uint8Array>();
  /** pfns whose data was read (for the minimiser). */
  readonly touchedPfns = new Set<number>();
  private warnedTruncated = false;

  private constructor(
    private readonly src: RandomAccess,
    readonly header: KdumpHeader,
    format?: string,
  ) {
    const h = header;
    this.physBase = h.physBase;
    this.dumpLevel = h.dumpLevel;
    this.blockSize = h.blockSize;
    this.utsname = h.utsname;
    this.timestamp = h.timestamp;
    this.complete = (h.status & DUMP_DH_COMPRESSED_INCOMPLETE) === 0;
    this.description = `${format ?? "kdump-compressed"} v${h.headerVersion}, ${compressionName(h.status)}, dump level ${h.dumpLevel}`;
    if (!this.complete) {
      this.diagnostics.push({ code: "incomplete-dump", severity: "warning", message: "the dump is marked incomplete (makedumpfile ran out of space or was interrupted); reading what it holds" });
    }
    if (src.size < h.pageDescs) {
      this.complete = false;
      this.diagnostics.push({ code: "truncated-dump", severity: "warning", message: `the file (${src.size} bytes) ends before the page descriptors (${h.pageDescs})` });
    }
  }

  static async open(src: RandomAccess, format?: string): Promise<KdumpCompressed> {
    const h = await readKdumpHeader(src);
    const d = new KdumpCompressed(src, h, format);
    if (h.offsetVmcoreinfo > 0 && h.sizeVmcoreinfo > 0) {
      if (h.sizeVmcoreinfo > 1 << 20) {
        d.diagnostics.push({ code: "bad-vmcoreinfo", severity: "error", message: `VMCOREINFO size ${h.sizeVmcoreinfo} is implausible` });
      } else {
        const b = await src.read(h.offsetVmcoreinfo, h.sizeVmcoreinfo);
        if (b.length < h.sizeVmcoreinfo) d.diagnostics.push({ code: "truncated-dump", severity: "error", message: "the file ends inside VMCOREINFO" });
        d.vmcoreinfo = Buffer.from(b).toString("latin1");
      }
    }
    return d;
  }

  /** Bitmap-2 bit and rank of a pfn: is it in the dump, and which page descriptor is its. */
  private async locate(pfn: number): Promise<{ dumped: boolean; index: number }> {
    const bitsPerChunk = this.blockSize * 8;
    const chunk = Math.floor(pfn / bitsPerChunk);
    if (pfn < 0 || pfn >= this.header.bitmapHalf * 8) return { dumped: false, index: 0 };
    if (this.chunks.length <= chunk) await this.loadChunks(chunk);
    const bits = this.chunks[chunk]!;
    const bit = pfn - chunk * bitsPerChunk;
    const byte = bit >> 3;
    const dumped = ((bits[byte]! >> (bit & 7)) & 1) === 1;
    let index = this.rankBefore[chunk]! + this.stretchRank[chunk]![byte >> 6]!;
    for (let i = byte & ~63; i < byte; i++) index += POPCOUNT8[bits[i]!]!;
    index += POPCOUNT8[bits[byte]! & ((1 << (bit & 7)) - 1)]!;
    return { dumped, index };
  }

  /** Loads bitmap blocks up to `chunk`, one loader at a time (concurrent page reads share them). */
  private loadChunks(chunk: number): Promise<void> {
    const bitsPerChunk = this.blockSize * 8;
    const p = this.chunkLoad.then(async () => {
      while (this.chunks.length <= chunk) {
        // The rank of a pfn needs every block before it: read them 16 at a time (fewer round trips).
        const first = this.chunks.length;
        const maxBlocks = Math.ceil((this.header.bitmapHalf * 8) / bitsPerChunk);
        const count = Math.max(1, Math.min(maxBlocks - first, 16));
        const start = this.header.bitmap2 + first * this.blockSize;
        const got = await this.src.read(start, count * this.blockSize);
        for (let k = 0; k < count; k++) this.addChunk(got.subarray(k * this.blockSize, (k + 1) * this.blockSize), start + k * this.blockSize);
      }
    });
    this.chunkLoad = p.catch(() => undefined);
    return p;
  }

  /** Appends one bitmap block (zero-filled when the file ends inside it) with its rank tables. */
  private addChunk(b: Uint8Array, off: number): void {
    const i = this.chunks.length;
    const full = new Uint8Array(this.blockSize);
    full.set(b);
    if (b.length < this.blockSize) this.noteTruncated(`bitmap block at ${off}`);
    this.chunks.push(full);
    const ranks = new Uint32Array(Math.ceil(full.length / 64) + 1);
    let n = 0;
    // A 64-byte stretch at a time, counted in 32-bit words (4x fewer steps than bytes:
    // this runs once per 4 KiB bitmap block, cold, before the first page can be read).
    const words = new Uint32Array(full.buffer, 0, full.length >> 2); // `full` is a fresh, aligned array
    for (let j = 0, w = 0; j < full.length; j += 64) {
      ranks[j >> 6] = n;
      if (j + 64 <= full.length) {
        // Bitmaps are mostly runs of all-excluded or all-dumped pages: those words need no counting.
        for (const end = w + 16; w < end; w++) {
          const x = words[w]!;
          if (x !== 0) n += x === 0xffffffff ? 32 : popcount32(x);
        }
      } else {
        for (let k = j; k < Math.min(j + 64, full.length); k++) n += POPCOUNT8[full[k]!]!;
        w += 16;
      }
    }
    ranks[ranks.length - 1] = n;
    this.stretchRank.push(ranks);
    this.rankBefore.push(this.rankBefore[i]! + n);
  }

  private noteTruncated(what: string): void {
    this.complete = false;
    if (this.warnedTruncated) return;
    this.warnedTruncated = true;
    this.diagnostics.push({ code: "truncated-dump", severity: "warning", message: `the file ends early (${what} is past its end, ${this.src.size} bytes); pages there read as missing` });
  }

  private async descriptor(index: number): Promise<{ offset: number; size: number; flags: number } | string> {
    const off = this.header.pageDescs + index * PAGE_DESC_SIZE;
    const blk = Math.floor(off / 4096);
    let b = this.descBlocks.get(blk);
    if (!b) {
      b = await this.src.read(blk * 4096, 4096 + PAGE_DESC_SIZE);
      if (this.descBlocks.size > 16) this.descBlocks.clear();
      this.descBlocks.set(blk, b);
    }
    const rel = off - blk * 4096;
    if (b.length < rel + PAGE_DESC_SIZE) {
      this.noteTruncated(`page descriptor ${index}`);
      return "page descriptor past the end of the file";
    }
    const dv = view(b);
    const offset = dv.getBigInt64(rel, true);
    const size = dv.getUint32(rel + 8, true);
    const flags = dv.getUint32(rel + 12, true);
    if (offset <= 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return `page descriptor ${index}: bad offset ${offset}`;
    return { offset: Number(offset), size, flags };
  }

  /** One page (block) by pfn, or a reason it is not available. Concurrent callers of one pfn share one read. */
  page(pfn: number): Promise<Uint8Array | string> {
    const cached = this.pages.get(pfn);
    if (cached) return Promise.resolve(cached);
    let p = this.inflight.get(pfn);
    if (!p) {
      p = this.loadPage(pfn).finally(() => this.inflight.delete(pfn));
      this.inflight.set(pfn, p);
    }
    return p;
  }

  private async loadPage(pfn: number): Promise<Uint8Array | string> {
    const { dumped, index } = await this.locate(pfn);
    if (!dumped) return `pfn ${pfn.toString(16)} is not in the dump (excluded or beyond max_mapnr)`;
    const d = await this.descriptor(index);
    if (typeof d === "string") return d;
    const bs = this.blockSize;
    if (d.size === 0 || d.size > bs) return `pfn ${pfn.toString(16)}: page descriptor size ${d.size} is invalid (block size ${bs})`;
    this.touchedPfns.add(pfn);
    const shared = this.byOffset.get(d.offset);
    if (shared) return this.cachePage(pfn, shared);
    const data = await this.src.read(d.offset, d.size);
    if (data.length < d.size) {
      this.noteTruncated(`page data of pfn ${pfn.toString(16)}`);
      return `pfn ${pfn.toString(16)}: page data past the end of the file`;
    }
    return this.decodePage(pfn, d, data);
  }

  /** A page's stored bytes, decompressed and cached; or why they cannot be. */
  private decodePage(pfn: number, d: { offset: number; size: number; flags: number }, data: Uint8Array): Uint8Array | string {
    const bs = this.blockSize;
    let page: Uint8Array;
    try {
      if (d.flags & DUMP_DH_COMPRESSED_ZLIB) page = inflatePage(data, bs);
      else if (d.flags & DUMP_DH_COMPRESSED_LZO) page = lzo1xPage(data, bs);
      else if (d.flags & DUMP_DH_COMPRESSED_SNAPPY) page = snappyPage(data, bs);
      else if (d.flags & DUMP_DH_COMPRESSED_ZSTD) page = zstdPage(data, bs);
      else if (d.size === bs) page = data;
      else return `pfn ${pfn.toString(16)}: uncompressed page of ${d.size} bytes (block size ${bs})`;
    } catch (e) {
      if (e instanceof DecompressError) return `pfn ${pfn.toString(16)}: ${e.message}`;
      throw e;
    }
    if (this.byOffset.size >= 8) this.byOffset.delete(this.byOffset.keys().next().value!);
    this.byOffset.set(d.offset, page);
    return this.cachePage(pfn, page);
  }

  private cachePage(pfn: number, page: Uint8Array): Uint8Array {
    if (this.pages.size >= PAGE_CACHE) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(pfn, page);
    return page;
  }

  async prefetch(paddrs: readonly number[]): Promise<void> {
    const bs = this.blockSize;
    const want: Array<{ pfn: number; offset: number; size: number; flags: number }> = [];
    const seen = new Set<number>();
    for (const a of paddrs.slice(0, PAGE_CACHE >> 1)) {
      const pfn = Math.floor(a / bs);
      if (seen.has(pfn) || this.pages.has(pfn) || this.inflight.has(pfn)) continue;
      seen.add(pfn);
      const { dumped, index } = await this.locate(pfn);
      if (!dumped) continue;
      const d = await this.descriptor(index);
      if (typeof d === "string" || d.size === 0 || d.size > bs || this.byOffset.has(d.offset)) continue;
      if (want.some((w) => w.offset === d.offset)) continue; // a shared page (zeroes): loaded once by readPhys
      want.push({ pfn, ...d });
    }
    want.sort((x, y) => x.offset - y.offset);
    // makedumpfile writes pages in pfn order, back to back: one read per run.
    for (let i = 0; i < want.length; ) {
      const start = want[i]!.offset;
      let end = start + want[i]!.size;
      let j = i + 1;
      while (j < want.length && want[j]!.offset === end && end - start < PREFETCH_MAX) end += want[j++]!.size;
      if (j - i > 1) {
        const buf = await this.src.read(start, end - start);
        if (buf.length === end - start) {
          for (let k = i; k < j; k++) {
            const w = want[k]!;
            this.touchedPfns.add(w.pfn);
            this.decodePage(w.pfn, w, buf.subarray(w.offset - start, w.offset - start + w.size));
          }
        }
      }
      i = j;
    }
  }

  /**
   * Runs of dumped pages, from bitmap 2 as far as the file holds it (read
   * 64 KiB at a time, not kept): a header claiming terabytes of memory costs
   * only what its file has. At most MAX_RUNS runs.
   */
  async physRanges(): Promise<Array<{ start: number; length: number }>> {
    const h = this.header;
    const bs = this.blockSize;
    const inFile = Math.max(0, Math.min(h.bitmapHalf, this.src.size - h.bitmap2));
    const pfnLimit = Math.min(h.maxMapnr, inFile * 8);
    const runs: Array<{ start: number; length: number }> = [];
    let runStart = -1;
    const STEP = 1 << 16;
    for (let byteAt = 0; byteAt * 8 < pfnLimit && runs.length < MAX_RUNS; byteAt += STEP) {
      const b = await this.src.read(h.bitmap2 + byteAt, Math.min(STEP, Math.ceil(pfnLimit / 8) - byteAt));
      for (let i = 0; i < b.length; i++) {
        const v = b[i]!;
        if ((v === 0 && runStart < 0) || (v === 0xff && runStart >= 0)) continue;
        for (let bit = 0; bit < 8; bit++) {
          const pfn = (byteAt + i) * 8 + bit;
          if (pfn >= pfnLimit) break;
          const set = (v >> bit) & 1;
          if (set && runStart < 0) runStart = pfn;
          else if (!set && runStart >= 0) {
            runs.push({ start: runStart * bs, length: (pfn - runStart) * bs });
            runStart = -1;
          }
        }
      }
    }
    if (runStart >= 0 && runs.length < MAX_RUNS) runs.push({ start: runStart * bs, length: (pfnLimit - runStart) * bs });
    return runs;
  }

  async readPhys(paddr: number, length: number, missing: MissingSink): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const bs = this.blockSize;
    let done = 0;
    while (done < length) {
      const a = paddr + done;
      const pfn = Math.floor(a / bs);
      const off = a - pfn * bs;
      const n = Math.min(bs - off, length - done);
      const p = await this.page(pfn);
      if (typeof p === "string") missing(a, n, p);
      else out.set(p.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }
}

export function isKdumpSignature(b: Uint8Array): boolean {
  return b.length >= 8 && String.fromCharCode(...b.subarray(0, 8)) === KDUMP_SIGNATURE;
}
