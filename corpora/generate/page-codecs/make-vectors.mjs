#!/usr/bin/env node
// make-vectors.mjs: test vectors for kpanic's snappy and zstd page decoders, made by
// the reference libraries (no Debian tool writes snappy or zstd kdump dumps here: see
// corpora/vmcore/README.md). Takes 16 real 4 KiB pages of kernel memory (the printk
// ring and its neighbours) from the PT_LOADs of the makedumpfile -E fixture, and
// compresses each with encode-pages.c (libsnappy, libzstd) as makedumpfile does per page.
//
//   apt-get install libsnappy-dev libzstd-dev
//   node corpora/generate/page-codecs/make-vectors.mjs
// writes corpora/vmcore/page-codecs/ring-pages.{raw.gz,snappy,zstd}.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..", "..");
const OUT = join(ROOT, "corpora", "vmcore", "page-codecs");
const elf = gunzipSync(readFileSync(join(ROOT, "corpora", "vmcore", "debian-6.1-kaslr-elf-d31.vmcore.gz")));
const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
const phoff = Number(dv.getBigUint64(0x20, true));
const phentsize = dv.getUint16(0x36, true);
const phnum = dv.getUint16(0x38, true);
const pages = [];
for (let i = 0; i < phnum && pages.length < 16; i++) {
  const p = phoff + i * phentsize;
  if (dv.getUint32(p, true) !== 1) continue; // PT_LOAD
  const off = Number(dv.getBigUint64(p + 8, true));
  const filesz = Number(dv.getBigUint64(p + 32, true));
  for (let a = 0; a + 4096 <= filesz && pages.length < 16; a += 4096) {
    const page = elf.subarray(off + a, off + a + 4096);
    if (page.some((b) => b !== 0) || !pages.some((q) => q.every((b) => b === 0))) pages.push(page);
  }
}
if (pages.length < 16) throw new Error(`only ${pages.length} pages in the fixture's PT_LOADs`);
const raw = Buffer.concat(pages);
const tmp = mkdtempSync(join(tmpdir(), "kpanic-codecs-"));
try {
  const bin = join(tmp, "encode-pages");
  execFileSync("cc", ["-O2", "-Wall", "-o", bin, join(HERE, "encode-pages.c"), "-lsnappy", "-lzstd"], { stdio: "inherit" });
  execFileSync(bin, [join(tmp, "ring-pages")], { input: raw, stdio: ["pipe", "inherit", "inherit"] });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "ring-pages.raw.gz"), gzipSync(raw, { level: 9 }));
  for (const ext of ["snappy", "zstd"]) writeFileSync(join(OUT, `ring-pages.${ext}`), readFileSync(join(tmp, `ring-pages.${ext}`)));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${pages.length} pages -> ${OUT}`);
