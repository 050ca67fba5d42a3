/**
 * What `kpanic dmesg` and `kpanic info` share, kept free of the analyser and
 * of yargs so that the lean path (./fast.ts) loads only the vmcore readers.
 */
import { SourceError } from "../sources/errors.js";
import type { Unwrapped, VmcoreFileOptions } from "../sources/vmcore.js";
import { formatJson, formatMakedumpfile, formatWithCaller, VmcoreError, type ReadStats, type VmcoreDiagnostic, type VmcoreLog } from "../vmcore/index.js";
import { EXIT_OK, EXIT_USAGE, Output, type Writer } from "./output.js";

export interface DmesgArgs {
  vmcore: string;
  json: boolean;
  stats: boolean;
  quiet: boolean;
  /** Prefix each record with its caller id, as the console does with CONFIG_PRINTK_CALLER ("[  T123]"). */
  caller?: boolean;
}

/** A dump's log as runDmesg prints it, with what reading it cost (--stats). */
export interface DumpLog {
  log: VmcoreLog;
  stats: ReadStats;
  size: number;
  unwrapped?: Unwrapped;
}

/**
 * Reads a dump's log: sources/vmcore.ts's readVmcoreFile (any dump, compressed
 * ones too) for the full command line, a plain-dump reader on the lean path
 * (./fast.ts), which must not load the decompressing openers.
 */
export type DumpLogReader = (path: string, opts: VmcoreFileOptions) => Promise<DumpLog>;

/** Where runDmesg writes: the full command line's process streams, or the lean path's file descriptors (FdOutput). */
export interface DmesgIo {
  out: Writer;
  err: Writer;
}

export function printVmcoreDiagnostic(file: string, d: VmcoreDiagnostic, quiet: boolean, err: Writer = process.stderr): void {
  if (quiet && d.severity === "info") return;
  // Messages that already begin with the file name are not prefixed twice.
  err.write(`kpanic: ${d.severity}: ${d.message.startsWith(file) ? "" : `${file}: `}${d.message}\n`);
}

/** Error message for a vmcore that could not be opened or decoded. */
function vmcoreFailure(file: string, e: unknown): string | undefined {
  if (e instanceof SourceError) return e.message;
  if (e instanceof VmcoreError) return `${file}: ${e.message}`;
  return undefined;
}

/**
 * Opens a dump with `open`; an error the user can act on (no such file, not
 * a dump) is printed and gives null (exit 2), anything else is thrown.
 */
export async function openReported<T>(file: string, open: () => Promise<T>, err: Writer = process.stderr): Promise<T | null> {
  try {
    return await open();
  } catch (e) {
    const msg = vmcoreFailure(file, e);
    if (msg === undefined) throw e;
    err.write(`kpanic: error: ${msg}\n`);
    return null;
  }
}

/** A notice printed before a long decompression (unless --quiet). */
export function noticePrinter(quiet: boolean, err: Writer = process.stderr): ((m: string) => void) | undefined {
  return quiet ? undefined : (m) => err.write(`kpanic: info: ${m}\n`);
}

export async function runDmesg(args: DmesgArgs, read: DumpLogReader, io?: DmesgIo): Promise<number> {
  const out = io?.out ?? new Output(process.stdout);
  const err = io?.err ?? process.stderr;
  const t0 = process.hrtime.bigint();
  const res = await openReported(args.vmcore, () => read(args.vmcore, { notice: noticePrinter(args.quiet, err) }), err);
  if (res === null) return EXIT_USAGE;
  const { log } = res;
  for (const d of log.diagnostics) printVmcoreDiagnostic(args.vmcore, d, args.quiet, err);
  const caller = args.caller === true && !args.json;
  if (caller && log.records.length > 0 && log.records.every((r) => r.callerId === undefined)) {
    printVmcoreDiagnostic(args.vmcore, { code: "no-caller-ids", severity: "info", message: "--caller: this kernel's ring keeps no caller ids (CONFIG_PRINTK_CALLER is off); records are printed without them" }, args.quiet, err);
  }
  let chunk = "";
  for (const r of log.records) {
    chunk += args.json ? formatJson(r) : caller ? formatWithCaller(r) : formatMakedumpfile(r);
    if (chunk.length > 1 << 16) {
      out.write(chunk);
      chunk = "";
    }
  }
  out.write(chunk);
  if (args.stats) err.write(statsLine(args.vmcore, res, Number(process.hrtime.bigint() - t0) / 1e6));
  return EXIT_OK;
}

/** The --stats report (stderr). */
export function statsLine(file: string, res: DumpLog, ms: number): string {
  const { log, stats, size, unwrapped } = res;
  const t = log.memory.translations;
  const pct = ((100 * stats.bytesRead) / Math.max(1, size)).toFixed(2);
  return (
    `kpanic: stats: ${file}: ${log.dump.description}\n` +
    (unwrapped ? `kpanic: stats: ${unwrapped.wrapping}-compressed: decompressed ${unwrapped.bytes} bytes to a temporary copy in ${unwrapped.ms.toFixed(1)} ms; the reads below are of that copy\n` : "") +
    `kpanic: stats: read ${stats.bytesRead} of ${size} bytes (${pct} %) in ${stats.reads} positioned reads` +
    (log.flat ? ` (flattened index: ${log.flat.records} records, ${log.flat.indexStats.bytesRead} bytes of record headers)` : "") +
    `\nkpanic: stats: printk ring ${log.ringBytes} bytes (${log.kind}), ${log.records.length} records; pages translated: ${t.text} kernel-text, ${t.linear > 0 ? `${t.linear} linear-map, ` : ""}${t.load} PT_LOAD, ${t.pagetable} page-table walk, ${t.failed} failed\n` +
    `kpanic: stats: ${ms.toFixed(1)} ms\n`
  );
}
