/**
 * `kpanic doctor`: is this machine ready to capture a crash dump? Every check
 * is a pure function of a HostSnapshot (what src/sources/host.ts read), so
 * the whole evaluation is unit-tested on snapshot objects and fixture trees.
 */
import {
  buildIdFromNotes,
  countCpuList,
  distroFromOsRelease,
  dumpLevel,
  iomemCrashKernel,
  iomemHidden,
  iomemSystemRam,
  parseIomem,
  parseKdumpConf,
  parseKernelConfig,
  parseMeminfo,
  parseShellVars,
  type DistroFamily,
} from "./parse.js";
import { applyCommands, archFamily, recommend, type Recommendation } from "./sizing.js";
import { crashkernelFromCmdline, evaluateSpec, parseCrashkernel, showSize } from "./spec.js";
import { human, MiB } from "./units.js";

export type Status = "PASS" | "WARN" | "FAIL" | "SKIP";

/** One file (or command) read from the host: its content, or why not. */
export type Read<T> = { ok: true; path: string; value: T } | { ok: false; path: string; reason: string; missing: boolean };

export interface ServiceState {
  unit: string;
  /** `systemctl is-enabled` output: enabled, disabled, masked, static, not-found... */
  enabled: string;
  /** `systemctl is-active` output: active, inactive, failed... */
  active: string;
}

export interface FsSpace {
  /** Directory actually measured (the dump directory, or its nearest existing parent). */
  measured: string;
  freeBytes: number;
  totalBytes: number;
}

export interface HostSnapshot {
  /** The --root directory, or null for the running system. */
  root: string | null;
  release: string;
  releaseFrom: string;
  /** `uname -m` style; null when unknown (under --root it is guessed from the kernel config). */
  arch: string | null;
  kernelConfig: Read<string>;
  cmdline: Read<string>;
  kexecCrashSize: Read<string>;
  kexecCrashLoaded: Read<string>;
  iomem: Read<string>;
  meminfo: Read<string>;
  cpusPresent: Read<string>;
  osRelease: Read<string>;
  kdumpTools: Read<string>;
  kdumpConf: Read<string>;
  /** Service states, or why they were not asked. */
  services: { units: ServiceState[] } | { skipped: string };
  dumpSpace: Read<FsSpace>;
  /** Debug-symbol files looked for, and which exist. */
  debugFiles: { path: string; exists: boolean }[];
  /** /sys/kernel/notes (for the build-id). */
  kernelNotes: Read<Uint8Array>;
  /** /proc/sys/kernel/<name> for the names in SYSCTLS. */
  sysctl: Record<string, Read<string>>;
  /** /proc/mounts (to see whether pstore is mounted). */
  mounts: Read<string>;
  pstoreBackend: Read<string>;
  /** Loaded pstore back-end modules found under /sys/module (ramoops, efi_pstore...). */
  pstoreModules: string[];
  /** Entries in /sys/fs/pstore, or why they could not be listed. */
  pstoreRecords: Read<string[]>;
}

export interface Check {
  id: string;
  title: string;
  status: Status;
  found: string;
  /** The command (or edit) that fixes it; empty when nothing to do. */
  fix: string;
}

export const SYSCTLS = ["sysrq", "panic", "panic_on_oops", "panic_on_warn", "hung_task_panic", "softlockup_panic"] as const;

/** Where the dump goes and which makedumpfile level, from the distribution's kdump config. */
export interface DumpTarget {
  /** Local directory, or null when the dump goes elsewhere (remote, raw device). */
  dir: string | null;
  from: string;
  /** makedumpfile -d level; null when the collector copies everything (cp) or it is unknown. */
  level: number | null;
  levelFrom: string;
  /** Why dir is null. */
  remote?: string;
}

export function dumpTarget(kdumpTools: string | null, kdumpConf: string | null): DumpTarget {
  if (kdumpConf !== null) {
    const c = parseKdumpConf(kdumpConf);
    const path = c.get("path") ?? "/var/crash";
    const collector = c.get("core_collector") ?? "makedumpfile -l --message-level 7 -d 31";
    const level = collector.startsWith("makedumpfile") ? dumpLevel(collector) ?? 0 : null;
    const t: DumpTarget = { dir: path, from: c.has("path") ? "/etc/kdump.conf path" : "/etc/kdump.conf default path", level, levelFrom: `core_collector ${collector}` };
    for (const remote of ["nfs", "ssh", "raw"]) {
      if (c.has(remote)) {
        t.dir = null;
        t.remote = `the dump goes to ${remote} ${c.get(remote)}`;
      }
    }
    for (const fs of ["ext2", "ext3", "ext4", "xfs", "btrfs", "minix"]) {
      if (c.has(fs)) {
        t.dir = null;
        t.remote = `the dump goes to ${c.get(fs)} (${fs}), path ${path} on it`;
      }
    }
    return t;
  }
  const v = kdumpTools === null ? new Map<string, string>() : parseShellVars(kdumpTools);
  const args = v.get("MAKEDUMP_ARGS") ?? "-c -d 31";
  const argsFrom = v.has("MAKEDUMP_ARGS") ? `MAKEDUMP_ARGS "${args}"` : `kdump-tools default MAKEDUMP_ARGS "${args}"`;
  const t: DumpTarget = {
    dir: v.get("KDUMP_COREDIR") ?? "/var/crash",
    from: v.has("KDUMP_COREDIR") ? "KDUMP_COREDIR" : "kdump-tools default",
    level: dumpLevel(args) ?? 0,
    levelFrom: argsFrom,
  };
  if (v.get("NFS") || v.get("SSH")) {
    t.dir = null;
    t.remote = `the dump goes to ${v.get("NFS") ? `NFS ${v.get("NFS")}` : `SSH ${v.get("SSH")}`}`;
  }
  return t;
}

/**
 * Expected dump size now, from /proc/meminfo and the makedumpfile level: the
 * level's bits drop zero pages (1), page cache (2, 4), user pages (8) and free
 * pages (16). Without a level (cp) the dump is all of RAM. Compression is not
 * counted (it only makes the dump smaller).
 */
export function estimateDump(meminfo: Map<string, number>, level: number | null): { bytes: number; how: string } | null {
  const total = meminfo.get("MemTotal");
  if (total === undefined) return null;
  if (level === null || level === 0) return { bytes: total, how: `all of RAM (${human(total)}): no page filtering` };
  const g = (k: string): number => meminfo.get(k) ?? 0;
  let bytes = total;
  const dropped: string[] = [];
  if (level & 16) {
    bytes -= g("MemFree");
    dropped.push("free");
  }
  if (level & 8) {
    bytes -= g("AnonPages");
    dropped.push("user");
  }
  if (level & 6) {
    bytes -= g("Cached") + g("Buffers");
    dropped.push("cache");
  }
  bytes = Math.max(bytes, 64 * MiB);
  return { bytes, how: `RAM ${human(total)} minus ${dropped.join(", ") || "nothing"} pages (-d ${level}) ≈ ${human(bytes)} now` };
}

/** RAM as the kernel sizes crashkernel= against it: System RAM in /proc/iomem, else MemTotal plus the reservation (MemTotal excludes it). */
export function ramEstimate(s: HostSnapshot): { bytes: number; from: string } | null {
  if (s.iomem.ok) {
    const r = parseIomem(s.iomem.value);
    const sys = iomemSystemRam(r);
    if (!iomemHidden(r) && sys > 0) return { bytes: sys, from: "System RAM in /proc/iomem" };
  }
  if (!s.meminfo.ok) return null;
  const total = parseMeminfo(s.meminfo.value).get("MemTotal");
  if (total === undefined) return null;
  const crash = s.kexecCrashSize.ok ? Number(s.kexecCrashSize.value.trim()) || 0 : 0;
  return { bytes: total + crash, from: crash ? "MemTotal + the crash reservation" : "MemTotal" };
}

/** Arch from the kernel config when it was not given (under --root). */
export function archFromConfig(cfg: Map<string, string>): string | null {
  if (cfg.get("CONFIG_X86_64") === "y") return "x86_64";
  if (cfg.get("CONFIG_ARM64") === "y") return "aarch64";
  if (cfg.get("CONFIG_X86_32") === "y") return "i686";
  return null;
}

const unreadable = (r: { path: string; reason: string }): string => `cannot read ${r.path}: ${r.reason}`;

function serviceUnit(d: DistroFamily): string {
  return d === "rhel" ? "kdump.service" : "kdump-tools.service";
}

function restartCommand(d: DistroFamily): string {
  return d === "rhel" ? "sudo kdumpctl restart" : "sudo systemctl restart kdump-tools";
}

function installCommand(d: DistroFamily): string {
  return d === "rhel" ? "sudo dnf install kexec-tools && sudo systemctl enable --now kdump" : "sudo apt install kdump-tools && sudo systemctl enable --now kdump-tools";
}

function sysctlFix(name: string, value: string): string {
  return `sudo sysctl -w kernel.${name}=${value} && echo kernel.${name}=${value} | sudo tee -a /etc/sysctl.d/90-kdump.conf`;
}

export interface DoctorResult {
  release: string;
  arch: string | null;
  distro: { family: DistroFamily; id: string; name: string };
  ram: { bytes: number; from: string } | null;
  cpus: number | null;
  recommendation: Recommendation | null;
  checks: Check[];
  /** Worst status: FAIL > WARN > PASS (SKIP does not count). */
  verdict: "PASS" | "WARN" | "FAIL";
}

export function runChecks(s: HostSnapshot): DoctorResult {
  const checks: Check[] = [];
  const add = (id: string, title: string, status: Status, found: string, fix = ""): void => {
    checks.push({ id, title, status, found, fix });
  };
  const distro = distroFromOsRelease(s.osRelease.ok ? s.osRelease.value : null);
  const fam = distro.family;
  const cfg = s.kernelConfig.ok ? parseKernelConfig(s.kernelConfig.value) : null;
  const arch = s.arch ?? (cfg ? archFromConfig(cfg) : null);
  const ram = ramEstimate(s);
  const cpus = s.cpusPresent.ok ? countCpuList(s.cpusPresent.value) : null;
  let rec: Recommendation | null = null;
  if (arch && archFamily(arch) && ram && cpus) rec = recommend(arch, ram.bytes, cpus);

  // ---- kernel configuration ----
  const rebuild = (opts: string[]): string => `rebuild the kernel with scripts/config ${opts.map((o) => `--enable ${o}`).join(" ")} && make olddefconfig (or boot a distribution kernel)`;
  const cfgCheck = (id: string, title: string, opts: string[], bad: Status, why: string): void => {
    if (!cfg) {
      add(id, title, "SKIP", s.kernelConfig.ok ? "" : unreadable(s.kernelConfig));
      return;
    }
    const on = opts.filter((o) => cfg.get(`CONFIG_${o}`) === "y");
    if (on.length) add(id, title, "PASS", on.map((o) => `CONFIG_${o}=y`).join(", "));
    else add(id, title, bad, `${opts.map((o) => `CONFIG_${o}`).join(" / ")} ${opts.length > 1 ? "are" : "is"} not set: ${why}`, rebuild(opts.slice(0, 1)));
  };
  cfgCheck("config-crash-dump", "kernel: CONFIG_CRASH_DUMP", ["CRASH_DUMP"], "FAIL", "the kernel cannot reserve memory for, or boot into, a capture kernel");
  cfgCheck("config-proc-vmcore", "kernel: CONFIG_PROC_VMCORE", ["PROC_VMCORE"], "FAIL", "a capture kernel built from it has no /proc/vmcore to save");
  if (!cfg) add("config-kexec", "kernel: CONFIG_KEXEC_CORE, KEXEC_FILE", "SKIP", unreadable(s.kernelConfig as { path: string; reason: string }));
  else {
    const core = cfg.get("CONFIG_KEXEC_CORE") === "y" || cfg.get("CONFIG_KEXEC") === "y";
    const file = cfg.get("CONFIG_KEXEC_FILE") === "y";
    if (!core) add("config-kexec", "kernel: CONFIG_KEXEC_CORE, KEXEC_FILE", "FAIL", "CONFIG_KEXEC_CORE is not set: no capture kernel can be loaded", rebuild(["KEXEC_CORE", "KEXEC_FILE"]));
    else if (!file) add("config-kexec", "kernel: CONFIG_KEXEC_CORE, KEXEC_FILE", "WARN", "CONFIG_KEXEC_CORE=y but CONFIG_KEXEC_FILE is not set: with Secure Boot (lockdown) only kexec_file_load works", rebuild(["KEXEC_FILE"]));
    else add("config-kexec", "kernel: CONFIG_KEXEC_CORE, KEXEC_FILE", "PASS", "CONFIG_KEXEC_CORE=y, CONFIG_KEXEC_FILE=y");
  }
  cfgCheck("config-debug-info", "kernel: CONFIG_DEBUG_INFO*", ["DEBUG_INFO", "DEBUG_INFO_DWARF4", "DEBUG_INFO_DWARF5", "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", "DEBUG_INFO_BTF"], "WARN", "no debug info: crash(8) cannot read the dump's structures");
  cfgCheck("config-magic-sysrq", "kernel: CONFIG_MAGIC_SYSRQ", ["MAGIC_SYSRQ"], "WARN", "no SysRq: you cannot test kdump with echo c > /proc/sysrq-trigger or dump a hung machine");

  // ---- crashkernel= on the command line ----
  const recParam = rec ? rec.param : "512M";
  const applyFix = applyCommands(recParam, fam).join(" && ");
  let cmdSpec: string | null = null;
  if (!s.cmdline.ok) add("crashkernel-cmdline", "crashkernel= on the kernel command line", "SKIP", unreadable(s.cmdline));
  else {
    const ck = crashkernelFromCmdline(s.cmdline.value);
    cmdSpec = ck.main;
    if (!ck.main) add("crashkernel-cmdline", "crashkernel= on the kernel command line", "FAIL", "no crashkernel= in /proc/cmdline: no memory is reserved for a capture kernel", applyFix);
    else if (ck.main === "crashkernel=auto")
      add("crashkernel-cmdline", "crashkernel= on the kernel command line", "WARN", "crashkernel=auto: only RHEL 7/8 kernels understand it (their built-in size table); upstream and RHEL 9 kernels reserve nothing", fam === "rhel" ? "sudo kdumpctl reset-crashkernel --kernel=ALL && sudo reboot" : applyFix);
    else {
      const p = parseCrashkernel(ck.main);
      const errs = p.problems.filter((x) => x.severity === "error");
      if (!p.valid || !p.spec) add("crashkernel-cmdline", "crashkernel= on the kernel command line", "FAIL", `${ck.main} is malformed: ${errs.map((e) => `column ${e.pos + 1}: ${e.message}`).join("; ")}`, applyFix);
      else {
        let found = ck.all.join(" ");
        let status: Status = p.problems.length ? "WARN" : "PASS";
        if (p.problems.length) found += ` (${p.problems.map((x) => x.message).join("; ")})`;
        if (ram) {
          const ev = evaluateSpec(p.spec, ram.bytes);
          if (ev.problems.length) {
            status = "FAIL";
            found += `: ${ev.problems.join("; ")}`;
          } else found += ` → ${showSize(ev.size)} for ${human(ram.bytes)} of RAM`;
        }
        add("crashkernel-cmdline", "crashkernel= on the kernel command line", status, found, status === "PASS" ? "" : applyFix);
      }
    }
  }

  // ---- memory actually reserved ----
  let reserved: number | null = null;
  {
    const title = "crash kernel memory reserved";
    const notes: string[] = [];
    if (s.kexecCrashSize.ok) {
      const n = Number(s.kexecCrashSize.value.trim());
      if (Number.isFinite(n)) reserved = n;
    } else notes.push(unreadable(s.kexecCrashSize));
    let iomemRange = "";
    if (s.iomem.ok) {
      const r = parseIomem(s.iomem.value);
      const ck = iomemCrashKernel(r);
      if (iomemHidden(r)) notes.push("not root: cannot read /proc/iomem ranges — run as root");
      else if (ck) {
        iomemRange = `Crash kernel ${ck.ranges.join(", ")} in /proc/iomem`;
        if (reserved === null) reserved = ck.bytes;
      } else notes.push("no Crash kernel range in /proc/iomem");
    } else notes.push(unreadable(s.iomem));
    if (reserved === null) add("crashkernel-reserved", title, "SKIP", notes.join("; "));
    else if (reserved === 0) add("crashkernel-reserved", title, "FAIL", `/sys/kernel/kexec_crash_size is 0${cmdSpec ? `: ${cmdSpec} reserved nothing (see dmesg | grep -i crashkernel)` : ""}${notes.length ? `; ${notes.join("; ")}` : ""}`, applyFix);
    else add("crashkernel-reserved", title, "PASS", `${showSize(reserved)} (${human(reserved)})${iomemRange ? `: ${iomemRange}` : ""}${notes.length ? `; ${notes.join("; ")}` : ""}`);
  }
  {
    const title = "reservation large enough";
    if (!rec) add("crashkernel-size", title, "SKIP", `cannot size: ${!arch ? "architecture unknown" : !archFamily(arch) ? `no sizing rule for ${arch}` : !ram ? "RAM size unknown" : "CPU count unknown"}`);
    else if (reserved === null || reserved === 0) add("crashkernel-size", title, "SKIP", `nothing reserved to compare with the recommended ${rec.recommendedMB} MB`);
    else {
      const ok = reserved >= rec.recommendedMB * MiB;
      const arith = `${rec.steps.map((x) => x.mb).join(" + ")} = ${rec.totalMB} MB → ${rec.recommendedMB} MB for ${human(ram!.bytes)} RAM, ${rec.cpus} CPUs (${rec.arch})`;
      add("crashkernel-size", title, ok ? "PASS" : "WARN", `${human(reserved)} reserved; recommended ${arith}`, ok ? "" : applyFix);
    }
  }

  // ---- capture kernel loaded ----
  {
    const title = "capture kernel loaded";
    if (s.kexecCrashLoaded.ok) {
      const v = s.kexecCrashLoaded.value.trim();
      if (v === "1") add("capture-kernel-loaded", title, "PASS", "/sys/kernel/kexec_crash_loaded is 1");
      else add("capture-kernel-loaded", title, "FAIL", `/sys/kernel/kexec_crash_loaded is ${v}: a panic now would not be captured`, restartCommand(fam));
    } else if (s.kexecCrashLoaded.missing) add("capture-kernel-loaded", title, "FAIL", `${s.kexecCrashLoaded.path} does not exist: the kernel has no kexec crash support`, rebuild(["KEXEC_CORE", "CRASH_DUMP"]));
    else add("capture-kernel-loaded", title, "SKIP", unreadable(s.kexecCrashLoaded));
  }

  // ---- distribution kdump configuration ----
  const target = dumpTarget(s.kdumpTools.ok ? s.kdumpTools.value : null, s.kdumpConf.ok ? s.kdumpConf.value : null);
  {
    const title = "kdump configuration";
    if (s.kdumpConf.ok) {
      const c = parseKdumpConf(s.kdumpConf.value);
      const collector = c.get("core_collector");
      const parts = [`/etc/kdump.conf: path ${c.get("path") ?? "/var/crash (default)"}`, `core_collector ${collector ?? "(default makedumpfile -l --message-level 7 -d 31)"}`];
      if (target.remote) parts.push(target.remote);
      if (collector && !collector.startsWith("makedumpfile")) add("kdump-config", title, "WARN", `${parts.join(", ")}: not makedumpfile, so every page of RAM is saved`, "sudo sed -i 's/^core_collector.*/core_collector makedumpfile -l --message-level 7 -d 31/' /etc/kdump.conf && sudo kdumpctl restart");
      else add("kdump-config", title, "PASS", parts.join(", "));
    } else if (s.kdumpTools.ok) {
      const v = parseShellVars(s.kdumpTools.value);
      const use = v.get("USE_KDUMP");
      const found = `/etc/default/kdump-tools: USE_KDUMP=${use ?? "(unset)"}, KDUMP_COREDIR=${v.get("KDUMP_COREDIR") ?? "(unset: /var/crash)"}`;
      if (use === "1") add("kdump-config", title, "PASS", found);
      else add("kdump-config", title, "FAIL", `${found}: kdump-tools will not load a capture kernel`, "sudo sed -i 's/^#\\?USE_KDUMP=.*/USE_KDUMP=1/' /etc/default/kdump-tools && sudo systemctl restart kdump-tools");
    } else {
      const why = [s.kdumpTools, s.kdumpConf].map((r) => (r.ok ? "" : r.missing ? `no ${r.path}` : unreadable(r))).join(", ");
      const denied = [s.kdumpTools, s.kdumpConf].some((r) => !r.ok && !r.missing);
      add("kdump-config", title, denied ? "SKIP" : "FAIL", `${why}: no kdump tooling configured${distro.id ? ` (${distro.name})` : ""}`, denied ? "" : installCommand(fam === "unknown" ? "debian" : fam));
    }
  }
  {
    const title = "kdump service";
    if ("skipped" in s.services) add("kdump-service", title, "SKIP", s.services.skipped);
    else {
      const want = serviceUnit(fam);
      const u = s.services.units.find((x) => x.unit === want) ?? s.services.units.find((x) => x.enabled !== "not-found" && x.enabled !== "");
      if (!u || u.enabled === "not-found" || u.enabled === "") add("kdump-service", title, "FAIL", `${want} is not installed`, installCommand(fam === "unknown" ? "debian" : fam));
      else if (u.enabled !== "enabled") add("kdump-service", title, "FAIL", `${u.unit} is ${u.enabled}: it will not load a capture kernel at boot`, `sudo systemctl enable --now ${u.unit}`);
      else if (u.active !== "active") add("kdump-service", title, "WARN", `${u.unit} is enabled but ${u.active}`, `sudo systemctl restart ${u.unit} && systemctl status ${u.unit}`);
      else add("kdump-service", title, "PASS", `${u.unit} is enabled and active`);
    }
  }

  // ---- free space for the dump ----
  {
    const title = "space for the dump";
    const mem = s.meminfo.ok ? parseMeminfo(s.meminfo.value) : null;
    const est = mem ? estimateDump(mem, target.level) : null;
    if (target.dir === null) add("dump-space", title, "SKIP", `${target.remote ?? "no local dump directory"}: check the space there`);
    else if (!s.dumpSpace.ok) add("dump-space", title, "SKIP", `${target.dir} (${target.from}): ${unreadable(s.dumpSpace)}`);
    else if (!est) add("dump-space", title, "SKIP", `${human(s.dumpSpace.value.freeBytes)} free on ${s.dumpSpace.value.measured}; ${s.meminfo.ok ? "no MemTotal" : unreadable(s.meminfo)}: cannot estimate the dump size`);
    else {
      const free = s.dumpSpace.value.freeBytes;
      const found = `${human(free)} free for ${target.dir} (measured at ${s.dumpSpace.value.measured}); dump estimate ${est.how} (${target.levelFrom})`;
      if (free >= 2 * est.bytes) add("dump-space", title, "PASS", found);
      else if (free >= est.bytes) add("dump-space", title, "WARN", `${found}: less than twice the estimate, and memory use at a crash is often higher`, `free space on the filesystem of ${target.dir}, or point ${fam === "rhel" ? "path in /etc/kdump.conf" : "KDUMP_COREDIR in /etc/default/kdump-tools"} at a larger one`);
      else add("dump-space", title, "FAIL", `${found}: the dump would not fit`, `free at least ${human(est.bytes * 2 - free)} on the filesystem of ${target.dir}, or point ${fam === "rhel" ? "path in /etc/kdump.conf" : "KDUMP_COREDIR in /etc/default/kdump-tools"} at a larger one`);
    }
  }

  // ---- debug symbols ----
  {
    const title = "debug symbols for the running kernel";
    const hit = s.debugFiles.find((f) => f.exists);
    const buildId = s.kernelNotes.ok ? buildIdFromNotes(s.kernelNotes.value) : null;
    const pkg = fam === "rhel" ? `sudo dnf install kernel-debuginfo-${s.release}` : distro.id === "ubuntu" ? `sudo apt install linux-image-${s.release}-dbgsym  (from ddebs.ubuntu.com)` : `sudo apt install linux-image-${s.release}-dbg`;
    if (hit) add("debug-symbols", title, "PASS", `${hit.path}${buildId ? ` (kernel build-id ${buildId})` : ""}`);
    else add("debug-symbols", title, "WARN", `no vmlinux with debug info for ${s.release} (looked for ${s.debugFiles.map((f) => f.path).join(" ")})${buildId ? `; kernel build-id ${buildId}` : ""}: crash(8) needs it to read a dump`, pkg);
  }

  // ---- sysctls ----
  const sc = (name: string): Read<string> => s.sysctl[name] ?? { ok: false, path: `/proc/sys/kernel/${name}`, reason: "not read", missing: true };
  const sysctlCheck = (name: string, judge: (n: number) => { status: Status; found: string; fix?: string }): void => {
    const r = sc(name);
    const title = `kernel.${name}`;
    if (!r.ok) {
      add(`sysctl-${name}`, title, "SKIP", r.missing ? `${r.path} does not exist (feature not built in)` : unreadable(r));
      return;
    }
    const n = Number(r.value.trim());
    if (!Number.isInteger(n)) {
      add(`sysctl-${name}`, title, "SKIP", `${r.path}: unexpected value "${r.value.trim()}"`);
      return;
    }
    const j = judge(n);
    add(`sysctl-${name}`, title, j.status, j.found, j.fix ?? "");
  };
  sysctlCheck("sysrq", (n) =>
    n === 1 || (n & 8) !== 0
      ? { status: "PASS", found: `${n}: SysRq crash (c) allowed from the keyboard and serial console` }
      : {
          status: "WARN",
          found: `${n}: SysRq crash (c) not allowed from the keyboard or serial console (needs 1 or bit 8), so a hung machine cannot be crashed into kdump; echo c > /proc/sysrq-trigger still works as root`,
          fix: sysctlFix("sysrq", "1"),
        },
  );
  sysctlCheck("panic", (n) =>
    n !== 0
      ? { status: "PASS", found: n < 0 ? `${n}: reboot immediately after a panic` : `${n}: reboot ${n} s after a panic (if the capture kernel does not take over)` }
      : { status: "WARN", found: "0: after a panic that kdump does not catch the machine hangs until someone resets it", fix: sysctlFix("panic", "10") },
  );
  sysctlCheck("panic_on_oops", (n) =>
    n !== 0
      ? { status: "PASS", found: `${n}: an Oops panics, so kdump captures it` }
      : { status: "WARN", found: "0: an Oops kills the task and the machine limps on, so no dump is taken", fix: sysctlFix("panic_on_oops", "1") },
  );
  // Opt-in: off is the normal setting, so PASS either way; the fix column says how to capture one.
  const optIn = (name: string, what: string): void =>
    sysctlCheck(name, (n) =>
      n !== 0
        ? { status: "PASS", found: `${n}: ${what} panics, so kdump captures it` }
        : { status: "PASS", found: `0: ${what} is logged, not dumped (normal; to capture one, see fix)`, fix: `optional: ${sysctlFix(name, "1")}` },
    );
  optIn("panic_on_warn", "a WARNING");
  optIn("hung_task_panic", "a hung task");
  optIn("softlockup_panic", "a soft lockup");

  // ---- pstore ----
  {
    const title = "pstore (fallback log store)";
    const mounted = s.mounts.ok ? s.mounts.value.split("\n").some((l) => l.split(" ")[2] === "pstore") : null;
    const backend = s.pstoreBackend.ok ? s.pstoreBackend.value.trim() : "";
    const hasBackend = (backend !== "" && backend !== "(null)") || s.pstoreModules.length > 0;
    const records = s.pstoreRecords.ok ? s.pstoreRecords.value.filter((n) => !n.startsWith(".")).length : null;
    const parts = [
      mounted === null ? unreadable(s.mounts as { path: string; reason: string }) : mounted ? "mounted on /sys/fs/pstore" : "/sys/fs/pstore not mounted",
      s.pstoreBackend.ok ? `backend ${backend || "(none)"}` : s.pstoreBackend.missing ? "no pstore module" : unreadable(s.pstoreBackend),
    ];
    if (s.pstoreModules.length) parts.push(`modules ${s.pstoreModules.join(", ")}`);
    if (records !== null && records > 0) parts.push(`${records} saved record${records === 1 ? "" : "s"} in /sys/fs/pstore (read them: kpanic /sys/fs/pstore/dmesg-*)`);
    if (!s.pstoreBackend.ok && s.pstoreBackend.missing && !s.pstoreModules.length) add("pstore", title, "WARN", `${parts.join(", ")}: no fallback if kdump fails`, "enable CONFIG_PSTORE with a backend (efi_pstore on UEFI: sudo modprobe efi_pstore; or ramoops via ramoops.mem_address=/mem_size= or a device-tree node)");
    else if (!hasBackend) add("pstore", title, "WARN", `${parts.join(", ")}: no backend registered, nothing would be kept`, "sudo modprobe efi_pstore   (UEFI machines; else configure ramoops: ramoops.mem_address=ADDR ramoops.mem_size=SIZE on the kernel command line)");
    else if (mounted === false) add("pstore", title, "WARN", parts.join(", "), "sudo mount -t pstore pstore /sys/fs/pstore");
    else add("pstore", title, "PASS", parts.join(", "));
  }

  const verdict = checks.some((c) => c.status === "FAIL") ? "FAIL" : checks.some((c) => c.status === "WARN") ? "WARN" : "PASS";
  return { release: s.release, arch, distro, ram, cpus, recommendation: rec, checks, verdict };
}
