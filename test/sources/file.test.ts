import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createReadStream, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { SourceError, unxz, unzstd } from "../../src/sources/file.js";
import { ROOT } from "../corpus.js";

const zst = readFileSync(join(ROOT, "test/fixtures/sysrq-c.log.zst"));
const plain = readFileSync(join(ROOT, "corpora/x86_64/panic/sysrq-c.log"));

async function* chunks(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

describe("unzstd (streaming zstd source)", () => {
  for (const size of [1, 7, 4096, 1 << 20]) {
    it(`decompresses a real zstd file fed in ${size}-byte chunks`, async () => {
      expect((await collect(unzstd(chunks(zst, size), "x.zst"))).equals(plain)).toBe(true);
    });
  }
  it("reports a truncated file as a SourceError that says how to check it", async () => {
    const p = collect(unzstd(chunks(zst.subarray(0, zst.length - 100), 512), "x.zst"));
    await expect(p).rejects.toBeInstanceOf(SourceError);
    await expect(collect(unzstd(chunks(zst.subarray(0, 5000), 512), "x.zst"))).rejects.toThrow(/zstd -t x\.zst/);
  });
  it("reports corrupt bytes after the magic as a SourceError, not a crash", async () => {
    const bad = Buffer.from(zst);
    for (let i = 20; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0x5a;
    await expect(collect(unzstd(chunks(bad, 1000), "x.zst"))).rejects.toBeInstanceOf(SourceError);
  });
});

describe("unxz (streaming xz source)", () => {
  const xzFile = join(ROOT, "test/fixtures/sysrq-c.log.xz");
  const withFile = async (bytes: Uint8Array, f: (p: string) => Promise<void>) => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-xz-"));
    try {
      const p = join(d, "x.xz");
      writeFileSync(p, bytes);
      await f(p);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  };
  it("decompresses a real xz file read in small chunks", async () => {
    expect((await collect(unxz(createReadStream(xzFile, { highWaterMark: 7 }), xzFile))).equals(plain)).toBe(true);
  });
  it("a truncated file is a SourceError naming the problem and the check to run", async () => {
    const xzBytes = readFileSync(xzFile);
    await withFile(xzBytes.subarray(0, xzBytes.length - 50), async (p) => {
      await expect(collect(unxz(createReadStream(p), p))).rejects.toThrow(/not valid xz data \(truncated\); check it with 'xz -t/);
    });
  });
  it("corrupt bytes are a SourceError, not a crash", async () => {
    const bad = Buffer.from(readFileSync(xzFile));
    for (let i = 40; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0x5a;
    await withFile(bad, async (p) => {
      await expect(collect(unxz(createReadStream(p), p))).rejects.toBeInstanceOf(SourceError);
    });
  });
});
