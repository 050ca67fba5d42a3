/**
 * `kpanic dmesg VMCORE`: the kernel log kept in a vmcore, in exactly the
 * format of `makedumpfile --dump-dmesg` (so the two can be diffed), or one
 * JSON object per record (--json). Needs no debug symbols: VMCOREINFO only.
 */
import type { Argv, CommandModule } from "yargs";
import { readVmcoreFile } from "../../sources/vmcore.js";
import { SourceError } from "../../sources/file.js";
import { formatJson, formatMakedumpfile, VmcoreError, type ReadStats, type VmcoreDiagnostic, type VmcoreLog } from "../../vmcore/index.js";
import { EXIT_OK, EXIT_USAGE, Output, setExitCode } from "../common.js";

export interface DmesgArgs {
  vmcore: string;
  json: boolean;
  stats: boolean;
  quiet: boolean;
}

export function printVmcoreDiagnostic(file: string, d: VmcoreDiagnostic, quiet: boolean): void {
  if (quiet && d.severity === "info") return;
  process.stderr.write(`kpanic: ${d.severity}: ${file}: ${d.message}\n`);
}

/** Error message for a vmcore that could not be opened or decoded. */
export function vmcoreFailure(file: string, e: unknown): string | undefined {
  if (e instanceof SourceError) return e.message;
  if (e instanceof VmcoreError) return `${file}: ${e.message}`;
  return undefined;
}

export async function runDmesg(args: DmesgArgs): Promise<number> {
  const out = new Output(process.stdout);
  const t0 = performance.now();
  let res;
  try {
    res = await readVmcoreFile(args.vmcore);
  } catch (e) {
    const msg = vmcoreFailure(args.vmcore, e);
    if (msg === undefined) throw e;
    process.stderr.write(`kpanic: error: ${msg}\n`);
    return EXIT_USAGE;
  }
  const { log } = res;
  for (const d of log.diagnostics) printVmcoreDiagnostic(args.vmcore, d, args.quiet);
  const fmt = args.json ? formatJson : formatMakedumpfile;
  let chunk = "";
  for (const r of log.records) {
    chunk += fmt(r);
    if (chunk.length > 1 << 16) {
      out.write(chunk);
      chunk = "";
    }
  }
  out.write(chunk);
  if (args.stats) process.stderr.write(statsLine(args.vmcore, res, performance.now() - t0));
  return EXIT_OK;
}

/** The --stats report (stderr). */
export function statsLine(file: string, res: { log: VmcoreLog; stats: ReadStats; size: number }, ms: number): string {
  const { log, stats, size } = res;
  const t = log.memory.translations;
  const pct = ((100 * stats.bytesRead) / Math.max(1, size)).toFixed(2);
  return (
    `kpanic: stats: ${file}: ${log.dump.description}\n` +
    `kpanic: stats: read ${stats.bytesRead} of ${size} bytes (${pct} %) in ${stats.reads} positioned reads` +
    (log.flat ? ` (flattened index: ${log.flat.records} records, ${log.flat.indexStats.bytesRead} bytes of record headers)` : "") +
    `\nkpanic: stats: printk ring ${log.ringBytes} bytes (${log.kind}), ${log.records.length} records; pages translated: ${t.text} kernel-text, ${t.linear > 0 ? `${t.linear} linear-map, ` : ""}${t.load} PT_LOAD, ${t.pagetable} page-table walk, ${t.failed} failed\n` +
    `kpanic: stats: ${ms.toFixed(1)} ms\n`
  );
}

export const dmesgCommand: CommandModule = {
  command: "dmesg <vmcore>",
  describe: "print the kernel log kept in a vmcore (kdump-compressed, flattened or ELF), like makedumpfile --dump-dmesg",
  builder: (y: Argv) =>
    y
      .positional("vmcore", { type: "string", demandOption: true, describe: "the dump: /var/crash/*/dump.*, vmcore, a QEMU dump-guest-memory file" })
      .option("json", { type: "boolean", default: false, describe: "one JSON object per record: seq, ts, ts_nsec, caller, text" })
      .option("stats", { type: "boolean", default: false, describe: "report bytes read, records and time on stderr" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .example("$0 dmesg /var/crash/*/dump.*", "the log of the crashed kernel, when kdump left no dmesg file")
      .example("$0 dmesg vmcore | $0 analyze", "explain it"),
  handler: async (a) => {
    setExitCode(await runDmesg({ vmcore: String(a["vmcore"]), json: a["json"] as boolean, stats: a["stats"] as boolean, quiet: a["quiet"] as boolean }));
  },
};
