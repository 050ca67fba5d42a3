/**
 * Random access into an .xz file written in independent blocks (`xz -T0`,
 * `xz --block-size`, pixz: every multi-threaded xz), from the stream's own
 * index: a read decompresses only the blocks it touches, so a dump
 * compressed that way is read in place instead of being decompressed whole.
 *
 * The format (xz-file-format 1.2.1): a 12-byte stream header, the blocks
 * (each padded to 4 bytes), the index (0x00, record count, then per block
 * its unpadded and uncompressed size, as varints; padding; CRC32) and a
 * 12-byte footer (CRC32, backward size, flags, "YZ"). One block is decoded
 * by handing xz-decompress a stream of its own: the original header, that
 * block, and a one-record index and footer built here.
 */
import { crc32 } from "node:zlib";
import xz from "xz-decompress";
import type { RandomAccess, ReadStats } from "../vmcore/io.js";
import { SourceError } from "./errors.js";

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
/** A block larger than this is not decoded into memory (the caller falls back to a temporary copy). */
const MAX_BLOCK = 256 << 20;
/** Decoded blocks kept. */
const CACHE_BLOCKS = 2;

interface Block {
  /** Offset of the block in the .xz file. */
  fileOffset: number;
  /** Header + compressed data + check, without padding (as the index records it). */
  unpadded: number;
  /** Offset of the block's data in the decompressed file. */
  start: number;
  size: number;
}

function varint(b: Uint8Array, at: { i: number }): number {
  let v = 0;
  let mul = 1;
  for (let n = 0; n < 9; n++) {
    const x = b[at.i++];
    if (x === undefined) throw new Error("index ends inside a number");
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return v;
    mul *= 128;
  }
  throw new Error("index number too long");
}

function putVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Decompresses one complete .xz stream held in memory. */
async function decodeStream(bytes: Uint8Array, expected: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
  const out = new Uint8Array(expected);
  let at = 0;
  for await (const chunk of new xz.XzReadableStream(input) as unknown as AsyncIterable<Uint8Array>) {
    if (at + chunk.length > expected) throw new Error("a block decompresses to more than its index says");
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== expected) throw new Error(`a block decompresses to ${at} bytes, its index says ${expected}`);
  return out;
}

export class XzBlockAccess implements RandomAccess {
  readonly stats: ReadStats = { reads: 0, bytesRead: 0 };
  private readonly cache = new Map<number, Uint8Array>();

  /** Blocks decoded so far (a block read twice after leaving the cache counts twice). */
  blocksDecoded = 0;

  private constructor(
    private readonly file: RandomAccess,
    private readonly path: string,
    private readonly header: Uint8Array,
    private readonly blocks: Block[],
    readonly size: number,
  ) {}

  /** Blocks in the file. */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** The largest block's decompressed size. */
  get largestBlock(): number {
    return Math.max(0, ...this.blocks.map((b) => b.size));
  }

  /**
   * Reads the index of a single-stream .xz file; null when the file is not
   * one, has stream padding or several streams, one block only, or blocks
   * too large to decode into memory (the caller then decompresses it whole).
   */
  static async open(file: RandomAccess, path: string): Promise<XzBlockAccess | null> {
    if (file.size < 32) return null;
    const header = await file.read(0, 12);
    if (!HEADER_MAGIC.every((m, i) => header[i] === m)) return null;
    const footer = await file.read(file.size - 12, 12);
    if (footer[10] !== 0x59 || footer[11] !== 0x5a) return null; // "YZ": no stream padding after it
    if (footer[8] !== header[6] || footer[9] !== header[7]) return null;
    const backward = ((footer[4]! | (footer[5]! << 8) | (footer[6]! << 16)) + footer[7]! * 0x1000000 + 1) * 4;
    const indexAt = file.size - 12 - backward;
    if (indexAt < 12 || backward > 64 << 20) return null;
    const index = await file.read(indexAt, backward);
    if (index[0] !== 0x00) return null;
    const stored = index[backward - 4]! | (index[backward - 3]! << 8) | (index[backward - 2]! << 16) | (index[backward - 1]! * 0x1000000);
    if ((crc32(index.subarray(0, backward - 4)) >>> 0) !== stored >>> 0) return null;
    const at = { i: 1 };
    let n: number;
    const blocks: Block[] = [];
    try {
      n = varint(index, at);
      if (n > (backward - 8) / 2) return null;
      let fileOffset = 12;
      let start = 0;
      for (let k = 0; k < n; k++) {
        const unpadded = varint(index, at);
        const size = varint(index, at);
        if (unpadded < 5 || size > MAX_BLOCK) return null;
        blocks.push({ fileOffset, unpadded, start, size });
        fileOffset += Math.ceil(unpadded / 4) * 4;
        start += size;
      }
      if (fileOffset !== indexAt) return null; // another stream before this one
    } catch {
      return null;
    }
    if (blocks.length < 2) return null;
    const last = blocks[blocks.length - 1]!;
    return new XzBlockAccess(file, path, header, blocks, last.start + last.size);
  }

  /** One block, decoded (cached). */
  private async block(i: number): Promise<Uint8Array> {
    const hit = this.cache.get(i);
    if (hit) return hit;
    const b = this.blocks[i]!;
    const padded = Math.ceil(b.unpadded / 4) * 4;
    const data = await this.file.read(b.fileOffset, padded);
    if (data.length < padded) throw new SourceError(`${this.path}: the file ends inside block ${i + 1} of ${this.blocks.length} (truncated?)`, this.path);
    // A one-block stream: the original header, this block, its index and a footer.
    const idx: number[] = [0x00];
    putVarint(idx, 1);
    putVarint(idx, b.unpadded);
    putVarint(idx, b.size);
    while (idx.length % 4 !== 0) idx.push(0);
    const idxBytes = Uint8Array.from(idx);
    const idxCrc = crc32(idxBytes) >>> 0;
    const backward = (idxBytes.length + 4) / 4 - 1;
    const tail = [...u32le(backward), this.header[6]!, this.header[7]!];
    const footer = [...u32le(crc32(Uint8Array.from(tail)) >>> 0), ...tail, 0x59, 0x5a];
    const stream = new Uint8Array(12 + padded + idxBytes.length + 4 + 12);
    stream.set(this.header, 0);
    stream.set(data, 12);
    stream.set(idxBytes, 12 + padded);
    stream.set(u32le(idxCrc), 12 + padded + idxBytes.length);
    stream.set(footer, 12 + padded + idxBytes.length + 4);
    let out: Uint8Array;
    try {
      out = await decodeStream(stream, b.size);
    } catch (e) {
      throw new SourceError(`${this.path}: block ${i + 1} of ${this.blocks.length} is not valid xz data (${(e as Error)?.message ?? String(e)}); check it with 'xz -t ${this.path}'`, this.path);
    }
    this.blocksDecoded++;
    if (this.cache.size >= CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(i, out);
    return out;
  }

  /** The block holding decompressed offset `pos`. */
  private find(pos: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blocks[mid]!.start <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, offset);
    const end = Math.min(this.size, start + Math.max(0, length));
    if (end <= start) return new Uint8Array(0);
    const out = new Uint8Array(end - start);
    let at = start;
    while (at < end) {
      const i = this.find(at);
      const b = this.blocks[i]!;
      const data = await this.block(i);
      const from = at - b.start;
      const n = Math.min(end - at, b.size - from);
      out.set(data.subarray(from, from + n), at - start);
      at += n;
    }
    this.stats.reads++;
    this.stats.bytesRead += out.length;
    return out;
  }
}
