/**
 * The CLI as users run it: exit codes, stdin, formats, streaming, errors.
 * Runs the built bin (npm test builds first).
 */
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { corpusLogs, ROOT } from "../corpus.js";

const BIN = join(ROOT, "bin/kpanic.js");
const run = (args: string[], input?: string | Buffer) =>
  spawnSync(process.execPath, [BIN, ...args], { input: input ?? "", encoding: "utf8", cwd: ROOT, timeout: 30_000 });

const logs = corpusLogs();
const sysrq = logs.find((l) => l.endsWith("x86_64/panic/sysrq-c.log"));
const survivor = logs.find((l) => l.endsWith("x86_64/oops/lkdtm-ACCESS_NULL.log"));
const clean = logs.find((l) => l.includes("/negative/") && l.endsWith(".log"));

describe("kpanic CLI", () => {
  it("--help shows usage and examples", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("dmesg | kpanic");
    expect(r.stdout).toContain("--fail-on");
  });

  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run(["--version"]).stdout.trim()).toBe(pkg.version);
  });

  it.runIf(sysrq)("reads a log on stdin and prints a readable report", () => {
    const r = run([], readFileSync(join(ROOT, sysrq!)));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("kernel panic: sysrq triggered crash");
    expect(r.stdout).toContain("guilty");
    expect(r.stdout).toMatch(/task\s+init \(pid 1\)/);
  });

  it.runIf(sysrq && survivor)("--format json validates against the report schema", () => {
    const r = run(["analyze", "--format", "json", sysrq!, survivor!]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { schema: string; incidents: { title: string }[] };
    const schema = JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")) as object;
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.schema).toBe("kpanic.report/v1");
    expect(report.incidents.map((i) => i.title)).toEqual([
      "kernel panic: sysrq triggered crash",
      "BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL",
    ]);
  });

  it.runIf(survivor)("--format ndjson prints one incident per line; markdown has a heading per incident", () => {
    const nd = run(["--format", "ndjson", survivor!]);
    const lines = nd.stdout.trim().split("\n");
    expect(lines.length).toBe(1);
    expect((JSON.parse(lines[0]!) as { title: string }).title).toContain("NULL pointer dereference");
    const md = run(["--format", "markdown", survivor!]);
    expect(md.stdout).toContain("## 1. BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL");
  });

  it.runIf(survivor && clean)("--fail-on exits 1 only when such a class is found", () => {
    expect(run(["--fail-on", "oops", survivor!]).status).toBe(1);
    expect(run(["--fail-on", "panic", survivor!]).status).toBe(0);
    expect(run(["--fail-on", "oops,panic", clean!]).status).toBe(0);
    expect(run(["--fail-on", "panic", "--fail-on", "oops", survivor!]).status).toBe(1);
    expect(run(["--fail-on", "nonsense", survivor!]).status).toBe(2);
  });

  it("exits 2 with an actionable message for a missing file", () => {
    const r = run(["/nonexistent/dmesg.202611281900"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no such file");
  });

  it("exits 2 for an unreadable file and says to use sudo", () => {
    if (process.getuid?.() === 0) return; // root reads everything
    const d = mkdtempSync(join(tmpdir(), "kpanic-"));
    const f = join(d, "dmesg.txt");
    writeFileSync(f, "x\n");
    chmodSync(f, 0);
    const r = run([f]);
    rmSync(d, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("sudo");
  });

  it("a directory mixed with log files exits 2 and points at kpanic scan", () => {
    const r = run([ROOT, join(ROOT, "package.json")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("kpanic scan");
  });

  it("exits 2 for an unknown option", () => {
    const r = run(["--no-such-option"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown");
  });

  it("binary garbage gives a diagnostic, not a crash", () => {
    const junk = Buffer.alloc(200_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    const r = run(["-"], junk);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("does not look like a text log");
    expect(r.stdout).toContain("no incidents");
  });

  it.runIf(survivor)("ndjson streams each incident before the input ends", async () => {
    const text = readFileSync(join(ROOT, survivor!), "utf8");
    const cut = text.indexOf("\n", text.indexOf("---[ end trace")) + 1;
    // First the report, then an unrelated line closes it; the input stays open.
    const child = spawn(process.execPath, [BIN, "--format", "ndjson", "-"], { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.write(text.slice(0, cut) + "[  999.000000] unrelated line\n");
    const deadline = Date.now() + 15_000;
    while (!out.includes("\n") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const sawEarly = out.includes("lkdtm_ACCESS_NULL");
    child.stdin.end();
    await new Promise((r) => child.on("close", r));
    expect(sawEarly).toBe(true);
  });

  it.runIf(sysrq)("reads gzip-, zstd-, xz- and bzip2-compressed logs", () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-gz-"));
    try {
      writeFileSync(join(d, "kern.log.2.gz"), gzipSync(readFileSync(join(ROOT, sysrq!))));
      const r = run(["--format", "ndjson", join(d, "kern.log.2.gz")]);
      expect(r.status).toBe(0);
      expect((JSON.parse(r.stdout.trim()) as { title: string }).title).toBe("kernel panic: sysrq triggered crash");
      // test/fixtures/sysrq-c.log.zst is the same corpus log compressed by zstd 1.5 (`zstd -c`).
      const zst = run(["--format", "ndjson", join(ROOT, "test/fixtures/sysrq-c.log.zst")]);
      const sansOrigin = (ndjson: string) =>
        ndjson.trim().split("\n").map((l) => {
          const { id: _id, source: _source, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        });
      expect(zst.status).toBe(0);
      const plain = sansOrigin(run(["--format", "ndjson", join(ROOT, sysrq!)]).stdout);
      expect(sansOrigin(zst.stdout)).toEqual(plain);
      // test/fixtures/sysrq-c.log.xz: the same log compressed by xz 5.4 (`xz -c`).
      const xzr = run(["--format", "ndjson", join(ROOT, "test/fixtures/sysrq-c.log.xz")]);
      expect(xzr.status).toBe(0);
      expect(sansOrigin(xzr.stdout)).toEqual(plain);
      writeFileSync(join(d, "x.zst"), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]));
      const z = run([join(d, "x.zst")]);
      expect(z.status).toBe(2);
      expect(z.stderr).toContain("not valid zstd data");
      expect(z.stderr).toContain("zstd -t");
      expect(z.stdout).toContain("could not be read in full");
      writeFileSync(join(d, "x.xz"), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 0]));
      const x = run([join(d, "x.xz")]);
      expect(x.status).toBe(2);
      expect(x.stderr).toContain("not valid xz data");
      expect(x.stderr).toContain("xz -t");
      // bzip2: through the bzip2 program (bzip2 -c of the same log), where installed.
      const bzPath = join(d, "kern.log.3.bz2");
      const made = spawnSync("bzip2", ["-c", join(ROOT, sysrq!)]);
      if (made.status === 0) {
        writeFileSync(bzPath, made.stdout);
        const bzr = run(["--format", "ndjson", bzPath]);
        expect(bzr.status).toBe(0);
        expect(sansOrigin(bzr.stdout)).toEqual(plain);
        writeFileSync(join(d, "x.bz2"), Buffer.from("BZh91AY&SY"));
        const bz = run([join(d, "x.bz2")]);
        expect(bz.status).toBe(2);
        expect(bz.stderr).toContain("not valid bzip2 data");
        expect(bz.stderr).toContain("bzip2 -t");
      } else writeFileSync(bzPath, Buffer.from("BZh91AY&SY"));
      const nobz = spawnSync(process.execPath, [BIN, bzPath], { encoding: "utf8", cwd: ROOT, env: { ...process.env, PATH: join(d, "empty") } });
      expect(nobz.status).toBe(2);
      expect(nobz.stderr).toContain("apt install bzip2");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it.runIf(survivor)("--input-format and --host", () => {
    const lines = readFileSync(join(ROOT, survivor!), "utf8").split(/\r?\n/).filter((l) => l.startsWith("["));
    const syslog = lines.map((l) => `Nov 28 19:06:00 box kernel: ${l}`).join("\n") + "\n";
    expect(run(["--format", "ndjson", "--input-format", "syslog", "-"], syslog).stdout.trim().split("\n")).toHaveLength(1);
    expect(run(["--format", "ndjson", "--host", "elsewhere", "-"], syslog).stdout.trim()).toBe("");
  });

  it.runIf(survivor && spawnSync("mkfifo", ["--version"]).status === 0)("watch on a FIFO prints an incident before the writer closes, and runs --exec per incident", async () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-watch-"));
    try {
      const fifo = join(d, "kmsg");
      spawnSync("mkfifo", [fifo]);
      const marks = join(d, "marks");
      const child = spawn(process.execPath, [BIN, "watch", "--kmsg", fifo, "--format", "ndjson", "--exec", `cat >> ${marks}`], { cwd: ROOT });
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      const text = readFileSync(join(ROOT, survivor!), "utf8");
      const cut = text.indexOf("\n", text.indexOf("---[ end trace")) + 1;
      const w = await import("node:fs").then((fs) => fs.createWriteStream(fifo));
      w.write(text.slice(0, cut));
      const deadline = Date.now() + 20_000;
      while (!out.includes("lkdtm_ACCESS_NULL") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const early = out.includes("lkdtm_ACCESS_NULL");
      w.end();
      await new Promise((r) => child.on("close", r));
      expect(early).toBe(true);
      expect(readFileSync(marks, "utf8")).toContain("lkdtm_ACCESS_NULL");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
