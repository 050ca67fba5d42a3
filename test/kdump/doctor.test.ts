/**
 * kpanic doctor: every check's status on the fixture trees in
 * test/fixtures/doctor (synthetic, see its README), then single checks on
 * snapshot objects, then the running machine.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dumpTarget, estimateDump, runChecks, type HostSnapshot, type Read, type Status } from "../../src/kdump/doctor.js";
import { parseMeminfo } from "../../src/kdump/parse.js";
import { renderDoctorJson, renderDoctorText } from "../../src/kdump/render.js";
import { GiB, MiB } from "../../src/kdump/units.js";
import { collectSnapshot } from "../../src/sources/host.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "doctor");
const plenty = (): { freeBytes: number; totalBytes: number } => ({ freeBytes: 500 * GiB, totalBytes: 1000 * GiB });

function statuses(root: string, statfs = plenty): Record<string, Status> {
  const r = runChecks(collectSnapshot({ root: join(FIXTURES, root), statfs }));
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
}

describe("doctor on fixture trees", () => {
  it("debian-ready: ready, one WARN (Debian's kernel.sysrq=438 has no SysRq-c)", () => {
    expect(statuses("debian-ready")).toEqual({
      "config-crash-dump": "PASS",
      "config-proc-vmcore": "PASS",
      "config-kexec": "PASS",
      "config-debug-info": "PASS",
      "config-magic-sysrq": "PASS",
      "crashkernel-cmdline": "PASS",
      "crashkernel-reserved": "PASS",
      "crashkernel-size": "PASS",
      "capture-kernel-loaded": "PASS",
      "kdump-config": "PASS",
      "kdump-service": "SKIP",
      "dump-space": "PASS",
      "debug-symbols": "PASS",
      "sysctl-sysrq": "WARN",
      "sysctl-panic": "PASS",
      "sysctl-panic_on_oops": "PASS",
      "sysctl-panic_on_warn": "PASS",
      "sysctl-hung_task_panic": "PASS",
      "sysctl-softlockup_panic": "PASS",
      pstore: "PASS",
    });
    const r = runChecks(collectSnapshot({ root: join(FIXTURES, "debian-ready"), statfs: plenty }));
    expect(r.verdict).toBe("WARN");
    expect(r.release).toBe("6.1.0-26-amd64");
    expect(r.arch).toBe("x86_64");
    expect(r.cpus).toBe(8);
    expect(r.recommendation?.recommendedMB).toBe(384);
    const by = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(by("crashkernel-reserved").found).toContain("Crash kernel 61000000-78ffffff");
    expect(by("crashkernel-size").found).toContain("161 + 64 + 96 = 321 MB → 384 MB");
    expect(by("kdump-service").found).toContain("--root");
  });

  it("debian-unready: FAILs where kdump would not work", () => {
    expect(statuses("debian-unready")).toEqual({
      "config-crash-dump": "PASS",
      "config-proc-vmcore": "PASS",
      "config-kexec": "WARN",
      "config-debug-info": "WARN",
      "config-magic-sysrq": "PASS",
      "crashkernel-cmdline": "FAIL",
      "crashkernel-reserved": "FAIL",
      "crashkernel-size": "SKIP",
      "capture-kernel-loaded": "FAIL",
      "kdump-config": "FAIL",
      "kdump-service": "SKIP",
      "dump-space": "PASS",
      "debug-symbols": "WARN",
      "sysctl-sysrq": "WARN",
      "sysctl-panic": "WARN",
      "sysctl-panic_on_oops": "WARN",
      "sysctl-panic_on_warn": "PASS",
      "sysctl-hung_task_panic": "PASS",
      "sysctl-softlockup_panic": "PASS",
      pstore: "WARN",
    });
    const r = runChecks(collectSnapshot({ root: join(FIXTURES, "debian-unready"), statfs: plenty }));
    const by = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(r.verdict).toBe("FAIL");
    expect(by("config-kexec").found).toContain("CONFIG_KEXEC_FILE is not set"); // read from /proc/config.gz
    expect(by("crashkernel-cmdline").fix).toContain('GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=320M"');
    expect(by("crashkernel-cmdline").fix).toContain("sudo update-grub");
    expect(by("crashkernel-reserved").found).toContain("not root: cannot read /proc/iomem ranges — run as root");
    expect(by("kdump-config").fix).toContain("USE_KDUMP=1");
    expect(by("debug-symbols").fix).toBe("sudo apt install linux-image-6.1.0-18-amd64-dbg");
    expect(by("capture-kernel-loaded").fix).toBe("sudo systemctl restart kdump-tools");
  });

  it("rhel9: no FAIL; the range list's 256M is below the recommended 448M", () => {
    expect(statuses("rhel9")).toEqual({
      "config-crash-dump": "PASS",
      "config-proc-vmcore": "PASS",
      "config-kexec": "PASS",
      "config-debug-info": "PASS",
      "config-magic-sysrq": "PASS",
      "crashkernel-cmdline": "PASS",
      "crashkernel-reserved": "PASS",
      "crashkernel-size": "WARN",
      "capture-kernel-loaded": "PASS",
      "kdump-config": "PASS",
      "kdump-service": "SKIP",
      "dump-space": "PASS",
      "debug-symbols": "PASS",
      "sysctl-sysrq": "WARN",
      "sysctl-panic": "WARN",
      "sysctl-panic_on_oops": "PASS",
      "sysctl-panic_on_warn": "PASS",
      "sysctl-hung_task_panic": "PASS",
      "sysctl-softlockup_panic": "PASS",
      pstore: "PASS",
    });
    const r = runChecks(collectSnapshot({ root: join(FIXTURES, "rhel9"), statfs: plenty }));
    const by = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(r.distro.family).toBe("rhel");
    expect(by("crashkernel-cmdline").found).toContain("→ 256M for 32 GB of RAM");
    expect(by("crashkernel-size").fix).toBe("sudo grubby --update-kernel=ALL --args=crashkernel=448M && sudo reboot");
    expect(by("debug-symbols").found).toBe("/usr/lib/debug/lib/modules/5.14.0-427.13.1.el9_4.x86_64/vmlinux");
    expect(by("kdump-config").found).toContain("core_collector makedumpfile -l --message-level 7 -d 31");
    expect(by("pstore").found).toContain("1 saved record");
  });

  it("free space: FAIL when the estimate does not fit, WARN under twice it", () => {
    expect(statuses("rhel9", () => ({ freeBytes: 100 * MiB, totalBytes: GiB }))["dump-space"]).toBe("FAIL");
    expect(statuses("rhel9", () => ({ freeBytes: 2 * GiB, totalBytes: 10 * GiB }))["dump-space"]).toBe("WARN");
  });

  it("renders a table and JSON", () => {
    const r = runChecks(collectSnapshot({ root: join(FIXTURES, "debian-unready"), statfs: plenty }));
    const text = renderDoctorText(r, { width: 120, root: "x" });
    expect(text).toContain("│ check");
    expect(text).toContain("FAIL");
    expect(text).toMatch(/4 fail/);
    const j = JSON.parse(renderDoctorJson(r, "0.0.0", "x")) as { schema: string; checks: { id: string; status: string }[]; verdict: string };
    expect(j.schema).toBe("kpanic.doctor/v1");
    expect(j.verdict).toBe("FAIL");
    expect(j.checks).toHaveLength(20);
  });
});

// ---- single checks on snapshot objects ----

const missing = (path: string): Read<never> => ({ ok: false, path, reason: "does not exist", missing: true });
const text = (path: string, value: string): Read<string> => ({ ok: true, path, value });

function snapshot(over: Partial<HostSnapshot> = {}): HostSnapshot {
  return {
    root: null,
    release: "6.1.0-26-amd64",
    releaseFrom: "uname -r",
    arch: "x86_64",
    kernelConfig: missing("/boot/config-6.1.0-26-amd64"),
    cmdline: missing("/proc/cmdline"),
    kexecCrashSize: missing("/sys/kernel/kexec_crash_size"),
    kexecCrashLoaded: missing("/sys/kernel/kexec_crash_loaded"),
    iomem: missing("/proc/iomem"),
    meminfo: missing("/proc/meminfo"),
    cpusPresent: missing("/sys/devices/system/cpu/present"),
    osRelease: missing("/etc/os-release"),
    kdumpTools: missing("/etc/default/kdump-tools"),
    kdumpConf: missing("/etc/kdump.conf"),
    services: { skipped: "test" },
    dumpSpace: missing("/var/crash"),
    debugFiles: [],
    kernelNotes: missing("/sys/kernel/notes"),
    sysctl: {},
    mounts: missing("/proc/mounts"),
    pstoreBackend: missing("/sys/module/pstore/parameters/backend"),
    pstoreModules: [],
    pstoreRecords: missing("/sys/fs/pstore"),
    ...over,
  };
}
const check = (s: HostSnapshot, id: string) => runChecks(s).checks.find((c) => c.id === id)!;

describe("doctor checks on snapshots", () => {
  it("nothing readable: SKIPs with the reason, never a crash", () => {
    const r = runChecks(snapshot());
    expect(r.checks.find((c) => c.id === "config-crash-dump")).toMatchObject({ status: "SKIP", found: expect.stringContaining("cannot read /boot/config") });
    expect(check(snapshot({ iomem: { ok: false, path: "/proc/iomem", reason: "permission denied — run as root", missing: false } }), "crashkernel-reserved").found).toContain("permission denied");
  });

  it("a malformed crashkernel= on the command line FAILs with the column", () => {
    const c = check(snapshot({ cmdline: text("/proc/cmdline", "ro crashkernel=1G-4G:192M,256G-1024:1G quiet") }), "crashkernel-cmdline");
    expect(c.status).toBe("FAIL");
    expect(c.found).toContain("column 29");
    expect(c.found).toContain("1024 bytes");
  });

  it("a range list that gives nothing for this RAM FAILs", () => {
    const c = check(
      snapshot({ cmdline: text("/proc/cmdline", "crashkernel=64G-:512M"), meminfo: text("/proc/meminfo", "MemTotal: 16000000 kB\n") }),
      "crashkernel-cmdline",
    );
    expect(c.status).toBe("FAIL");
    expect(c.found).toContain("nothing is reserved");
  });

  it("kdump service states", () => {
    const svc = (enabled: string, active: string): HostSnapshot["services"] => ({ units: [{ unit: "kdump-tools.service", enabled, active }, { unit: "kdump.service", enabled: "not-found", active: "inactive" }] });
    const deb = text("/etc/os-release", "ID=debian\n");
    expect(check(snapshot({ osRelease: deb, services: svc("enabled", "active") }), "kdump-service").status).toBe("PASS");
    expect(check(snapshot({ osRelease: deb, services: svc("enabled", "failed") }), "kdump-service").status).toBe("WARN");
    const dis = check(snapshot({ osRelease: deb, services: svc("disabled", "inactive") }), "kdump-service");
    expect(dis).toMatchObject({ status: "FAIL", fix: "sudo systemctl enable --now kdump-tools.service" });
    expect(check(snapshot({ osRelease: deb, services: svc("not-found", "inactive") }), "kdump-service").status).toBe("FAIL");
  });

  it("kexec_crash_loaded missing means no kexec support", () => {
    expect(check(snapshot(), "capture-kernel-loaded").status).toBe("FAIL");
    expect(check(snapshot({ kexecCrashLoaded: { ok: false, path: "/sys/kernel/kexec_crash_loaded", reason: "permission denied", missing: false } }), "capture-kernel-loaded").status).toBe("SKIP");
  });

  it("kdump.conf with cp as collector WARNs; remote targets skip the space check", () => {
    const conf = text("/etc/kdump.conf", "path /var/crash\ncore_collector cp\n");
    expect(check(snapshot({ kdumpConf: conf }), "kdump-config").status).toBe("WARN");
    const nfsConf = "nfs server:/export\ncore_collector makedumpfile -l -d 31\n";
    const nfs = text("/etc/kdump.conf", nfsConf);
    expect(dumpTarget(null, nfsConf).dir).toBeNull();
    expect(check(snapshot({ kdumpConf: nfs }), "dump-space")).toMatchObject({ status: "SKIP", found: expect.stringContaining("nfs server:/export") });
  });

  it("dump size estimate by dump level", () => {
    const m = parseMeminfo("MemTotal: 16777216 kB\nMemFree: 8388608 kB\nAnonPages: 2097152 kB\nCached: 2097152 kB\nBuffers: 1048576 kB\n");
    expect(estimateDump(m, null)!.bytes).toBe(16 * GiB);
    expect(estimateDump(m, 0)!.bytes).toBe(16 * GiB);
    expect(estimateDump(m, 31)!.bytes).toBe(3 * GiB);
    expect(estimateDump(m, 16)!.bytes).toBe(8 * GiB);
  });

  it("sysrq: 1 or bit 8 allows SysRq-c", () => {
    const sc = (v: string) => check(snapshot({ sysctl: { sysrq: text("/proc/sys/kernel/sysrq", v) } }), "sysctl-sysrq").status;
    expect(sc("1")).toBe("PASS");
    expect(sc("8")).toBe("PASS");
    expect(sc("176")).toBe("WARN");
    expect(sc("0")).toBe("WARN");
  });

  it("debug symbols: package names per distribution", () => {
    expect(check(snapshot({ osRelease: text("/etc/os-release", "ID=rhel\n"), release: "5.14.0-427.el9.x86_64" }), "debug-symbols").fix).toBe("sudo dnf install kernel-debuginfo-5.14.0-427.el9.x86_64");
    expect(check(snapshot({ osRelease: text("/etc/os-release", "ID=debian\n") }), "debug-symbols").fix).toBe("sudo apt install linux-image-6.1.0-26-amd64-dbg");
  });
});

describe("doctor on this machine", () => {
  it("runs without throwing and says what it cannot see", () => {
    const r = runChecks(collectSnapshot());
    expect(r.checks).toHaveLength(20);
    for (const c of r.checks) {
      expect(["PASS", "WARN", "FAIL", "SKIP"]).toContain(c.status);
      if (c.status === "SKIP") expect(c.found.length).toBeGreaterThan(0);
    }
  });
});
