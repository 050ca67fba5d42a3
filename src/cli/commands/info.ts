/**
 * `kpanic info VMCORE`: what a vmcore is: kernel release, page size, crash
 * time, KASLR offset, build id, dump format and level, completeness, and the
 * panic string and panicking task from the log it holds.
 */
import type { Argv, CommandModule } from "yargs";
import { inspectVmcoreFile } from "../../sources/vmcore.js";
import { Arm64Memory, detectArch, fmtSigned, summarizeLog, type KernelArch, type VmcoreInspection, type VmcoreLog } from "../../vmcore/index.js";
import { EXIT_OK, EXIT_USAGE, Output, setExitCode } from "../common.js";
import { noticePrinter, openReported, printVmcoreDiagnostic, statsLine } from "../vmcore-run.js";

export interface InfoArgs {
  vmcore: string;
  json: boolean;
  stats: boolean;
  quiet: boolean;
}

export interface VmcoreInfoReport {
  file: string;
  format: string;
  description: string;
  complete: boolean;
  dumpLevel?: number;
  release?: string;
  version?: string;
  /** uname -m: from the kdump header, else from the architecture ("aarch64" for arm64). */
  machine?: string;
  /** The kernel's architecture name, as kpanic translates for it: "x86_64" or "arm64". */
  arch?: KernelArch;
  pageSize?: number;
  crashTime?: string;
  kernelOffset?: string;
  physBase?: string;
  physBaseSource?: string;
  /** arm64: NUMBER(kimage_voffset) (kernel image va - pa) and NUMBER(VA_BITS). */
  kimageVoffset?: string;
  vaBits?: number;
  buildId?: string;
  log?: { kind: string; records: number; ringBytes: number };
  /** Why the log could not be read. */
  logError?: string;
  panic?: string;
  task?: { comm: string; pid: number; cpu: number };
  headline?: string;
  diagnostics: string[];
}

export function infoReport(file: string, x: VmcoreInspection | VmcoreLog): VmcoreInfoReport {
  const dump = x.dump;
  const log = "records" in x ? x : x.log;
  const info = x.info;
  const r: VmcoreInfoReport = {
    file,
    format: dump.format,
    description: dump.description,
    complete: dump.complete,
    diagnostics: x.diagnostics.map((d) => `${d.severity}: ${d.message}`),
  };
  if (dump.dumpLevel !== undefined) r.dumpLevel = dump.dumpLevel;
  const release = info?.osrelease ?? dump.utsname?.release;
  if (release) r.release = release;
  if (dump.utsname?.version) r.version = dump.utsname.version;
  let arch: KernelArch | undefined = log?.memory.arch;
  if (arch === undefined && info) {
    try {
      arch = detectArch(dump, info);
    } catch {
      arch = undefined;
    }
  }
  if (arch !== undefined) r.arch = arch;
  const uname = dump.utsname?.machine;
  // QEMU writes "Unknown" in the kdump header of arm64 guests.
  if (uname && uname !== "Unknown") r.machine = uname;
  else if (arch !== undefined) r.machine = arch === "arm64" ? "aarch64" : arch;
  if (info?.pageSize !== undefined) r.pageSize = info.pageSize;
  if (info?.crashTime !== undefined) r.crashTime = new Date(info.crashTime * 1000).toISOString();
  if (info?.kernelOffset !== undefined) r.kernelOffset = `0x${info.kernelOffset.toString(16)}`;
  if (info?.buildId !== undefined) r.buildId = info.buildId;
  if (log) {
    r.physBase = fmtSigned(log.memory.physBase);
    r.physBaseSource = log.memory.physBaseSource;
    if (log.memory instanceof Arm64Memory) {
      if (log.memory.kimageVoffset !== undefined) r.kimageVoffset = `0x${log.memory.kimageVoffset.toString(16)}`;
      r.vaBits = log.memory.vaBits;
    }
    r.log = { kind: log.kind, records: log.records.length, ringBytes: log.ringBytes };
    const s = summarizeLog(log.records);
    if (s.panic !== undefined) r.panic = s.panic;
    if (s.task !== undefined) r.task = s.task;
    if (s.headline !== undefined) r.headline = s.headline;
  } else if ("logError" in x && x.logError !== undefined) r.logError = x.logError;
  return r;
}

export function renderInfoText(r: VmcoreInfoReport): string {
  const rows: Array<[string, string | undefined]> = [
    ["file", r.file],
    ["format", r.description],
    ["complete", r.complete ? "yes" : "no (incomplete or truncated: see the diagnostics)"],
    ["release", r.release],
    ["version", r.version],
    ["machine", r.machine !== undefined && r.arch !== undefined && r.arch !== r.machine ? `${r.machine} (${r.arch})` : r.machine],
    ["page size", r.pageSize?.toString()],
    ["crash time", r.crashTime],
    ["kernel offset", r.kernelOffset],
    [r.arch === "arm64" ? "PHYS_OFFSET" : "phys_base", r.physBase !== undefined ? `${r.physBase} (${r.physBaseSource ?? "?"})` : undefined],
    ["kimage_voffset", r.kimageVoffset],
    ["VA bits", r.vaBits?.toString()],
    ["build id", r.buildId],
    ["log", r.log ? `${r.log.records} records, ${r.log.kind} printk ring of ${r.log.ringBytes} bytes` : `unreadable: ${r.logError ?? "?"}`],
    ["panic", r.panic],
    ["task", r.task ? `${r.task.comm} (pid ${r.task.pid}) on CPU ${r.task.cpu}` : undefined],
    ["first report", r.headline],
  ];
  const shown = rows.filter((x): x is [string, string] => x[1] !== undefined);
  const width = Math.max(14, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${k.padEnd(width)}${v}\n`).join("");
}

export async function runInfo(args: InfoArgs): Promise<number> {
  const out = new Output(process.stdout);
  const t0 = performance.now();
  const res = await openReported(args.vmcore, () => inspectVmcoreFile(args.vmcore, { notice: noticePrinter(args.quiet) }));
  if (res === null) return EXIT_USAGE;
  const { inspection } = res;
  for (const d of inspection.diagnostics) printVmcoreDiagnostic(args.vmcore, d, args.quiet);
  const r = infoReport(args.vmcore, inspection);
  out.write(args.json ? `${JSON.stringify(r, null, 2)}\n` : renderInfoText(r));
  if (args.stats && inspection.log) process.stderr.write(statsLine(args.vmcore, { log: inspection.log, stats: res.stats, size: res.size, ...(res.unwrapped ? { unwrapped: res.unwrapped } : {}) }, performance.now() - t0));
  // A dump that describes itself is a success even when its log cannot be read (that is in the output and on stderr).
  return EXIT_OK;
}

export const infoCommand: CommandModule = {
  command: "info <vmcore>",
  describe: "describe a vmcore: kernel release, crash time, KASLR offset, dump format, completeness, panic and task",
  builder: (y: Argv) =>
    y
      .positional("vmcore", { type: "string", demandOption: true, describe: "the dump file" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document" })
      .option("stats", { type: "boolean", default: false, describe: "report bytes read and time on stderr" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" }),
  handler: async (a) => {
    setExitCode(await runInfo({ vmcore: String(a["vmcore"]), json: a["json"] as boolean, stats: a["stats"] as boolean, quiet: a["quiet"] as boolean }));
  },
};
