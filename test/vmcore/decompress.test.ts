import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync, gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecompressError, inflatePage, lzo1xDecompress, lzo1xPage, snappyPage, zstdPage } from "../../src/vmcore/decompress.js";

/** A zstd frame holding one raw block (single segment, 2-byte content size). */
function zstdRaw(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 1 + 2 + 3 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xfd2fb528, true);
  out[4] = 0x60;
  dv.setUint16(5, data.length - 256, true);
  const bh = (data.length << 3) | 1;
  out[7] = bh & 0xff;
  out[8] = (bh >> 8) & 0xff;
  out[9] = (bh >> 16) & 0xff;
  out.set(data, 10);
  return out;
}

/** Snappy: varint length, then literal chunks of up to 60 bytes and copies. */
function snappyLiteralsAndCopy(page: Uint8Array): Uint8Array {
  // page = 64 literal bytes then a repeat of them: literal(64) + copy2(off 64, len 64) * n
  const parts: number[] = [];
  let n = page.length;
  while (n >= 0x80) {
    parts.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  parts.push(n);
  parts.push((60 << 2) | 0, 63); // literal, 1 extra length byte: 64 bytes
  for (let i = 0; i < 64; i++) parts.push(page[i]!);
  for (let done = 64; done < page.length; done += 64) parts.push((63 << 2) | 2, 64, 0);
  return Uint8Array.from(parts);
}

describe("page decompressors", () => {
  const page = new Uint8Array(4096);
  for (let i = 0; i < 4096; i++) page[i] = (i % 64) * 3;

  it("zlib", () => {
    expect(inflatePage(deflateSync(page), 4096)).toEqual(page);
    expect(() => inflatePage(deflateSync(page.subarray(0, 100)), 4096)).toThrow(DecompressError);
    expect(() => inflatePage(Uint8Array.from([1, 2, 3]), 4096)).toThrow(DecompressError);
  });

  it("zstd (fzstd)", () => {
    expect(zstdPage(zstdRaw(page), 4096)).toEqual(page);
    expect(() => zstdPage(Uint8Array.from([1, 2, 3, 4, 5]), 4096)).toThrow(DecompressError);
  });

  it("snappy", () => {
    expect(snappyPage(snappyLiteralsAndCopy(page), 4096)).toEqual(page);
    expect(() => snappyPage(Uint8Array.from([0x80, 0x20, 0x02, 0x05, 0x00]), 4096)).toThrow(DecompressError);
  });

  it("lzo: literal-only stream, and a match", () => {
    // 0x11 + 3 literals via first byte > 17: t = 20-17 = 3 literals "abc", then end marker 0x11 0x00 0x00.
    const out = new Uint8Array(3);
    expect(lzo1xDecompress(Uint8Array.from([20, 0x61, 0x62, 0x63, 0x11, 0, 0]), out)).toBe(3);
    expect(new TextDecoder().decode(out)).toBe("abc");
    // "abcd" + M2 match (t>=64) len 3 distance 4: t = ((3-1)<<5) | ((4-1)&7)<<2 = 0x4c, next byte (4-1)>>3 = 0
    const out2 = new Uint8Array(7);
    expect(lzo1xDecompress(Uint8Array.from([21, 0x61, 0x62, 0x63, 0x64, 0x4c, 0x00, 0x11, 0, 0]), out2)).toBe(7);
    expect(new TextDecoder().decode(out2)).toBe("abcdabc");
  });

  it("property: hostile input to every decompressor throws DecompressError or returns a page, quickly", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
        for (const f of [inflatePage, lzo1xPage, snappyPage, zstdPage]) {
          try {
            expect(f(b, 4096).length).toBe(4096);
          } catch (e) {
            expect(e).toBeInstanceOf(DecompressError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("page decompressors on the reference libraries' output", () => {
  // 16 real pages of kernel memory, compressed page by page with libsnappy and libzstd
  // (corpora/generate/page-codecs/make-vectors.mjs): no tool here writes such dumps.
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "corpora", "vmcore", "page-codecs");
  const raw = gunzipSync(readFileSync(join(dir, "ring-pages.raw.gz")));
  const records = (file: string): Uint8Array[] => {
    const b = readFileSync(join(dir, file));
    const out: Uint8Array[] = [];
    for (let at = 0; at < b.length; ) {
      const n = b.readUInt32LE(at);
      out.push(new Uint8Array(b.buffer, b.byteOffset + at + 4, n));
      at += 4 + n;
    }
    return out;
  };
  it.each([
    ["snappy", snappyPage],
    ["zstd", zstdPage],
  ] as const)("%s: every page decodes to the original bytes", (ext, decode) => {
    const pages = records(`ring-pages.${ext}`);
    expect(pages).toHaveLength(16);
    pages.forEach((p, i) => {
      expect(p.length).toBeLessThan(4096 + 64);
      expect(Buffer.from(decode(p, 4096)).equals(raw.subarray(i * 4096, (i + 1) * 4096))).toBe(true);
    });
    // ...and a page cut short is an error, not a wrong page.
    expect(() => decode(pages[3]!.subarray(0, pages[3]!.length >> 1), 4096)).toThrow(DecompressError);
  });
});
