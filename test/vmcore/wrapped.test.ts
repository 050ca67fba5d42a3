/**
 * Dumps wrapped in gzip, xz, zstd or bzip2 (decompressed to a private
 * temporary copy), `kpanic dmesg --caller`, and the lean `kpanic dmesg` path of
 * bin/kpanic.js against the full command line.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isBuiltin } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { parseFastDmesg } from "../../src/cli/fast.js";
import { compressionOf } from "../../src/sources/compression.js";
import { inspectVmcoreFile, openVmcoreLog, readVmcoreFile, unwrapVmcore } from "../../src/sources/vmcore.js";
import { formatMakedumpfile } from "../../src/vmcore/index.js";
import { bytes, EXPECTED_DMESG, expectedDmesg, ROOT, ZLIB_FIXTURE } from "./helpers.js";

const TMP = mkdtempSync(join(tmpdir(), "kpanic-wrapped-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const RAW = bytes(ZLIB_FIXTURE);
const BIN = join(ROOT, "bin", "kpanic.js");

/** Our temporary copies (kpanic-vmcore-*) currently under the temporary directory. */
const copies = (dir: string) => readdirSync(dir).filter((n) => n.startsWith("kpanic-vmcore-"));

/** The fixture compressed with an external program (skipped when it is not installed). */
function wrapWith(prog: string, args: string[], name: string): string | null {
  const r = spawnSync(prog, args, { input: RAW, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) return null;
  const p = join(TMP, name);
  writeFileSync(p, r.stdout);
  return p;
}

describe("compressed dumps", () => {
  const gz = join(TMP, "dump.202611281906.gz");
  writeFileSync(gz, gzipSync(RAW));

  it("knows the wrappings by their magic bytes", () => {
    expect(compressionOf(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(compressionOf(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe("zstd");
    expect(compressionOf(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe("xz");
    expect(compressionOf(Buffer.from("BZh9"))).toBe("bzip2");
    expect(compressionOf(Buffer.from("KDUMP   "))).toBeNull();
  });

  it("reads a gzipped dump through a private temporary copy, removed afterwards, and says so", async () => {
    const dir = mkdtempSync(join(TMP, "t-"));
    const before = process.env["TMPDIR"];
    process.env["TMPDIR"] = dir;
    const notices: string[] = [];
    try {
      const res = await readVmcoreFile(gz, { notice: (m) => notices.push(m) });
      expect(res.log.records.map((r) => formatMakedumpfile(r)).join("")).toBe(expectedDmesg());
      expect(res.unwrapped).toMatchObject({ wrapping: "gzip", bytes: RAW.length });
      expect(res.log.diagnostics[0]).toMatchObject({ code: "decompressed-copy", severity: "info" });
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/gzip-compressed; decompressing it to a private temporary file in .*kpanic-vmcore-/);
      // The copy itself: mode 0600 in a mode 0700 directory of its own.
      const u = await unwrapVmcore(gz, "gzip");
      expect(u).not.toBeNull();
      expect(statSync(u!.path).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(u!.path)).mode & 0o777).toBe(0o700);
      expect(statSync(u!.path).size).toBe(RAW.length);
      await u!.remove();
    } finally {
      if (before === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = before;
    }
    expect(copies(dir)).toEqual([]);
  });

  it.each([
    ["xz", ["-c"], "vmcore.xz"],
    ["zstd", ["-q", "-c"], "vmcore.zst"],
    ["bzip2", ["-c"], "vmcore.bz2"],
  ])("reads a dump compressed with %s", async (prog, args, name) => {
    const p = wrapWith(prog, args, name);
    if (p === null) return; // the compressor is not installed here
    const res = await readVmcoreFile(p);
    expect(res.log.records.map((r) => formatMakedumpfile(r)).join("")).toBe(expectedDmesg());
  });

  // test/fixtures/zlib-d31.kdump.xz: the minimised kdump fixture compressed by xz 5.4
  // (`xz -T2 --block-size=16384`: 7 independent blocks, as every multi-threaded xz writes).
  const XZ_BLOCKS = join(ROOT, "test", "fixtures", "zlib-d31.kdump.xz");

  it("reads an .xz dump written in independent blocks in place, decompressing only the blocks it needs", async () => {
    const dir = mkdtempSync(join(TMP, "xz-"));
    const before = process.env["TMPDIR"];
    process.env["TMPDIR"] = dir;
    try {
      const res = await readVmcoreFile(XZ_BLOCKS);
      expect(res.log.records.map((r) => formatMakedumpfile(r)).join("")).toBe(expectedDmesg());
      expect(res.unwrapped).toBeUndefined();
      expect(res.xz?.total).toBe(7);
      expect(res.xz!.decoded).toBeGreaterThan(0);
      expect(res.xz!.decoded).toBeLessThan(7);
      expect(res.log.diagnostics[0]).toMatchObject({ code: "xz-blocks", severity: "info" });
      expect(res.stats.bytesRead).toBeLessThan(statSync(XZ_BLOCKS).size);
      const v = await openVmcoreLog(XZ_BLOCKS);
      let text = "";
      for await (const c of v!.stream) text += c;
      expect(text).toBe(expectedDmesg());
    } finally {
      if (before === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = before;
    }
    expect(copies(dir)).toEqual([]); // no temporary copy was needed
  });

  it("an .xz dump whose index does not check out is decompressed whole instead; a corrupt block is a clear error", async () => {
    const xzb = readFileSync(XZ_BLOCKS);
    const badIndex = Buffer.from(xzb);
    badIndex[badIndex.length - 14] = badIndex[badIndex.length - 14]! ^ 0xff; // inside the index CRC32, just before the footer
    const p1 = join(TMP, "bad-index.kdump.xz");
    writeFileSync(p1, badIndex);
    // xz itself rejects the stream then: the copy fails, with xz's own words.
    await expect(readVmcoreFile(p1)).rejects.toThrow(/not valid xz data/);
    const badBlock = Buffer.from(xzb);
    badBlock[12 + 200] = badBlock[12 + 200]! ^ 0x55; // inside the first block's compressed data
    const p2 = join(TMP, "bad-block.kdump.xz");
    writeFileSync(p2, badBlock);
    await expect(readVmcoreFile(p2)).rejects.toThrow(/not valid xz data.*xz -t/);
  });

  it("kpanic info and kpanic analyze read compressed dumps too; a compressed log is not a dump", async () => {
    const info = await inspectVmcoreFile(gz);
    expect(info.inspection.log?.records.length).toBeGreaterThan(400);
    expect(info.unwrapped?.wrapping).toBe("gzip");
    const v = await openVmcoreLog(gz);
    expect(v).not.toBeNull();
    let text = "";
    for await (const c of v!.stream) text += c;
    expect(text).toBe(expectedDmesg());
    const log = join(TMP, "kern.log.gz");
    writeFileSync(log, gzipSync(Buffer.from("[    1.000000] hello\n")));
    expect(await openVmcoreLog(log)).toBeNull();
    await expect(readVmcoreFile(log)).rejects.toThrow(/not a vmcore/);
  });

  it("a compressed log is put down quietly after its first bytes, whatever the decoder (xz's complained as it was torn down)", async () => {
    for (const f of ["sysrq-c.log.xz", "sysrq-c.log.zst"]) {
      for (let k = 0; k < 10; k++) expect(await openVmcoreLog(join(ROOT, "test", "fixtures", f))).toBeNull();
    }
  });

  it("an interrupted run (SIGINT while decompressing) removes its copy and exits 130", () => {
    const dir = mkdtempSync(join(TMP, "int-"));
    const gzBig = join(TMP, "big.vmcore.gz");
    writeFileSync(gzBig, gzipSync(Buffer.concat([Buffer.from(RAW), Buffer.alloc(64 << 20)]), { level: 1 }));
    // The child interrupts itself the moment the copy exists (the notice), while it is still being written.
    const script = [
      `import { unwrapVmcore } from ${JSON.stringify(join(ROOT, "dist", "sources", "vmcore.js"))};`,
      `await unwrapVmcore(${JSON.stringify(gzBig)}, "gzip", () => process.kill(process.pid, "SIGINT"));`,
      `console.log("not interrupted");`,
    ].join("\n");
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TMPDIR: dir }, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(130);
    expect(r.stdout).not.toMatch(/not interrupted/);
    expect(copies(dir)).toEqual([]);
  });

  it("a truncated gzip dump is an error that says what to check, and leaves no copy behind", async () => {
    const dir = mkdtempSync(join(TMP, "t-"));
    const cut = join(TMP, "cut.gz");
    const z = gzipSync(RAW);
    writeFileSync(cut, z.subarray(0, z.length >> 1));
    const before = process.env["TMPDIR"];
    process.env["TMPDIR"] = dir;
    try {
      await expect(readVmcoreFile(cut)).rejects.toThrow(/cut\.gz/);
    } finally {
      if (before === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = before;
    }
    expect(copies(dir)).toEqual([]);
  });
});

describe("kpanic dmesg: --caller and the lean path", () => {
  const dump = join(TMP, "dump.202611281906");
  writeFileSync(dump, RAW);
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "latin1", cwd: ROOT, timeout: 30_000 });

  it("takes only plain dmesg command lines", () => {
    expect(parseFastDmesg(["dmesg", "x"])).toEqual({ vmcore: "x", json: false, stats: false, quiet: false, caller: false });
    expect(parseFastDmesg(["dmesg", "--json", "-q", "x", "--caller", "--stats"])).toEqual({ vmcore: "x", json: true, stats: true, quiet: true, caller: true });
    expect(parseFastDmesg(["dmesg", "--", "--odd-name"])?.vmcore).toBe("--odd-name");
    for (const argv of [["dmesg"], ["dmesg", "a", "b"], ["dmesg", "--help"], ["dmesg", "x", "--no-json"], ["dmesg", "x", "--json=false"], ["analyze", "x"], ["dmesg", ""]]) {
      expect(parseFastDmesg(argv)).toBeNull();
    }
  });

  it("prints the same bytes as the full command line, which handles everything else", () => {
    const lean = run(["dmesg", dump]);
    const full = run(["dmesg", dump, "--no-caller"]); // an option only yargs reads
    expect(lean.status).toBe(0);
    expect(lean.stdout).toBe(expectedDmesg());
    expect(full.stdout).toBe(lean.stdout);
    const help = run(["dmesg", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--caller/);
    const missing = run(["dmesg"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Not enough non-option arguments/);
    const nofile = run(["dmesg", join(TMP, "nope")]);
    expect(nofile.status).toBe(2);
    expect(nofile.stderr).toMatch(/no such file; check the path \(kdump writes \/var\/crash\/<stamp>\/dump\.<stamp>/);
    for (const cmd of ["dmesg", "info"]) {
      const stdin = run([cmd, "-"]);
      expect(stdin.status).toBe(2);
      expect(stdin.stderr).toMatch(/standard input will not do: save it to a file first/);
    }
  });

  it("is one bundled file that requires only Node's own modules, compiled with a code cache V8 accepts under both flag sets", () => {
    const bundle = readFileSync(join(ROOT, "dist", "lean", "dmesg.cjs"), "utf8");
    const required = [...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const id of required) expect(isBuiltin(id), id).toBe(true);
    // What bin/kpanic.js does, in a fresh process under each flag set (the shebang's, and plain `node`).
    const probe = `const l = require(${JSON.stringify(join(ROOT, "bin", "lean.cjs"))}).loadLean();
l.api.fastMain(["dmesg", ${JSON.stringify(dump)}]).then((c) => { process.stderr.write(JSON.stringify({ rejected: l.script.cachedDataRejected, code: c })); });`;
    for (const flags of [[], ["--optimize-for-size"]]) {
      const r = spawnSync(process.execPath, [...flags, "-e", probe], { encoding: "latin1", cwd: ROOT, timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stderr)).toEqual({ rejected: false, code: 0 });
      expect(r.stdout).toBe(expectedDmesg());
    }
  });

  it("runs without V8's optimizing compiler, whose background jobs can deadlock Node's exit (nodejs/node#54918)", () => {
    // The QEMU guest with a 4.7 MB ring: the build of 2026-11-28 started 15 TurboFan compiles on it,
    // and hung at exit in 4 of 30 runs of the full dump.
    const logbuf = join(TMP, "logbuf.kdump-flat");
    writeFileSync(logbuf, bytes(join(ROOT, "corpora", "vmcore", "qemu-logbuf-vmcore.kdump-flat.gz")));
    const r = spawnSync(process.execPath, ["--trace-opt", BIN, "dmesg", "--quiet", logbuf], { encoding: "latin1", cwd: ROOT, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("] Linux version ");
    expect(r.stdout).not.toMatch(/^\[(?:marking|compiling method) /m);
    // The full command line it hands other input to keeps it.
    const full = spawnSync(process.execPath, ["--trace-opt", BIN, "analyze", "--format", "json", EXPECTED_DMESG], { encoding: "latin1", cwd: ROOT, timeout: 60_000 });
    expect(full.status, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/^\[compiling method /m);
  });

  it("hands a compressed dump and a log to the full command line", () => {
    const gz = join(TMP, "lean.gz");
    writeFileSync(gz, gzipSync(RAW));
    const r = run(["dmesg", "--quiet", gz]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expectedDmesg());
    const log = run(["dmesg", EXPECTED_DMESG]);
    expect(log.status).toBe(2);
    expect(log.stderr).toMatch(/not a vmcore/i);
  });

  it("stops quietly when its reader goes away (EPIPE), like `kpanic dmesg VMCORE | head`", async () => {
    // The reader is gone after the first chunk: the later runs write into a pipe nobody reads.
    const child = spawn("sh", ["-c", `for i in 1 2 3 4; do "${process.execPath}" "${BIN}" dmesg --json "${dump}" || exit $?; done`], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on("close", res));
    expect(err).toBe("");
    expect(code).toBe(0);
  });

  it("--caller puts the caller id after the time, as the console does with CONFIG_PRINTK_CALLER", () => {
    const r = run(["dmesg", "--caller", dump]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^\[ {4}0\.000000\]\[ {4}T0\] Linux version 6\.1\.0-56-amd64 /);
    // every record line has a caller; the text after it is makedumpfile's
    const plain = expectedDmesg().split("\n");
    expect(lines.length).toBe(plain.length);
    const first = lines.findIndex((l) => /^\[ {0,4}\d+\.\d{6}\]\[ {0,5}[TC]\d+\] /.test(l) && / sysrq: Trigger a crash/.test(l));
    expect(first).toBeGreaterThan(0);
    expect(lines[first]!.replace(/\]\[ {0,5}[TC]\d+\]/, "]")).toBe(plain[first]);
  });
});
