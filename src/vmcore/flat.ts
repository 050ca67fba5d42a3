/**
 * makedumpfile's flattened format (`makedumpfile -F`, QEMU
 * `dump-guest-memory -z`), read in place: a big-endian header
 * ("makedumpfile", type, version) padded to 4096 bytes, then records
 * {be64 offset, be64 size, size bytes} that say where in the real (reassembled)
 * dump each piece goes, until a record with offset -1. Scanning the record
 * headers builds an index (16 bytes read per record, the data is skipped);
 * the result is a RandomAccess over the reassembled dump. Later records win
 * where they overlap, as with `makedumpfile -R`.
 */
import { readExact, view, VmcoreError, type RandomAccess, type ReadStats, type VmcoreDiagnostic } from "./io.js";

export const FLAT_SIGNATURE = "makedumpfile";
export const FLAT_HEADER_SIZE = 4096;
/** Bound on records (the index costs 32 bytes each): 8 Mi records, e.g. a 32 GiB dump written in 4 KiB pieces. */
const MAX_RECORDS = 1 << 23;

export function isFlattened(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < FLAT_SIGNATURE.length; i++) if (b[i] !== FLAT_SIGNATURE.charCodeAt(i)) return false;
  return b[FLAT_SIGNATURE.length] === 0;
}

export class FlattenedSource implements RandomAccess {
  /** Parallel arrays, sorted by logical start; seq is the record's position in the file. */
  private starts: number[] = [];
  private sizes: number[] = [];
  private fileOffs: number[] = [];
  private seqs: number[] = [];
  private maxSize = 0;
  size = 0;
  complete = true;
  records = 0;
  readonly diagnostics: VmcoreDiagnostic[] = [];
  readonly indexStats: ReadStats = { reads: 0, bytesRead: 0 };

  private constructor(private readonly src: RandomAccess) {}

  static async open(src: RandomAccess): Promise<FlattenedSource> {
    const f = new FlattenedSource(src);
    await f.index();
    return f;
  }

  private async index(): Promise<void> {
    const h = await readExact(this.src, 0, 32, "flattened header");
    if (!isFlattened(h)) throw new VmcoreError("not-a-vmcore", "no makedumpfile flattened signature");
    const hv = view(h);
    const type = hv.getBigInt64(16, false);
    if (type !== 1n) this.diagnostics.push({ code: "flat-header", severity: "warning", message: `flattened header type ${type}, expected 1` });
    const recs: Array<{ start: number; size: number; fileOff: number; seq: number }> = [];
    let pos = FLAT_HEADER_SIZE;
    let ended = false;
    // Read record headers in small batches: 16 bytes each, the data skipped.
    while (pos + 16 <= this.src.size) {
      if (recs.length >= MAX_RECORDS) {
        this.diagnostics.push({ code: "flat-too-many", severity: "error", message: `more than ${MAX_RECORDS} flattened records; stopping the index there` });
        break;
      }
      const b = this.src.readSync ? this.src.readSync(pos, 16) : await this.src.read(pos, 16);
      this.indexStats.reads++;
      this.indexStats.bytesRead += b.length;
      const dv = view(b);
      const off = dv.getBigInt64(0, false);
      const size = dv.getBigInt64(8, false);
      if (off === -1n) {
        ended = true;
        break;
      }
      if (off < 0n || size < 0n || off > BigInt(Number.MAX_SAFE_INTEGER) || size > 1n << 40n) {
        this.diagnostics.push({ code: "flat-bad-record", severity: "error", message: `flattened record at ${pos}: bad offset ${off} / size ${size}; reading what came before` });
        this.complete = false;
        return this.finish(recs);
      }
      const n = Number(size);
      const start = Number(off);
      const avail = Math.max(0, Math.min(n, this.src.size - (pos + 16)));
      if (avail < n) this.complete = false;
      if (avail > 0) recs.push({ start, size: avail, fileOff: pos + 16, seq: recs.length });
      pos += 16 + n;
    }
    if (!ended) {
      this.complete = false;
      this.diagnostics.push({ code: "truncated-dump", severity: "warning", message: "the flattened dump has no end marker (truncated); reading the records it has" });
    }
    this.finish(recs);
  }

  private finish(recs: Array<{ start: number; size: number; fileOff: number; seq: number }>): void {
    recs.sort((a, b) => a.start - b.start || a.seq - b.seq);
    for (const r of recs) {
      this.starts.push(r.start);
      this.sizes.push(r.size);
      this.fileOffs.push(r.fileOff);
      this.seqs.push(r.seq);
      this.maxSize = Math.max(this.maxSize, r.size);
      this.size = Math.max(this.size, r.start + r.size);
    }
    this.records = recs.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + Math.max(0, length), this.size);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    // Records starting before `end`: binary search the last one, then walk back while they may still overlap.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    const hits: number[] = [];
    for (let i = lo - 1; i >= 0 && this.starts[i]! + this.maxSize > offset; i--) {
      if (this.starts[i]! + this.sizes[i]! > offset) hits.push(i);
    }
    hits.sort((a, b) => this.seqs[a]! - this.seqs[b]!);
    for (const i of hits) {
      const s = Math.max(offset, this.starts[i]!);
      const e = Math.min(end, this.starts[i]! + this.sizes[i]!);
      const b = await this.src.read(this.fileOffs[i]! + (s - this.starts[i]!), e - s);
      out.set(b, s - offset);
    }
    return out;
  }
}
