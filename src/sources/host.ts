/**
 * Reads what `kpanic doctor` and `kpanic crashkernel` need from the host:
 * /proc, /sys, /boot and /etc, under a root directory (`--root`, for tests and
 * mounted images) or of the running system, plus `systemctl` on the running
 * system. The only kdump code that touches the filesystem or runs a command;
 * every read turns into data (content, or why not), never an exception.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import os from "node:os";
import { delimiter, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { dumpTarget, SYSCTLS, type FsSpace, type HostSnapshot, type Read, type ServiceState } from "../kdump/doctor.js";
import { buildIdFromNotes, countCpuList, parseMeminfo } from "../kdump/parse.js";

export class HostError extends Error {}

export interface HostOptions {
  /** Read /proc, /sys, /boot, /etc under this directory instead of /. */
  root?: string | null;
  /** Free space of a directory (default: fs.statfsSync); tests pass a fake. */
  statfs?: (dir: string) => { freeBytes: number; totalBytes: number };
  /** Run systemctl (default: spawnSync); tests pass a fake. null: treat systemctl as absent. */
  systemctl?: ((args: string[]) => { status: number | null; stdout: string; stderr: string }) | null;
}

function why(e: unknown): { reason: string; missing: boolean } {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "ENOENT" || err.code === "ENOTDIR") return { reason: "does not exist", missing: true };
  if (err.code === "EACCES" || err.code === "EPERM") return { reason: "permission denied — run as root", missing: false };
  return { reason: err.message ?? String(e), missing: false };
}

export class Host {
  readonly root: string | null;
  constructor(root: string | null) {
    this.root = root;
  }
  /** Path on the real filesystem for a host path ("/proc/cmdline"). */
  real(p: string): string {
    return this.root ? join(this.root, p) : p;
  }
  bytes(p: string): Read<Uint8Array> {
    try {
      return { ok: true, path: p, value: new Uint8Array(readFileSync(this.real(p))) };
    } catch (e) {
      return { ok: false, path: p, ...why(e) };
    }
  }
  text(p: string): Read<string> {
    const b = this.bytes(p);
    return b.ok ? { ok: true, path: p, value: Buffer.from(b.value).toString("utf8") } : b;
  }
  exists(p: string): boolean {
    return existsSync(this.real(p));
  }
  list(p: string): Read<string[]> {
    try {
      return { ok: true, path: p, value: readdirSync(this.real(p)).sort() };
    } catch (e) {
      return { ok: false, path: p, ...why(e) };
    }
  }
}

/** The kernel release: /proc/sys/kernel/osrelease under --root (or the only /boot/config-*), else os.release(). */
export function kernelRelease(h: Host): { release: string; from: string } {
  if (!h.root) return { release: os.release(), from: "uname -r" };
  const r = h.text("/proc/sys/kernel/osrelease");
  if (r.ok && r.value.trim()) return { release: r.value.trim(), from: "/proc/sys/kernel/osrelease" };
  const boot = h.list("/boot");
  const configs = boot.ok ? boot.value.filter((f) => f.startsWith("config-")) : [];
  if (configs.length === 1) return { release: configs[0]!.slice("config-".length), from: `/boot/${configs[0]!}` };
  return { release: "unknown", from: "no /proc/sys/kernel/osrelease" };
}

export function kernelConfig(h: Host, release: string): Read<string> {
  const boot = h.text(`/boot/config-${release}`);
  if (boot.ok) return boot;
  const gz = h.bytes("/proc/config.gz");
  if (gz.ok) {
    try {
      return { ok: true, path: "/proc/config.gz", value: gunzipSync(gz.value).toString("utf8") };
    } catch (e) {
      return { ok: false, path: "/proc/config.gz", reason: `cannot gunzip: ${(e as Error).message}`, missing: false };
    }
  }
  const reason = boot.missing && gz.ok === false && gz.missing ? `neither /boot/config-${release} nor /proc/config.gz (CONFIG_IKCONFIG_PROC) exists` : `/boot/config-${release}: ${boot.ok ? "" : boot.reason}; /proc/config.gz: ${gz.ok ? "" : gz.reason}`;
  return { ok: false, path: `/boot/config-${release}`, reason, missing: boot.missing };
}

function findInPath(cmd: string): boolean {
  return (process.env["PATH"] ?? "").split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

const defaultSystemctl = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync("systemctl", args, { encoding: "utf8", timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.error ? r.error.message : r.stderr ?? "" };
};

function services(h: Host, opts: HostOptions): HostSnapshot["services"] {
  if (h.root) return { skipped: "--root: the services of another root cannot be asked (systemctl speaks to the running system)" };
  const run = opts.systemctl === undefined ? (findInPath("systemctl") ? defaultSystemctl : null) : opts.systemctl;
  if (!run) return { skipped: "systemctl not found: cannot tell whether the kdump service is enabled" };
  if (opts.systemctl === undefined && !existsSync("/run/systemd/system")) return { skipped: "systemd is not running here (no /run/systemd/system): cannot ask about services" };
  const units: ServiceState[] = [];
  for (const unit of ["kdump-tools.service", "kdump.service"]) {
    const en = run(["is-enabled", unit]);
    const ac = run(["is-active", unit]);
    const first = (s: string): string => s.trim().split("\n")[0]?.trim() ?? "";
    let enabled = first(en.stdout);
    if (!enabled && /not found|No such file/i.test(en.stderr)) enabled = "not-found";
    if (!enabled) return { skipped: `systemctl is-enabled ${unit} failed: ${first(en.stderr) || `exit ${en.status}`}` };
    units.push({ unit, enabled, active: first(ac.stdout) || "unknown" });
  }
  return { units };
}

function space(h: Host, dir: string | null, opts: HostOptions): Read<FsSpace> {
  if (dir === null) return { ok: false, path: "", reason: "no local dump directory", missing: true };
  let p = dir;
  for (;;) {
    try {
      if (statSync(h.real(p)).isDirectory()) break;
    } catch {
      // not there (yet): kdump creates it; measure the parent
    }
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  try {
    if (opts.statfs) return { ok: true, path: dir, value: { measured: p, ...opts.statfs(h.real(p)) } };
    const st = statfsSync(h.real(p));
    return { ok: true, path: dir, value: { measured: p, freeBytes: Number(st.bavail) * Number(st.bsize), totalBytes: Number(st.blocks) * Number(st.bsize) } };
  } catch (e) {
    return { ok: false, path: dir, ...why(e) };
  }
}

/** Everything doctor looks at, read once. */
export function collectSnapshot(opts: HostOptions = {}): HostSnapshot {
  const root = opts.root ?? null;
  if (root !== null) {
    let st;
    try {
      st = statSync(root);
    } catch (e) {
      throw new HostError(`--root ${root}: ${why(e).reason}`);
    }
    if (!st.isDirectory()) throw new HostError(`--root ${root}: not a directory`);
  }
  const h = new Host(root);
  const { release, from } = kernelRelease(h);
  const kdumpTools = h.text("/etc/default/kdump-tools");
  const kdumpConf = h.text("/etc/kdump.conf");
  const target = dumpTarget(kdumpTools.ok ? kdumpTools.value : null, kdumpConf.ok ? kdumpConf.value : null);
  const kernelNotes = h.bytes("/sys/kernel/notes");
  const buildId = kernelNotes.ok ? buildIdFromNotes(kernelNotes.value) : null;
  const debugPaths = [`/usr/lib/debug/boot/vmlinux-${release}`, `/usr/lib/debug/lib/modules/${release}/vmlinux`];
  if (buildId) debugPaths.push(`/usr/lib/debug/.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`);
  const sysctl: Record<string, Read<string>> = {};
  for (const name of SYSCTLS) sysctl[name] = h.text(`/proc/sys/kernel/${name}`);
  return {
    root,
    release,
    releaseFrom: from,
    arch: root ? null : os.machine(),
    kernelConfig: kernelConfig(h, release),
    cmdline: h.text("/proc/cmdline"),
    kexecCrashSize: h.text("/sys/kernel/kexec_crash_size"),
    kexecCrashLoaded: h.text("/sys/kernel/kexec_crash_loaded"),
    iomem: h.text("/proc/iomem"),
    meminfo: h.text("/proc/meminfo"),
    cpusPresent: h.text("/sys/devices/system/cpu/present"),
    osRelease: h.text("/etc/os-release"),
    kdumpTools,
    kdumpConf,
    services: services(h, opts),
    dumpSpace: space(h, target.dir, opts),
    debugFiles: debugPaths.map((path) => ({ path, exists: h.exists(path) })),
    kernelNotes,
    sysctl,
    mounts: h.text("/proc/mounts"),
    pstoreBackend: h.text("/sys/module/pstore/parameters/backend"),
    pstoreModules: ["ramoops", "efi_pstore", "mtdoops", "pstore_blk", "pstore_zone"].filter((m) => h.exists(`/sys/module/${m}`)),
    pstoreRecords: h.list("/sys/fs/pstore"),
  };
}

/** This machine's RAM, CPUs and arch for `kpanic crashkernel` without --ram/--cpus/--arch. */
export function localMachine(): { ramBytes: number; ramFrom: string; cpus: number; cpusFrom: string; arch: string } {
  const h = new Host(null);
  const mem = h.text("/proc/meminfo");
  const crash = h.text("/sys/kernel/kexec_crash_size");
  const total = mem.ok ? parseMeminfo(mem.value).get("MemTotal") : undefined;
  const reserved = crash.ok ? Number(crash.value.trim()) || 0 : 0;
  const present = h.text("/sys/devices/system/cpu/present");
  const cpus = present.ok ? countCpuList(present.value) : null;
  return {
    ramBytes: (total ?? os.totalmem()) + reserved,
    ramFrom: `${total !== undefined ? "MemTotal in /proc/meminfo" : "os.totalmem()"}${reserved ? " + the current crash reservation" : ""}`,
    cpus: cpus ?? os.cpus().length,
    cpusFrom: cpus ? "/sys/devices/system/cpu/present" : "os.cpus()",
    arch: os.machine(),
  };
}
