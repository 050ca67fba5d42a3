/**
 * `kpanic doctor` and `kpanic crashkernel` through yargs, as main.ts
 * registers them (a tiny parser here, since main.ts is not ours to edit).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { describe, expect, it } from "vitest";
import { crashkernelCommand, runCrashkernel, type CrashkernelArgs } from "../../src/cli/commands/crashkernel.js";
import { doctorCommand, runDoctor, type CommandIO } from "../../src/cli/commands/doctor.js";
import { getExitCode, setExitCode } from "../../src/cli/common.js";
import { GiB } from "../../src/kdump/units.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "doctor");

function capture(): CommandIO & { stdout: () => string; stderr: () => string } {
  let o = "";
  let e = "";
  return { out: (s) => (o += s), err: (s) => (e += s), stdout: () => o, stderr: () => e };
}

const fakeMachine = () => ({ ramBytes: 16 * GiB, ramFrom: "test", cpus: 8, cpusFrom: "test", arch: "x86_64" });

function ck(args: Partial<CrashkernelArgs>): { code: number; out: string; err: string } {
  const io = capture();
  const code = runCrashkernel({ format: "text", ...args }, io, fakeMachine);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe("kpanic crashkernel", () => {
  it("--ram 2T --cpus 128 --arch x86_64: 1825 MB with its arithmetic, recommend 2 GB", () => {
    const r = ck({ ram: "2T", cpus: 128, arch: "x86_64" });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/base for x86_64\s+161 MB/);
    expect(r.out).toMatch(/\+ 64 MB × 2 TB of RAM\s+128 MB/);
    expect(r.out).toMatch(/\+ 12 MB × 128 CPUs\s+1536 MB/);
    expect(r.out).toMatch(/= total\s+1825 MB/);
    expect(r.out).toContain("rounded up to 2048 MB (2 GB): next multiple of 256 MB (1 GB and above)");
    expect(r.out).toContain("recommendation: crashkernel=2048M (2 GB)");
    expect(r.out).toContain('GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=2048M"');
    expect(r.out).toContain("/etc/default/grub.d/kdump-tools.cfg");
    expect(r.out).toContain("sudo update-grub");
    expect(r.out).toContain("sudo reboot");
  });

  it("--arch aarch64 (and arm64) works", () => {
    for (const arch of ["aarch64", "arm64"]) {
      const r = ck({ ram: "64G", cpus: 16, arch });
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/base for arm64\s+512 MB/);
      expect(r.out).toContain("crashkernel=704M");
    }
  });

  it("unknown architecture: exit 2 listing the known ones", () => {
    const r = ck({ ram: "8G", cpus: 2, arch: "sparc64" });
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown architecture "sparc64"');
    expect(r.err).toContain("aarch64");
  });

  it("bad sizes and CPU counts: exit 2", () => {
    expect(ck({ ram: "lots" }).code).toBe(2);
    expect(ck({ ram: "8G", cpus: 0 }).code).toBe(2);
  });

  it("defaults to this machine", () => {
    const r = ck({});
    expect(r.out).toContain("16 GB RAM (this machine: test), 8 CPUs");
  });

  it("--format json", () => {
    const r = ck({ ram: "1.5T", cpus: 4, arch: "x86_64", format: "json" });
    const j = JSON.parse(r.out) as { schema: string; recommendation: { totalMB: number; recommendedMB: number; crashkernel: string; steps: { mb: number; note?: string }[] } };
    expect(j.schema).toBe("kpanic.crashkernel/v1");
    expect(j.recommendation.totalMB).toBe(161 + 128 + 48);
    expect(j.recommendation.recommendedMB).toBe(384);
    expect(j.recommendation.steps[1]!.note).toContain("a started TB counts as a whole one");
  });

  it("--check rejects the widely copied malformed spec with positions and reasons (exit 2)", () => {
    const spec = "crashkernel=1G-4G:192M,2G-64G:256M,4G-64G:256M,64G-256G:512M,256G-1024:1G";
    const r = ck({ check: spec, ram: "16G" });
    expect(r.code).toBe(2);
    expect(r.out).toContain("malformed (2 errors)");
    expect(r.out).toContain(`error at column ${spec.indexOf("2G-64G") + 1}: range 2G-64G overlaps 1G-4G and 4G-64G`);
    expect(r.out).toContain(`error at column ${spec.indexOf("1024:") + 1}: range 256G-1024: its end 1024 has no unit, i.e. 1024 bytes`);
    expect(r.out).toContain("did you mean 1024G?");
  });

  it("--check evaluates a valid range list for --ram, warning below the recommendation (exit 0)", () => {
    const r = ck({ check: "1G-4G:192M,4G-64G:256M,64G-:512M", ram: "16G", cpus: 8, arch: "x86_64" });
    expect(r.code).toBe(0);
    expect(r.out).toContain("valid range list (3 ranges)");
    expect(r.out).toMatch(/→ 4G-64G:256M\s+← applies/);
    expect(r.out).toContain("reserves 256M");
    expect(r.out).toContain("warning: 256M is below the 384 MB recommended");
    const big = ck({ check: "1G-4G:192M,4G-64G:256M,64G-:512M", ram: "128G", cpus: 8, arch: "x86_64" });
    expect(big.out).toContain("reserves 512M");
    expect(big.out).not.toContain("warning:");
  });

  it("--check --format json", () => {
    const r = ck({ check: "crashkernel=512M@16M", ram: "8G", format: "json" });
    const j = JSON.parse(r.out) as { check: { valid: boolean; spec: { kind: string } }; evaluation: { size: number } };
    expect(j.check.valid).toBe(true);
    expect(j.check.spec.kind).toBe("simple");
    expect(j.evaluation.size).toBe(512 * 1024 * 1024);
  });
});

describe("kpanic doctor", () => {
  it("exit 1 on a FAIL, 0 with warnings, 2 for a missing --root", () => {
    const io = capture();
    expect(runDoctor({ root: join(FIXTURES, "debian-unready"), format: "text", width: 120 }, io)).toBe(1);
    expect(io.stdout()).toContain("a crash on this machine would probably NOT be captured");
    expect(runDoctor({ root: join(FIXTURES, "debian-ready"), format: "json" }, capture())).toBe(0);
    expect(runDoctor({ root: join(FIXTURES, "rhel9"), format: "json" }, capture())).toBe(0);
    const bad = capture();
    expect(runDoctor({ root: join(FIXTURES, "no-such-box"), format: "text" }, bad)).toBe(2);
    expect(bad.stderr()).toContain("does not exist");
  });

  it("registers with yargs and sets the exit code (doctor --root, crashkernel)", async () => {
    const parser = () => yargs([]).command(doctorCommand).command(crashkernelCommand).strict().exitProcess(false);
    const write = process.stdout.write.bind(process.stdout);
    let out = "";
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      setExitCode(0);
      await parser().parseAsync(["doctor", "--root", join(FIXTURES, "debian-unready"), "--format", "json"]);
      expect(getExitCode()).toBe(1);
      expect((JSON.parse(out) as { verdict: string }).verdict).toBe("FAIL");
      out = "";
      setExitCode(0);
      await parser().parseAsync(["crashkernel", "--ram", "2T", "--cpus", "128", "--arch", "x86_64", "--format", "json"]);
      expect(getExitCode()).toBe(0);
      expect((JSON.parse(out) as { recommendation: { totalMB: number } }).recommendation.totalMB).toBe(1825);
      out = "";
      await parser().parseAsync(["crashkernel", "--check", "1G-4G:192M,256G-1024:1G", "--ram", "16G"]);
      expect(getExitCode()).toBe(2);
    } finally {
      process.stdout.write = write;
      setExitCode(0);
    }
  });
});
