/**
 * Page decompressors for kdump-compressed dumps: zlib (node:zlib), LZO1X and
 * snappy (small, written here from the formats), zstd (fzstd: a maintained
 * pure-JS decoder, since node:zlib has zstd only from Node 22.15).
 * Each returns exactly `pageSize` bytes or throws DecompressError.
 */
// node:zlib and fzstd are loaded on first use: a dump needs one of them at most
// (node:zlib loads Node's streams), and `kpanic dmesg` is measured against
// makedumpfile's whole run (see src/cli/fast.ts). Even node:module (for
// createRequire) costs a load on that path, so it waits for zstd.
let fzstd: typeof import("fzstd") | undefined;

function loadFzstd(): typeof import("fzstd") {
  const { createRequire } = process.getBuiltinModule("node:module");
  return createRequire(import.meta.url)("fzstd") as typeof import("fzstd");
}

export class DecompressError extends Error {}

export function inflatePage(data: Uint8Array, pageSize: number): Uint8Array {
  let out: Buffer;
  try {
    out = process.getBuiltinModule("node:zlib").inflateSync(data, { maxOutputLength: pageSize });
  } catch (e) {
    throw new DecompressError(`zlib: ${(e as Error).message}`);
  }
  if (out.length !== pageSize) throw new DecompressError(`zlib: page inflates to ${out.length} bytes, expected ${pageSize}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function zstdPage(data: Uint8Array, pageSize: number): Uint8Array {
  const out = new Uint8Array(pageSize);
  let r: Uint8Array;
  try {
    r = (fzstd ??= loadFzstd()).decompress(data, out);
  } catch (e) {
    throw new DecompressError(`zstd: ${(e as Error).message}`);
  }
  if (r.length !== pageSize) throw new DecompressError(`zstd: page decompresses to ${r.length} bytes, expected ${pageSize}`);
  return r;
}

/** LZO1X (as written by liblzo2's lzo1x_1_compress), bounds-checked. */
export function lzo1xPage(src: Uint8Array, pageSize: number): Uint8Array {
  const out = new Uint8Array(pageSize);
  const n = lzo1xDecompress(src, out);
  if (n !== pageSize) throw new DecompressError(`lzo: page decompresses to ${n} bytes, expected ${pageSize}`);
  return out;
}

export function lzo1xDecompress(src: Uint8Array, out: Uint8Array): number {
  const inEnd = src.length;
  const outEnd = out.length;
  let ip = 0;
  let op = 0;
  let state = 0;
  let t = 0;
  let next = 0;
  let mPos = 0;
  const fail = (why: string): never => {
    throw new DecompressError(`lzo: ${why} (input ${ip}/${inEnd}, output ${op}/${outEnd})`);
  };
  const byte = (): number => {
    if (ip >= inEnd) fail("input overrun");
    return src[ip++]!;
  };
  const copyLiterals = (count: number): void => {
    if (ip + count > inEnd) fail("input overrun");
    if (op + count > outEnd) fail("output overrun");
    out.set(src.subarray(ip, ip + count), op);
    ip += count;
    op += count;
  };
  const copyMatch = (from: number, count: number): void => {
    if (from < 0) fail("look-behind overrun");
    if (op + count > outEnd) fail("output overrun");
    for (let i = 0; i < count; i++) out[op++] = out[from + i]!;
  };
  const extLength = (base: number): number => {
    let n = 0;
    for (;;) {
      const b = byte();
      if (b !== 0) return n + base + b;
      n += 255;
      if (n > 1 << 24) fail("run length too long");
    }
  };
  if (inEnd < 3) fail("input too short");
  // First byte > 17: a literal run with no preceding instruction.
  let pending: "none" | "literals" | "matchNext" = "none";
  if (src[0]! > 17) {
    t = src[0]! - 17;
    ip = 1;
    if (t < 4) {
      next = t;
      pending = "matchNext";
    } else pending = "literals";
  }
  for (;;) {
    if (pending === "literals") {
      pending = "none";
      copyLiterals(t);
      state = 4;
      continue;
    }
    if (pending === "matchNext") {
      pending = "none";
      state = next;
      copyLiterals(next);
      continue;
    }
    t = byte();
    if (t < 16) {
      if (state === 0) {
        t = t === 0 ? extLength(15) : t;
        t += 3;
        pending = "literals";
        continue;
      }
      if (state !== 4) {
        next = t & 3;
        mPos = op - 1 - (t >> 2) - (byte() << 2);
        copyMatch(mPos, 2);
        pending = "matchNext";
        continue;
      }
      next = t & 3;
      mPos = op - (1 + 0x0800) - (t >> 2) - (byte() << 2);
      t = 3;
    } else if (t >= 64) {
      next = t & 3;
      mPos = op - 1 - ((t >> 2) & 7) - (byte() << 3);
      t = (t >> 5) - 1 + 2;
    } else if (t >= 32) {
      t = (t & 31) + 2;
      if (t === 2) t = extLength(31) + 2;
      const lo = byte();
      const hi = byte();
      next = lo | (hi << 8);
      mPos = op - 1 - (next >> 2);
      next &= 3;
    } else {
      mPos = op - ((t & 8) << 11);
      t = (t & 7) + 2;
      if (t === 2) t = extLength(7) + 2;
      const lo = byte();
      const hi = byte();
      next = lo | (hi << 8);
      mPos -= next >> 2;
      next &= 3;
      if (mPos === op) {
        if (t !== 3) fail("bad end marker");
        return op;
      }
      mPos -= 0x4000;
    }
    copyMatch(mPos, t);
    pending = "matchNext";
  }
}

/** Snappy raw format (no framing), as written by libsnappy's snappy_compress. */
export function snappyPage(src: Uint8Array, pageSize: number): Uint8Array {
  let ip = 0;
  const fail = (why: string): never => {
    throw new DecompressError(`snappy: ${why} at input ${ip}/${src.length}`);
  };
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (ip >= src.length || shift > 28) fail("bad length");
    const b = src[ip++]!;
    len += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (len !== pageSize) fail(`uncompressed length ${len}, expected ${pageSize}`);
  const out = new Uint8Array(pageSize);
  let op = 0;
  while (ip < src.length) {
    const tag = src[ip++]!;
    const kind = tag & 3;
    let n: number;
    let off: number;
    if (kind === 0) {
      n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (ip + bytes > src.length) fail("input overrun");
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[ip + i]! * 2 ** (8 * i);
        ip += bytes;
      }
      n += 1;
      if (ip + n > src.length) fail("input overrun");
      if (op + n > pageSize) fail("output overrun");
      out.set(src.subarray(ip, ip + n), op);
      ip += n;
      op += n;
      continue;
    }
    if (kind === 1) {
      if (ip >= src.length) fail("input overrun");
      n = ((tag >> 2) & 7) + 4;
      off = ((tag >> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > src.length) fail("input overrun");
      n = (tag >> 2) + 1;
      off = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > src.length) fail("input overrun");
      n = (tag >> 2) + 1;
      off = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16)) + src[ip + 3]! * 2 ** 24;
      ip += 4;
    }
    if (off === 0 || off > op) fail("bad copy offset");
    if (op + n > pageSize) fail("output overrun");
    for (let i = 0; i < n; i++, op++) out[op] = out[op - off]!;
  }
  if (op !== pageSize) fail(`output ${op} bytes, expected ${pageSize}`);
  return out;
}
