/**
 * `kpanic scan` over the real kdump trees of the corpus and over hostile trees
 * made here (symlinks out and in loops, a FIFO named like a dmesg, a sparse
 * 4 GiB vmcore, an incomplete dump). The scanned trees must not change.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, cpSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { identifyVmcore, scanCrashDir } from "../../src/sources/crashdir.js";
import { ROOT } from "../corpus.js";

const BIN = join(ROOT, "bin/kpanic.js");
const DEBIAN = join(ROOT, "corpora/kdump/debian/var/crash");
const RHEL = join(ROOT, "corpora/kdump/rhel/var/crash");

/** A hash of every name, type, size, mode, link target and file content under `dir` (symlinks not followed). */
function treeHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      h.update(`${p}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 1 << 20) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });

describe("kpanic scan on the real kdump trees", () => {
  it("finds the Debian and RHEL dumps with their primary incident, newest first, and groups recurrences", () => {
    const before = treeHash(join(ROOT, "corpora/kdump"));
    const r = run(["scan", "--format", "json", DEBIAN, RHEL]);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      schema: string;
      dumps: { layout: string; host: string | null; crashTime: string; kernel: string; primary: { title: string; fatal: boolean } | null; logs: string[] }[];
      recurrences: { count: number; title: string }[];
    };
    expect(rep.schema).toBe("kpanic.scan/v1");
    expect(rep.dumps.map((d) => [d.layout, d.host, d.crashTime, d.kernel, d.primary?.title, d.primary?.fatal])).toEqual([
      ["rhel", "127.0.0.1", "2026-11-28T19:06:31", "6.1.0-56-amd64", "kernel panic: sysrq triggered crash", true],
      ["debian", null, "2026-11-28T19:06", "6.1.0-56-amd64", "kernel panic: sysrq triggered crash", true],
    ]);
    expect(rep.recurrences).toEqual([expect.objectContaining({ count: 2, title: "kernel panic: sysrq triggered crash" })]);
    expect(treeHash(join(ROOT, "corpora/kdump"))).toBe(before);
  });

  it("prints the table and the recurrence view; a directory argument to the default command scans it", () => {
    const r = run([DEBIAN, RHEL]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("kpanic: 2 dumps");
    expect(r.stdout).toContain("sysrq_handle_crash");
    expect(r.stdout).toMatch(/seen 2 times, 2026-11-28 19:06 … 2026-11-28 19:06:31, kernel 6\.1\.0-56-amd64: kernel panic: sysrq triggered crash/);
  });

  it("ndjson prints one dump per line", () => {
    const r = run(["scan", "--format", "ndjson", DEBIAN]);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("a missing directory is an error with a hint", () => {
    const r = run(["scan", "/nonexistent/crash"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("KDUMP_COREDIR");
  });
});

describe("identifyVmcore reads formats from the header", () => {
  it("kdump-compressed: release, machine, crash time, compression, incomplete flag", () => {
    const h = Buffer.alloc(4096);
    h.write("KDUMP   ", 0, "latin1");
    h.write("6.1.0-56-amd64", 142, "latin1");
    h.write("x86_64", 272, "latin1");
    h.writeBigInt64LE(1795892762n, 408);
    h.writeUInt32LE(0x8 | 0x2, 424);
    expect(identifyVmcore(h)).toEqual({ format: "kdump-compressed", release: "6.1.0-56-amd64", machine: "x86_64", crashTime: "2026-11-28T19:06:02.000Z", compression: "lzo", incomplete: true });
  });
  it("ELF, flattened, unknown", () => {
    expect(identifyVmcore(Buffer.from("\x7fELF\x02\x01\x01", "latin1")).format).toBe("elf");
    expect(identifyVmcore(Buffer.from("makedumpfile\0\0\0\0", "latin1")).format).toBe("flattened");
    expect(identifyVmcore(Buffer.from("hello world")).format).toBe("unknown");
  });
});

describe("hostile trees", () => {
  let dir: string;
  let outside: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kpanic-scan-"));
    outside = mkdtempSync(join(tmpdir(), "kpanic-outside-"));
    writeFileSync(join(outside, "dmesg.202601010000"), "[    1.000000] Kernel panic - not syncing: outside\n");
    cpSync(DEBIAN, join(dir, "crash"), { recursive: true });
    const c = join(dir, "crash");
    // a symlink out of the root, named like a dump directory and like a dmesg
    symlinkSync(outside, join(c, "202601010000"));
    mkdirSync(join(c, "202602020000"));
    symlinkSync(join(outside, "dmesg.202601010000"), join(c, "202602020000", "dmesg.202602020000"));
    // a symlink loop
    mkdirSync(join(c, "loop"));
    symlinkSync(join(c, "loop"), join(c, "loop", "again"));
    // a FIFO named like a dmesg file (opening it would hang)
    mkdirSync(join(c, "202603030000"));
    const mk = spawnSync("mkfifo", [join(c, "202603030000", "dmesg.202603030000")]);
    // a sparse 4 GiB vmcore with a kdump header, next to an incomplete dump
    mkdirSync(join(c, "202604040000"));
    const h = Buffer.alloc(4096);
    h.write("KDUMP   ", 0, "latin1");
    h.write("6.1.0-99-amd64", 142, "latin1");
    h.writeUInt32LE(0x1, 424);
    const fd = openSync(join(c, "202604040000", "dump.202604040000"), "w");
    writeSync(fd, h, 0, h.length, 0);
    writeSync(fd, Buffer.from([0]), 0, 1, 4 * 2 ** 30 - 1);
    closeSync(fd);
    writeFileSync(join(c, "202604040000", "dump-incomplete"), h);
    expect(mk.status).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("reports symlinks and special files as diagnostics, never follows or opens them, and changes nothing", async () => {
    const c = join(dir, "crash");
    const before = treeHash(c);
    const t0 = Date.now();
    const res = await scanCrashDir(c);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(treeHash(c)).toBe(before);
    const codes = res.diagnostics.map((d) => `${d.code} ${d.source?.slice(c.length)}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        "unsafe-entry /202601010000",
        "unsafe-entry /202602020000/dmesg.202602020000",
        "unsafe-entry /202603030000/dmesg.202603030000",
      ]),
    );
    // nothing from outside the root was read
    expect(res.dumps.flatMap((d) => d.logs).some((l) => l.includes("kpanic-outside"))).toBe(false);
    const sparse = res.dumps.find((d) => d.path.endsWith("202604040000"));
    expect(sparse?.vmcore).toMatchObject({ format: "kdump-compressed", size: 4 * 2 ** 30, release: "6.1.0-99-amd64", compression: "zlib" });
    expect(sparse?.incomplete).toBe(true);
    expect(res.kexecCmd).toBe(join(c, "kexec_cmd"));
    expect(res.kdumpLock).toBe(true);
  });

  it("the CLI finishes on it with diagnostics and the dumps it could read", () => {
    const r = run(["scan", "--format", "json", join(dir, "crash")]);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout) as { dumps: { path: string; primary: { title: string } | null }[] };
    expect(rep.dumps.find((d) => d.path.endsWith("202611281906"))?.primary?.title).toBe("kernel panic: sysrq triggered crash");
    expect(r.stderr).toContain("symlink");
  });
});

describe("pstore records", () => {
  it("reassembles the chunks of one panic (oldest part first) into one log (SYNTHETIC layout, real log lines)", async () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-pstore-"));
    try {
      const lines = readFileSync(join(ROOT, "corpora/x86_64/panic/sysrq-c.log"), "utf8").split("\n");
      const start = lines.findIndex((l) => l.includes("sysrq: Trigger a crash"));
      const end = lines.findIndex((l) => l.includes("---[ end Kernel panic"));
      const part = lines.slice(start, end + 1);
      const mid = Math.floor(part.length / 2);
      // Part1 holds the newest text (the end of the log), Part2 the older text.
      writeFileSync(join(d, "dmesg-efi-177"), ["Panic#1 Part1", ...part.slice(mid)].join("\n") + "\n");
      writeFileSync(join(d, "dmesg-efi-178"), ["Panic#1 Part2", ...part.slice(0, mid)].join("\n") + "\n");
      writeFileSync(join(d, "dmesg-efi-179.enc.z"), Buffer.from([0x78, 0x9c, 1, 2, 3]));
      const res = await scanCrashDir(d);
      expect(res.dumps).toHaveLength(1);
      const e = res.dumps[0]!;
      expect(e.layout).toBe("pstore");
      expect(e.logs.map((l) => l.slice(d.length))).toEqual(["/dmesg-efi-178", "/dmesg-efi-177"]);
      expect(e.notes.join("\n")).toContain("dmesg-efi-179.enc.z: compressed by the kernel");
      const r = run(["scan", "--format", "json", d]);
      const rep = JSON.parse(r.stdout) as { dumps: { incidents: { title: string; frames: unknown[] }[] }[] };
      expect(rep.dumps[0]!.incidents.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
      expect(rep.dumps[0]!.incidents[0]!.frames.length).toBeGreaterThan(5);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("Ubuntu apport kernel crash reports", () => {
  it("reads the kernel log out of the report's VmCore attachment (SYNTHETIC report around a real minimised dump)", async () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-apport-"));
    try {
      const { gunzipSync, gzipSync } = await import("node:zlib");
      const vmcore = gunzipSync(readFileSync(join(ROOT, "corpora/vmcore/debian-6.1-kaslr-zlib-d31.kdump.gz")));
      const b64 = gzipSync(vmcore).toString("base64");
      const lines = b64.match(/.{1,76}/g)!.map((l) => ` ${l}`);
      const report = ["ProblemType: KernelCrash", "Date: Sat Nov 28 19:06:02 2026", "Package: linux-image-6.1.0-56-amd64", "Uname: Linux 6.1.0-56-amd64 x86_64", "VmCore: base64", ...lines, "Tags: none", ""].join("\n");
      writeFileSync(join(d, "linux-image-6.1.0-56-amd64-202611281906.crash"), report);
      const before = treeHash(d);
      const r = run(["scan", "--format", "json", d]);
      expect(r.status).toBe(0);
      const rep = JSON.parse(r.stdout) as { dumps: { layout: string; crashTime: string; primary: { title: string } | null; notes: string[] }[] };
      expect(rep.dumps.map((x) => [x.layout, x.crashTime, x.primary?.title])).toEqual([["apport", "2026-11-28T19:06:02", "kernel panic: sysrq triggered crash"]]);
      expect(rep.dumps[0]!.notes.join("\n")).toContain("VmCore attachment");
      expect(treeHash(d)).toBe(before);
      expect(readdirSync(tmpdir()).filter((n) => n.startsWith("kpanic-apport-") && n !== d.split("/").pop())).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("remote kdump-tools directories (<host>-YYYYMMDDHHMM) are Debian dumps of that host", async () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-remote-"));
    try {
      cpSync(join(DEBIAN, "202611281906"), join(d, "web01-202611281906"), { recursive: true });
      const res = await scanCrashDir(d);
      expect(res.dumps.map((x) => [x.layout, x.host, x.timeFromName])).toEqual([["debian", "web01", "2026-11-28T19:06"]]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
