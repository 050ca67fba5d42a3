/**
 * `kpanic hook`: exactly once across repeated, killed and concurrent runs;
 * private report files; a safe state directory; the systemd unit.
 */
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { journalEntryRecords, type JournalEntry } from "../../src/records/formats.js";
import { ROOT } from "../corpus.js";

const BIN = join(ROOT, "bin/kpanic.js");

function setup(): { crash: string; state: string; cleanup: () => void } {
  const d = mkdtempSync(join(tmpdir(), "kpanic-hook-"));
  const crash = join(d, "crash");
  cpSync(join(ROOT, "corpora/kdump/debian/var/crash"), crash, { recursive: true });
  cpSync(join(ROOT, "corpora/kdump/rhel/var/crash"), crash, { recursive: true });
  return { crash, state: join(d, "state"), cleanup: () => rmSync(d, { recursive: true, force: true }) };
}

const hook = (crash: string, state: string, extra: string[] = []) =>
  spawnSync(process.execPath, [BIN, "hook", "--no-journal", "--state-dir", state, ...extra, crash], { encoding: "utf8", timeout: 60_000 });

const ledgerKeys = (state: string) => Object.keys((JSON.parse(readFileSync(join(state, "ledger.json"), "utf8")) as { entries: object }).entries);

describe("kpanic hook", () => {
  it("reports each dump once: the second run says nothing", () => {
    const { crash, state, cleanup } = setup();
    try {
      const r1 = hook(crash, state);
      expect(r1.status).toBe(0);
      const lines = r1.stderr.split("\n").filter((l) => l.startsWith("<2>kpanic:"));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain("kernel panic: sysrq triggered crash");
      const r2 = hook(crash, state);
      expect(r2.status).toBe(0);
      expect(r2.stderr).not.toContain("kpanic: /");
      expect(ledgerKeys(state)).toHaveLength(2);
      // a new dump appears: only it is reported
      mkdirSync(join(crash, "202611291200"));
      writeFileSync(join(crash, "202611291200", "dmesg.202611291200"), "[    1.000000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n");
      const r3 = hook(crash, state);
      expect(r3.stderr.split("\n").filter((l) => l.startsWith("<2>kpanic:"))).toEqual([expect.stringContaining("VFS: Unable to mount root fs")]);
    } finally {
      cleanup();
    }
  });

  it("writes private reports (dirs 0700, files 0600) in a private state directory", () => {
    const { crash, state, cleanup } = setup();
    try {
      hook(crash, state);
      expect(lstatSync(state).mode & 0o777).toBe(0o700);
      const reports = join(state, "reports");
      for (const id of readdirSync(reports)) {
        expect(lstatSync(join(reports, id)).mode & 0o777).toBe(0o700);
        for (const f of ["report.json", "report.md"]) expect(lstatSync(join(reports, id, f)).mode & 0o777).toBe(0o600);
        const rep = JSON.parse(readFileSync(join(reports, id, "report.json"), "utf8")) as { schema: string; dump: { primary: { title: string } } };
        expect(rep.schema).toBe("kpanic.hook/v1");
        expect(rep.dump.primary.title).toBe("kernel panic: sysrq triggered crash");
      }
      expect(lstatSync(join(state, "ledger.json")).mode & 0o777).toBe(0o600);
    } finally {
      cleanup();
    }
  });

  it("--exec gets the report JSON on stdin; a failing command is retried next run", () => {
    const { crash, state, cleanup } = setup();
    try {
      const out = join(state + "-exec");
      mkdirSync(out);
      const r1 = hook(crash, state, ["--exec", `cat > ${out}/$$.json; exit 3`]);
      expect(r1.status).toBe(2);
      expect(readdirSync(out)).toHaveLength(2);
      const r2 = hook(crash, state, ["--exec", `cat > ${out}/ok-$$.json`]);
      expect(r2.status).toBe(0);
      expect(readdirSync(out).filter((f) => f.startsWith("ok-"))).toHaveLength(2);
      const doc = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.startsWith("ok-"))!), "utf8")) as { dump: { incidents: unknown[] } };
      expect(doc.dump.incidents).toHaveLength(1);
      expect(hook(crash, state, ["--exec", `cat > ${out}/again-$$.json`]).status).toBe(0);
      expect(readdirSync(out).filter((f) => f.startsWith("again-"))).toHaveLength(0);
    } finally {
      cleanup();
    }
  });

  it("a run killed mid-way loses nothing and doubles nothing", async () => {
    const { crash, state, cleanup } = setup();
    try {
      // The first report's --exec hangs; kill the run while it waits in it.
      const mark = `${state}-started`;
      const child = spawn(process.execPath, [BIN, "hook", "--no-journal", "--state-dir", state, "--exec", `touch ${mark}; exec sleep 31.4159`, crash], { stdio: "ignore" });
      const deadline = Date.now() + 60_000;
      while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(mark)).toBe(true);
      child.kill("SIGKILL");
      await new Promise((r) => child.on("close", r));
      spawnSync("pkill", ["-f", "sleep 31.4159"]);
      const r = hook(crash, state);
      expect(r.status).toBe(0);
      expect(ledgerKeys(state)).toHaveLength(2);
      expect(readdirSync(join(state, "reports"))).toHaveLength(2);
      expect(hook(crash, state).stderr).not.toContain("kpanic: /");
    } finally {
      cleanup();
    }
  }, 150_000);

  it("two runs at once: exactly one reports", async () => {
    const { crash, state, cleanup } = setup();
    try {
      const start = () =>
        new Promise<string>((resolve) => {
          const c = spawn(process.execPath, [BIN, "hook", "--no-journal", "--wait", "0", "--state-dir", state, "--exec", "sleep 1", crash]);
          let err = "";
          c.stderr.on("data", (d: Buffer) => (err += d.toString()));
          c.on("close", () => resolve(err));
        });
      mkdirSync(state, { mode: 0o700 });
      const [a, b] = await Promise.all([start(), start()]);
      const reported = [a, b].map((e) => e.split("\n").filter((l) => l.startsWith("<2>kpanic:")).length);
      expect(reported.sort()).toEqual([0, 2]);
      expect([a, b].some((e) => e.includes("another kpanic hook is running"))).toBe(true);
    } finally {
      cleanup();
    }
  });

  it("refuses a state directory that is a symlink or writable by others", () => {
    const { crash, state, cleanup } = setup();
    try {
      const real = state + "-real";
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, state);
      const r = hook(crash, state);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("symlink");
      rmSync(state);
      mkdirSync(state, { mode: 0o777 });
      spawnSync("chmod", ["777", state]);
      const r2 = hook(crash, state);
      expect(r2.status).toBe(2);
      expect(r2.stderr).toContain("chmod 700");
      expect(existsSync(join(state, "ledger.json"))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it.runIf(spawnSync("flock", ["--version"]).status === 0)("waits for kdump-tools' kdump_lock, and leaves dumps for the next run while it is held", async () => {
    const { crash, state, cleanup } = setup();
    try {
      const holder = spawn("flock", ["--exclusive", "--no-fork", join(crash, "kdump_lock"), "sleep", "20"], { stdio: "ignore" });
      await new Promise((r) => setTimeout(r, 500));
      const r1 = hook(crash, state, ["--wait", "1"]);
      expect(r1.stderr).toContain("kdump_lock is held");
      expect(r1.stderr).not.toContain("<2>kpanic:");
      holder.kill("SIGKILL");
      await new Promise((r) => holder.on("close", r));
      const r2 = hook(crash, state, ["--wait", "1"]);
      expect(r2.stderr.split("\n").filter((l) => l.startsWith("<2>kpanic:"))).toHaveLength(2);
    } finally {
      cleanup();
    }
  });

  it("never changes the scanned tree", () => {
    const { crash, state, cleanup } = setup();
    try {
      const list = () => spawnSync("sh", ["-c", `cd ${crash} && find . -printf '%p %s %T@ %m\\n' | sort && find . -type f -exec sha256sum {} + | sort`], { encoding: "utf8" }).stdout;
      const before = list();
      hook(crash, state);
      expect(list()).toBe(before);
    } finally {
      cleanup();
    }
  });

  it.runIf(spawnSync("systemd-analyze", ["--version"]).status === 0)("the shipped unit passes systemd-analyze verify", () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-unit-"));
    try {
      const unit = readFileSync(join(ROOT, "systemd/kpanic.service"), "utf8").replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${BIN} hook`);
      writeFileSync(join(d, "kpanic.service"), unit);
      const r = spawnSync("systemd-analyze", ["verify", join(d, "kpanic.service")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.split("\n").filter((l) => l.includes("kpanic.service"))).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("journald entries become records", () => {
  it("string and byte-array messages, monotonic time, boot id; null messages are skipped", () => {
    const id = "0123456789abcdef0123456789abcdef";
    const one = (e: JournalEntry) => journalEntryRecords(e, 1).map((r) => ({ raw: r.raw, bootId: r.bootId ?? null }));
    expect(one({ MESSAGE: "BUG: x", _SOURCE_MONOTONIC_TIMESTAMP: "90192379", _BOOT_ID: id })).toEqual([{ raw: "[   90.192379] BUG: x", bootId: id }]);
    expect(one({ MESSAGE: "BUG: x", _BOOT_ID: "../b1" })).toEqual([{ raw: "BUG: x", bootId: null }]);
    expect(one({ MESSAGE: [66, 85, 71, 0xff], __MONOTONIC_TIMESTAMP: "1000000" })).toEqual([{ raw: "[    1.000000] BUG\uFFFD", bootId: null }]);
    expect(one({ MESSAGE: null })).toEqual([]);
  });
});

describe("kpanic --boot -1 (journald)", () => {
  it("reads the boot through journalctl -o json and puts its boot id on every incident", () => {
    const d = mkdtempSync(join(tmpdir(), "kpanic-journal-"));
    try {
      // A stand-in journalctl on PATH that serves a real corpus log as `-o json` entries.
      const id = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
      const log = readFileSync(join(ROOT, "corpora/x86_64/panic/sysrq-c.log"), "utf8");
      const entries = log
        .split(/\r?\n/)
        .map((l) => /^\[\s*(\d+)\.(\d{6})\] (.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => JSON.stringify({ _TRANSPORT: "kernel", _BOOT_ID: id, __MONOTONIC_TIMESTAMP: String(Number(m[1]) * 1e6 + Number(m[2])), MESSAGE: m[3] }));
      writeFileSync(join(d, "entries.json"), entries.join("\n") + "\n");
      writeFileSync(join(d, "args"), "");
      const fake = join(d, "journalctl");
      writeFileSync(fake, `#!/bin/sh\necho "$@" > ${join(d, "args")}\nexec cat ${join(d, "entries.json")}\n`, { mode: 0o755 });
      const r = spawnSync(process.execPath, [BIN, "--boot", "-1", "--format", "ndjson"], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, PATH: `${d}:${process.env["PATH"] ?? ""}` },
      });
      expect(r.status).toBe(0);
      expect(readFileSync(join(d, "args"), "utf8").trim()).toBe("-k -b -1 -o json --no-pager");
      const incidents = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { title: string; time: { bootId?: string } });
      expect(incidents.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
      expect(incidents[0]!.time.bootId).toBe(id);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
