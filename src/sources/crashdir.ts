/**
 * Crash directories: finds the dumps kdump (Debian kdump-tools, RHEL/Fedora
 * kdump), apport and pstore leave, strictly read-only. Nothing under a
 * scanned directory is ever written, renamed or deleted; symlinks are never
 * followed; FIFOs, sockets and devices are never opened; vmcores are only
 * read for their first 4 KiB header.
 */
import { lstat, readdir } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { Diagnostic } from "../types.js";
import { readHead } from "./file.js";

export type DumpLayout = "debian" | "rhel" | "apport" | "pstore" | "unknown";
export type VmcoreFormat = "elf" | "kdump-compressed" | "flattened" | "diskdump" | "unknown";

export interface VmcoreInfo {
  path: string;
  size: number;
  format: VmcoreFormat;
  /** From the kdump-compressed header: release, machine, crash time, compression, incomplete flag. */
  release?: string;
  machine?: string;
  crashTime?: string;
  compression?: string;
  incomplete: boolean;
}

export interface DumpEntry {
  /** Directory of the dump (or the report file for apport). */
  path: string;
  /** Path relative to the scanned root. */
  relPath: string;
  layout: DumpLayout;
  /** Host the dump came from when the directory names one (RHEL `<ip>-<stamp>`, remote kdump). */
  host: string | null;
  /** Crash time from the directory name, local time of the crashed machine, ISO-like `YYYY-MM-DDTHH:MM[:SS]`. */
  timeFromName: string | null;
  /** The kernel log saved with the dump (dmesg.<stamp>, vmcore-dmesg.txt, pstore dmesg records). */
  logs: string[];
  vmcore: VmcoreInfo | null;
  /** The capture kernel's own log (RHEL kexec-dmesg.log). */
  captureLog: string | null;
  /** A dump-incomplete* / vmcore-dmesg-incomplete.txt / incomplete flag was seen. */
  incomplete: boolean;
  notes: string[];
  /** pstore: the logs are chunks of one kernel log, to be read in the given order as one stream. */
  concatLogs?: boolean;
}

export interface ScanResult {
  root: string;
  dumps: DumpEntry[];
  /** kdump-tools' top-level files. */
  kexecCmd: string | null;
  kdumpLock: boolean;
  diagnostics: Diagnostic[];
}

export interface ScanOptions {
  /** Entries listed per directory at most (a directory with more is listed partially, with a diagnostic). */
  maxEntries?: number;
  /** How deep below the root dumps are looked for. */
  maxDepth?: number;
}

const DEBIAN_DIR = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;
/** kdump-tools with KDUMP_HOSTTAG (dumps of several machines on one NFS/SSH target): `<host>-YYYYMMDDHHMM`. */
const DEBIAN_HOST_DIR = /^(.{1,128})-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const RHEL_DIR = /^(.{1,128})-(\d{4})-(\d{2})-(\d{2})-(\d{2}):(\d{2}):(\d{2})$/;
const DEBIAN_DMESG = /^dmesg\.\d{12}$/;
const DEBIAN_DUMP = /^(?:dump|vmcore)\.\d{12}(?:\.compressed)?$/;
/** pstore dmesg records: dmesg-ramoops-0, dmesg-efi-<id>, dmesg-erst-<id>... (".enc.z": the kernel's compression could not be undone). */
const PSTORE_DMESG = /^dmesg-([a-z_]{1,16})-([0-9]{1,24})(\.enc\.z)?$/;
/** The first line of a pstore dmesg record: "Panic#1 Part1", "Oops#2 Part3". */
const PSTORE_HEAD = /^([A-Za-z]{1,16})#([0-9]{1,9}) Part([0-9]{1,9})/;

type Kind = "file" | "dir" | "symlink" | "special" | "missing";

async function kindOf(p: string): Promise<{ kind: Kind; size: number; error?: string }> {
  try {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return { kind: "symlink", size: 0 };
    if (st.isDirectory()) return { kind: "dir", size: 0 };
    if (st.isFile()) return { kind: "file", size: st.size };
    return { kind: "special", size: 0 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { kind: "missing", size: 0, error: code === "EACCES" || code === "EPERM" ? "permission denied" : (e as Error).message };
  }
}

/** Reads the first bytes of a regular file (the caller checked it with lstat: not a symlink). */
const head = readHead;

const COMPRESSION: [number, string][] = [
  [0x1, "zlib"],
  [0x2, "lzo"],
  [0x4, "snappy"],
  [0x20, "zstd"],
];

/** Identifies a vmcore from its header only. */
export function identifyVmcore(h: Buffer): Omit<VmcoreInfo, "path" | "size"> {
  const sig8 = h.subarray(0, 8).toString("latin1");
  if (h.length >= 4 && h[0] === 0x7f && h.subarray(1, 4).toString("latin1") === "ELF") return { format: "elf", incomplete: false };
  if (h.subarray(0, 12).toString("latin1") === "makedumpfile") return { format: "flattened", incomplete: false };
  if (sig8 === "KDUMP   " || sig8 === "DISKDUMP") {
    const out: Omit<VmcoreInfo, "path" | "size"> = { format: sig8 === "KDUMP   " ? "kdump-compressed" : "diskdump", incomplete: false };
    if (h.length >= 432) {
      const cstr = (off: number) => h.subarray(off, off + 65).toString("latin1").split("\0")[0] ?? "";
      out.release = cstr(142);
      // QEMU's dump-guest-memory -z writes "Unknown" here (arm64): say nothing rather than that.
      const machine = cstr(272);
      if (machine && machine !== "Unknown") out.machine = machine;
      const sec = Number(h.readBigInt64LE(408));
      if (sec > 0 && sec < 32503680000) out.crashTime = new Date(sec * 1000).toISOString();
      const status = h.readUInt32LE(424);
      out.incomplete = (status & 0x8) !== 0;
      const c = COMPRESSION.filter(([bit]) => status & bit).map(([, n]) => n);
      out.compression = c.length ? c.join("+") : "none";
    }
    return out;
  }
  return { format: "unknown", incomplete: false };
}

function timeFromDebian(name: string): string | null {
  const m = DEBIAN_DIR.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}` : null;
}

function fromDebianHost(name: string): { host: string; time: string } | null {
  const m = DEBIAN_HOST_DIR.exec(name);
  return m ? { host: m[1]!, time: `${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}` } : null;
}

function fromRhel(name: string): { host: string; time: string } | null {
  const m = RHEL_DIR.exec(name);
  return m ? { host: m[1]!, time: `${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}` } : null;
}

/**
 * Lists the dumps under `root` (read-only). Problems with individual entries
 * (permission denied, vanished files, special files, symlinks) are diagnostics.
 */
export async function scanCrashDir(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const maxEntries = opts.maxEntries ?? 10000;
  const maxDepth = opts.maxDepth ?? 3;
  const res: ScanResult = { root, dumps: [], kexecCmd: null, kdumpLock: false, diagnostics: [] };
  const diag = (code: Diagnostic["code"], severity: Diagnostic["severity"], message: string, source?: string) =>
    res.diagnostics.push(source ? { code, severity, message, source } : { code, severity, message });

  const rk = await kindOf(root);
  if (rk.kind === "missing") {
    diag("unreadable-input", "error", `${root}: ${rk.error ?? "not found"}; kdump writes to /var/crash by default (KDUMP_COREDIR in /etc/default/kdump-tools, path in /etc/kdump.conf)`, root);
    return res;
  }
  if (rk.kind !== "dir") {
    diag("unreadable-input", "error", `${root} is not a directory${rk.kind === "symlink" ? " (a symlink: give its target)" : ""}`, root);
    return res;
  }

  const list = async (dir: string): Promise<string[] | null> => {
    try {
      const names = await readdir(dir);
      if (names.length > maxEntries) {
        diag("scan-limit", "warning", `${dir} has ${names.length} entries; only the first ${maxEntries} (by name) were examined`, dir);
        return names.sort().slice(0, maxEntries);
      }
      return names.sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      diag("unreadable-input", "warning", `${dir}: ${code === "EACCES" || code === "EPERM" ? "permission denied; run as root to see this dump" : (e as Error).message}`, dir);
      return null;
    }
  };

  const vmcoreOf = async (p: string, size: number): Promise<VmcoreInfo> => {
    try {
      return { path: p, size, ...identifyVmcore(await head(p, 4096)) };
    } catch (e) {
      diag("unreadable-input", "warning", `${p}: cannot read its header: ${(e as Error).message}`, p);
      return { path: p, size, format: "unknown", incomplete: false };
    }
  };

  /** Examines one candidate dump directory; returns null when it holds nothing dump-like. */
  const examine = async (dir: string, names: string[]): Promise<DumpEntry | null> => {
    const name = basename(dir);
    const rhel = fromRhel(name);
    const remote = rhel ? null : fromDebianHost(name);
    const entry: DumpEntry = {
      path: dir,
      relPath: relative(root, dir) || ".",
      layout: DEBIAN_DIR.test(name) || remote ? "debian" : rhel ? "rhel" : "unknown",
      host: rhel?.host ?? remote?.host ?? null,
      timeFromName: timeFromDebian(name) ?? rhel?.time ?? remote?.time ?? null,
      logs: [],
      vmcore: null,
      captureLog: null,
      incomplete: false,
      notes: [],
    };
    let relevant = false;
    for (const n of names) {
      const p = join(dir, n);
      const k = await kindOf(p);
      const dumpish = DEBIAN_DMESG.test(n) || DEBIAN_DUMP.test(n) || n.startsWith("dump-incomplete") || n === "vmcore" || n === "vmcore.flat" || n === "vmcore-dmesg.txt" || n === "vmcore-dmesg-incomplete.txt" || n === "kexec-dmesg.log";
      if (!dumpish) continue;
      relevant = true;
      if (k.kind === "symlink") {
        entry.notes.push(`${n} is a symlink; not followed`);
        diag("unsafe-entry", "warning", `${p} is a symlink; kpanic does not follow symlinks in crash directories`, p);
        continue;
      }
      if (k.kind === "special") {
        entry.notes.push(`${n} is not a regular file; not opened`);
        diag("unsafe-entry", "warning", `${p} is not a regular file (FIFO, socket or device); not opened`, p);
        continue;
      }
      if (k.kind === "missing") {
        entry.notes.push(`${n}: ${k.error ?? "vanished"}`);
        diag("unreadable-input", "warning", `${p}: ${k.error ?? "vanished while scanning"}`, p);
        continue;
      }
      if (k.kind !== "file") continue;
      if (DEBIAN_DMESG.test(n) || n === "vmcore-dmesg.txt") entry.logs.push(p);
      else if (n === "vmcore-dmesg-incomplete.txt") {
        entry.logs.push(p);
        entry.incomplete = true;
        entry.notes.push("vmcore-dmesg-incomplete.txt: the capture kernel did not finish writing the log");
      } else if (n === "kexec-dmesg.log") entry.captureLog = p;
      else if (n.startsWith("dump-incomplete")) {
        entry.incomplete = true;
        entry.notes.push(`${n}: makedumpfile did not finish (the capture kernel died or ran out of space)`);
        entry.vmcore ??= await vmcoreOf(p, k.size);
      } else entry.vmcore = await vmcoreOf(p, k.size);
    }
    const pstore = names.filter((n) => PSTORE_DMESG.test(n));
    if (pstore.length) {
      // Chunks of one or more kernel logs. Read the header of each; within one
      // event (Panic#N) the highest part is the oldest text, Part1 the newest.
      const chunks: { p: string; event: string; part: number; id: number }[] = [];
      for (const n of pstore) {
        const p = join(dir, n);
        const k = await kindOf(p);
        if (k.kind !== "file") continue;
        const m = PSTORE_DMESG.exec(n)!;
        if (m[3]) {
          entry.notes.push(`${n}: compressed by the kernel and not decompressed (pstore .enc.z); its content is unreadable`);
          continue;
        }
        let event = "?";
        let part = 0;
        try {
          const first = (await head(p, 64)).toString("latin1").split("\n")[0] ?? "";
          const h = PSTORE_HEAD.exec(first);
          if (h) {
            event = `${h[1]}#${h[2]}`;
            part = Number(h[3]);
          }
        } catch (e) {
          diag("unreadable-input", "warning", `${p}: ${(e as Error).message}`, p);
          continue;
        }
        chunks.push({ p, event, part, id: Number(m[2]) });
      }
      chunks.sort((x, y) => x.event.localeCompare(y.event) || y.part - x.part || x.id - y.id);
      if (chunks.length) {
        relevant = true;
        entry.layout = "pstore";
        entry.logs.push(...chunks.map((c) => c.p));
        entry.concatLogs = true;
        entry.notes.push(`pstore: ${chunks.length} record${chunks.length === 1 ? "" : "s"} (${[...new Set(chunks.map((c) => c.event))].join(", ")}) read oldest part first`);
      }
    }
    if (!relevant) return null;
    if (entry.vmcore?.incomplete) {
      entry.incomplete = true;
      entry.notes.push("the dump header says it is incomplete");
    }
    if (entry.vmcore && entry.logs.length === 0) {
      entry.notes.push("vmcore without a saved kernel log");
    }
    if (entry.layout === "unknown" && entry.vmcore) entry.layout = entry.logs.some((l) => basename(l) === "vmcore-dmesg.txt") || basename(entry.vmcore.path).startsWith("vmcore") ? "rhel" : "debian";
    return entry;
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    const names = await list(dir);
    if (!names) return;
    const here = await examine(dir, names);
    if (here && dir !== root) res.dumps.push(here);
    else if (here && dir === root) res.dumps.push(here);
    for (const n of names) {
      const p = join(dir, n);
      if (dir === root) {
        if (n === "kexec_cmd") res.kexecCmd = p;
        if (n === "kdump_lock") res.kdumpLock = true;
      }
      if (/^linux-image-.{1,200}\.crash$/.test(n) && dir === root) {
        const k = await kindOf(p);
        if (k.kind === "file") {
          res.dumps.push({ path: p, relPath: relative(root, p), layout: "apport", host: null, timeFromName: null, logs: [], vmcore: null, captureLog: null, incomplete: false, notes: ["Ubuntu apport kernel crash report"] });
        }
        continue;
      }
      if (depth >= maxDepth) continue;
      const k = await kindOf(p);
      if (k.kind === "dir") await walk(p, depth + 1);
      else if (k.kind === "symlink" && (DEBIAN_DIR.test(n) || RHEL_DIR.test(n) || DEBIAN_HOST_DIR.test(n))) {
        diag("unsafe-entry", "warning", `${p} is a symlink to a directory; not followed`, p);
      }
    }
  };
  await walk(root, 0);
  return res;
}
