/**
 * vmcore → kernel log, without debug symbols. Detects the format by magic
 * bytes, reads VMCOREINFO, translates addresses (x86_64, arm64) and decodes the
 * printk ring. Pure: all I/O goes through a RandomAccess.
 */
import type { PhysicalDump } from "./dump.js";
import { Elf64Dump, isElf64 } from "./elf.js";
import { FlattenedSource, isFlattened } from "./flat.js";
import { VmcoreError, type RandomAccess, type VmcoreDiagnostic } from "./io.js";
import { isKdumpSignature, KdumpCompressed } from "./kdump.js";
import { readLog, type LogRecord, type RingOptions } from "./printk.js";
import { parseVmcoreinfo, type VmcoreInfo } from "./vmcoreinfo.js";
import { X86_64Memory } from "./x86_64.js";
import { scanForVmcoreinfo } from "./scan.js";
import { Arm64Memory, EM_AARCH64, looksArm64 } from "./arm64.js";
import type { KernelArch, KernelMemory } from "./memory.js";

export * from "./io.js";
export type { DumpFormat, PhysicalDump } from "./dump.js";
export { Elf64Dump } from "./elf.js";
export { FlattenedSource } from "./flat.js";
export { KdumpCompressed } from "./kdump.js";
export type { LogRecord, RingReadResult } from "./printk.js";
export { formatJson, formatMakedumpfile, formatWithCaller, callerString, timestamp } from "./format.js";
export { parseVmcoreinfo, type VmcoreInfo } from "./vmcoreinfo.js";
export { X86_64Memory } from "./x86_64.js";
export { Arm64Memory } from "./arm64.js";
export { fmtSigned, type KernelArch, type KernelMemory, type Translations } from "./memory.js";
export { scanForVmcoreinfo, vmcoreinfoPageText, type FoundVmcoreinfo } from "./scan.js";

export type VmcoreKind = "kdump-compressed" | "kdump-flattened" | "elf64";

/** Which vmcore format these first bytes announce, if any. */
export function sniffVmcore(head: Uint8Array): VmcoreKind | null {
  if (isKdumpSignature(head)) return "kdump-compressed";
  if (isFlattened(head)) return "kdump-flattened";
  // An ELF64 core (e_type 4 = ET_CORE).
  if (isElf64(head) && head.length >= 18 && head[16] === 4 && head[17] === 0) return "elf64";
  return null;
}

export interface OpenedDump {
  dump: PhysicalDump;
  /** The flattened index, when the file is flattened. */
  flat?: FlattenedSource;
}

/** Opens a dump of any supported format. Throws VmcoreError("not-a-vmcore") for other files. */
export async function openDump(src: RandomAccess): Promise<OpenedDump> {
  const head = await src.read(0, 64);
  const kind = sniffVmcore(head);
  if (kind === "kdump-compressed") return { dump: await KdumpCompressed.open(src) };
  if (kind === "elf64") return { dump: await Elf64Dump.open(src) };
  if (kind === "kdump-flattened") {
    const flat = await FlattenedSource.open(src);
    const inner = await flat.read(0, 64);
    if (isKdumpSignature(inner)) {
      const dump = await KdumpCompressed.open(flat, "kdump-compressed (flattened)");
      dump.diagnostics.unshift(...flat.diagnostics);
      if (!flat.complete) dump.complete = false;
      return { dump, flat };
    }
    if (isElf64(inner)) {
      const dump = await Elf64Dump.open(flat);
      dump.description = `${dump.description} (flattened)`;
      dump.diagnostics.unshift(...flat.diagnostics);
      if (!flat.complete) dump.complete = false;
      return { dump, flat };
    }
    throw new VmcoreError("bad-header", "flattened dump: the reassembled data is neither kdump-compressed nor ELF");
  }
  throw new VmcoreError("not-a-vmcore", "not a vmcore: no ELF core, KDUMP or makedumpfile flattened signature (a kernel log is read with kpanic analyze FILE)");
}

export interface VmcoreLog {
  dump: PhysicalDump;
  flat?: FlattenedSource;
  info: VmcoreInfo;
  memory: KernelMemory;
  kind: "lockless" | "legacy";
  records: LogRecord[];
  ringBytes: number;
  diagnostics: VmcoreDiagnostic[];
}

const EM_X86_64 = 62;

/**
 * The dump's architecture: the ELF e_machine, else the kdump header's
 * utsname machine (QEMU writes "Unknown" there for arm64), else what
 * VMCOREINFO carries (arm64 exports kimage_voffset, TCR_EL1_T1SZ...).
 * Throws VmcoreError("unsupported") for the others.
 */
export function detectArch(dump: PhysicalDump, info: VmcoreInfo): KernelArch {
  if (dump instanceof Elf64Dump) {
    if (dump.machine === EM_X86_64) return "x86_64";
    if (dump.machine === EM_AARCH64) return "arm64";
    throw new VmcoreError("unsupported", `ELF machine ${dump.machine} is not supported yet (x86_64 and arm64 only)`);
  }
  const m = dump.utsname?.machine;
  if (m === "x86_64") return "x86_64";
  if (m === "aarch64" || m === "arm64") return "arm64";
  if (m !== undefined && m !== "" && m !== "Unknown") throw new VmcoreError("unsupported", `architecture ${m} is not supported yet (x86_64 and arm64 only)`);
  return looksArm64(info) ? "arm64" : "x86_64";
}

/** Address translation for the dump's architecture. */
export function kernelMemory(dump: PhysicalDump, info: VmcoreInfo): KernelMemory {
  return detectArch(dump, info) === "arm64" ? new Arm64Memory(dump, info) : new X86_64Memory(dump, info);
}

/**
 * A dump without a VMCOREINFO note: look for the kernel's own copy in its
 * memory (reads the whole dump once), and say so. Leaves dump.vmcoreinfo null
 * when there is none.
 */
export async function findVmcoreinfo(dump: PhysicalDump, opts: RingOptions = {}): Promise<void> {
  if (dump.vmcoreinfo !== null || opts.scanVmcoreinfo === false || !dump.physRanges) return;
  const found = await scanForVmcoreinfo(dump);
  if (found === null) return;
  dump.vmcoreinfo = found.text;
  dump.diagnostics.push({
    code: "vmcoreinfo-scanned",
    severity: "warning",
    message: `the dump has no VMCOREINFO note (a QEMU guest without -device vmcoreinfo?): using the kernel's own copy found in its memory at physical 0x${found.paddr.toString(16)} (scanned ${found.scanned < 1048576 ? `${Math.ceil(found.scanned / 1024)} KiB` : `${(found.scanned / 1048576).toFixed(0)} MiB`}; start QEMU guests with -device vmcoreinfo to avoid this)`,
  });
}

export function vmcoreInfoOf(dump: PhysicalDump): VmcoreInfo {
  if (dump.vmcoreinfo === null) throw new VmcoreError("no-vmcoreinfo", "the dump has no VMCOREINFO note, and no copy of it was found in its memory: the log cannot be found without it (for QEMU guests, add -device vmcoreinfo)");
  return parseVmcoreinfo(dump.vmcoreinfo);
}

/** Opens a dump and decodes its kernel log. */
export async function readVmcoreLog(src: RandomAccess, opts: RingOptions = {}): Promise<VmcoreLog> {
  const { dump, flat } = await openDump(src);
  await findVmcoreinfo(dump, opts);
  const info = vmcoreInfoOf(dump);
  const memory = kernelMemory(dump, info);
  const ring = await readLog(memory, info, opts);
  const out: VmcoreLog = {
    dump,
    info,
    memory,
    kind: ring.kind,
    records: ring.records,
    ringBytes: ring.ringBytes,
    diagnostics: [...dump.diagnostics, ...info.diagnostics, ...memory.diagnostics, ...ring.diagnostics],
  };
  if (flat) out.flat = flat;
  return out;
}

export interface VmcoreInspection {
  dump: PhysicalDump;
  flat?: FlattenedSource;
  info?: VmcoreInfo;
  /** The decoded log, when it could be read. */
  log?: VmcoreLog;
  /** Why the log could not be read. */
  logError?: string;
  diagnostics: VmcoreDiagnostic[];
}

/**
 * Like readVmcoreLog, but a dump whose log cannot be read (no VMCOREINFO,
 * truncated before the ring...) still describes itself: for `kpanic info`.
 * Throws only when the file is not a dump at all or its header is unusable.
 */
export async function inspectVmcore(src: RandomAccess, opts: RingOptions = {}): Promise<VmcoreInspection> {
  const { dump, flat } = await openDump(src);
  await findVmcoreinfo(dump, opts);
  const out: VmcoreInspection = { dump, diagnostics: [...dump.diagnostics] };
  if (flat) out.flat = flat;
  try {
    const info = vmcoreInfoOf(dump);
    out.info = info;
    out.diagnostics.push(...info.diagnostics);
    const memory = kernelMemory(dump, info);
    const ring = await readLog(memory, info, opts);
    out.log = { dump, info, memory, kind: ring.kind, records: ring.records, ringBytes: ring.ringBytes, diagnostics: [...dump.diagnostics, ...info.diagnostics, ...memory.diagnostics, ...ring.diagnostics] };
    if (flat) out.log.flat = flat;
    out.diagnostics = out.log.diagnostics;
  } catch (e) {
    if (!(e instanceof VmcoreError)) throw e;
    out.logError = e.message;
    out.diagnostics = [...dump.diagnostics, ...(out.info?.diagnostics ?? []), { code: e.code, severity: "error", message: `the log cannot be read: ${e.message}` }];
  }
  return out;
}

export interface PanicSummary {
  panic?: string;
  task?: { comm: string; pid: number; cpu: number };
  /** Lines like "Oops: ...", "BUG: ...": the first such headline. */
  headline?: string;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");

/**
 * Panic string and panicking task, from the log text (string search only).
 * The task is the "CPU: n PID: n Comm: x" line that follows the panic line
 * within a few records (panic() dumps the stack), else the last one before it
 * (an Oops that escalated to a panic).
 */
export function summarizeLog(records: LogRecord[]): PanicSummary {
  const out: PanicSummary = {};
  let lastTask: PanicSummary["task"];
  let panicAt = -1;
  let taskAfterPanic = false;
  for (let i = 0; i < records.length; i++) {
    const text = latin1(records[i]!.text);
    for (const line of text.split("\n")) {
      const task = taskOf(line);
      if (task) {
        if (panicAt >= 0 && i - panicAt <= 3 && !taskAfterPanic) {
          out.task = task;
          taskAfterPanic = true;
        }
        lastTask = task;
      }
      const p = line.indexOf(PANIC);
      if (p >= 0 && out.panic === undefined) {
        out.panic = line.slice(p + PANIC.length).trim();
        panicAt = i;
        if (lastTask) out.task = lastTask;
      }
      if (out.headline === undefined && HEADLINES.some((h) => line.startsWith(h))) out.headline = line.trim();
    }
  }
  if (out.task === undefined && lastTask) out.task = lastTask;
  return out;
}

const PANIC = "Kernel panic - not syncing: ";
const HEADLINES = ["BUG: ", "Oops: ", "general protection fault", "WARNING: ", "kernel BUG at "];

function taskOf(line: string): PanicSummary["task"] | undefined {
  const cpuAt = line.indexOf("CPU: ");
  const pidAt = line.indexOf(" PID: ");
  const commAt = line.indexOf(" Comm: ");
  if (cpuAt < 0 || pidAt <= cpuAt || commAt <= pidAt) return undefined;
  const cpu = Number.parseInt(line.slice(cpuAt + 5, pidAt), 10);
  const pid = Number.parseInt(line.slice(pidAt + 6, commAt), 10);
  const rest = line.slice(commAt + 7);
  const sp = rest.indexOf(" ");
  const comm = sp >= 0 ? rest.slice(0, sp) : rest;
  if (!Number.isFinite(cpu) || !Number.isFinite(pid)) return undefined;
  return { cpu, pid, comm };
}
