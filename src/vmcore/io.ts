/**
 * The random-access byte source every vmcore reader works on. Readers never
 * see a file: src/sources/vmcore.ts gives them positioned reads of one, tests
 * give them a Uint8Array.
 */

/** Positioned reads. `read` returns fewer bytes than asked only at the end of the data. */
export interface RandomAccess {
  /** Total size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The same, synchronously, when the source can (long runs of small reads skip a promise each). */
  readSync?(offset: number, length: number): Uint8Array;
}

/** What a reader cost: for `--stats`. */
export interface ReadStats {
  reads: number;
  bytesRead: number;
}

/** A RandomAccess over bytes already in memory (tests, fixtures). */
export class BytesSource implements RandomAccess {
  readonly stats: ReadStats = { reads: 0, bytesRead: 0 };
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.readSync(offset, length));
  }
  readSync(offset: number, length: number): Uint8Array {
    const start = Math.max(0, Math.min(offset, this.bytes.length));
    const end = Math.max(start, Math.min(offset + Math.max(0, length), this.bytes.length));
    this.stats.reads++;
    this.stats.bytesRead += end - start;
    return this.bytes.subarray(start, end);
  }
}

/** Wraps a source and records every byte range read (the minimiser keeps only those). */
export class RecordingSource implements RandomAccess {
  readonly ranges: Array<[number, number]> = [];
  constructor(private readonly inner: RandomAccess) {}
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const b = await this.inner.read(offset, length);
    if (b.length > 0) this.ranges.push([offset, offset + b.length]);
    return b;
  }
}

/** Reads exactly `length` bytes or throws VmcoreError("truncated"). */
export async function readExact(src: RandomAccess, offset: number, length: number, what: string): Promise<Uint8Array> {
  const b = await src.read(offset, length);
  if (b.length < length) {
    throw new VmcoreError("truncated", `${what}: needs ${length} bytes at offset ${offset}, but the file ends at ${src.size}`);
  }
  return b;
}

export type VmcoreErrorCode =
  | "not-a-vmcore"
  | "truncated"
  | "bad-header"
  | "unsupported"
  | "no-vmcoreinfo"
  | "bad-vmcoreinfo"
  | "unmapped"
  | "bad-ring";

export class VmcoreError extends Error {
  constructor(
    readonly code: VmcoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "VmcoreError";
  }
}

/** A problem worth telling the user that does not stop decoding. */
export interface VmcoreDiagnostic {
  code: string;
  severity: "info" | "warning" | "error";
  message: string;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** NUL-terminated ASCII/Latin-1 string from a fixed-size field. */
export function cstring(b: Uint8Array, start: number, max: number): string {
  let s = "";
  for (let i = start; i < Math.min(b.length, start + max); i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** A u64 as a JS number when it is a safe integer, else throws. */
export function safeNumber(v: bigint, what: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new VmcoreError("bad-header", `${what} out of range: ${v}`);
  return Number(v);
}
