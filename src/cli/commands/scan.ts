/**
 * `kpanic scan [DIR...]`: every dump under crash directories, explained.
 */
import { existsSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { analyze, type Diagnostic, type Incident } from "../../index.js";
import { concatFiles, openSource } from "../../sources/file.js";
import { scanCrashDir, type DumpEntry } from "../../sources/crashdir.js";
import { openVmcoreLog } from "../../sources/vmcore.js";
import { readApportReport } from "../../sources/apport.js";
import { dumpReport, RecurrenceAcc, renderScanMarkdown, renderScanText, rowOf, SCAN_SCHEMA, type DumpRow } from "../../report/scan.js";
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output, printDiagnostic, setExitCode, VERSION, addEnrichOptions, Enricher, enrichArgs, type EnrichArgs } from "../common.js";
import type { IncidentClass } from "../../types.js";

export type ScanFormat = "text" | "json" | "ndjson" | "markdown";

/** Where crash dumps and pstore records live when no directory is given. */
export const DEFAULT_DIRS = ["/var/crash", "/sys/fs/pstore", "/var/lib/systemd/pstore"];

export interface ScanArgs {
  dirs: string[];
  format: ScanFormat;
  quiet: boolean;
  failOn?: IncidentClass[];
  /** Symbolization and Code: decoding. */
  enrich?: EnrichArgs;
}

class Progress {
  private started = Date.now();
  private shown = false;
  constructor(private readonly enabled: boolean) {}
  tick(done: number, total: number): void {
    if (!this.enabled || Date.now() - this.started < 1000) return;
    this.shown = true;
    const w = 30;
    const filled = total ? Math.round((done / total) * w) : 0;
    process.stderr.write(`\rkpanic: scanning [${"#".repeat(filled)}${" ".repeat(w - filled)}] ${done}/${total} dumps`);
  }
  end(): void {
    if (this.shown) process.stderr.write("\r\x1b[K");
  }
}

async function analyzeStream(stream: AsyncIterable<Uint8Array | string>, name: string, onDiagnostic: (d: Diagnostic) => void): Promise<Incident[]> {
  const out: Incident[] = [];
  for await (const i of analyze(stream, { sourceName: name, onDiagnostic, idleFlushMs: 0 })) out.push(i);
  return out;
}

/** The incidents in a dump's saved logs (pstore chunks are read as one log). */
export async function dumpIncidents(e: DumpEntry, diagnose: (d: Diagnostic) => void): Promise<Incident[]> {
  const out: Incident[] = [];
  if (e.layout === "apport") {
    // The kernel log is inside the report: a log field, or the VmCore attachment.
    let rep;
    try {
      rep = await readApportReport(e.path);
    } catch (err) {
      e.notes.push(`the apport report could not be read: ${(err as Error).message}`);
      return out;
    }
    try {
      if (rep.fields["Uname"]) e.notes.push(`apport: ${rep.fields["ProblemType"] ?? "report"} of ${rep.fields["Uname"]}`);
      const date = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/.exec(rep.fields["Date"] ?? "");
      if (date) {
        const mon = String(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].indexOf(date[1]!) + 1).padStart(2, "0");
        e.timeFromName = `${date[4]}-${mon}-${date[2]!.padStart(2, "0")}T${date[3]}`;
      }
      for (const [field, text] of Object.entries(rep.logs)) {
        const one = (async function* () {
          yield text + "\n";
        })();
        out.push(...(await analyzeStream(one, `${e.path}:${field}`, diagnose)));
      }
      if (out.length === 0 && rep.vmcorePath) {
        const v = await openVmcoreLog(rep.vmcorePath).catch((err: Error) => {
          e.notes.push(`the report's VmCore could not be read: ${err.message}`);
          return null;
        });
        if (v) {
          e.notes.push("kernel log read from the report's VmCore attachment");
          out.push(...(await analyzeStream(v.stream, `${e.path}:VmCore`, diagnose)));
        }
      }
      if (out.length === 0 && Object.keys(rep.logs).length === 0 && !rep.vmcorePath) e.notes.push("the apport report holds neither a kernel log nor a VmCore");
    } finally {
      rep.cleanup();
    }
    return out;
  }
  if (e.logs.length === 0 && e.vmcore) {
    // No saved log: read it out of the dump itself.
    try {
      const v = await openVmcoreLog(e.vmcore.path);
      if (v) {
        e.notes.push("kernel log read from the vmcore (no dmesg file was saved)");
        out.push(...(await analyzeStream(v.stream, e.vmcore.path, diagnose)));
      }
    } catch (err) {
      e.notes.push(`the vmcore's kernel log could not be read: ${(err as Error).message}`);
    }
    return out;
  }
  const groups = e.concatLogs ? [e.logs] : e.logs.map((l) => [l]);
  for (const g of groups) {
    const name = g.length === 1 ? g[0]! : e.path;
    try {
      out.push(...(await analyzeStream(g.length === 1 ? (await openSource(g[0]!)).stream : concatFiles(g), name, diagnose)));
    } catch (err) {
      diagnose({ code: "unreadable-input", severity: "warning", message: `${name}: ${(err as Error).message}`, source: name });
    }
  }
  return out;
}

/** Newest first by what is known before analysis (dump header, else directory name). */
function timeKey(e: DumpEntry): string {
  return e.vmcore?.crashTime ?? e.timeFromName ?? "";
}

/**
 * Scans crash directories. Dumps are analysed one at a time, newest first,
 * and only a small row per dump is kept (memory does not grow with the
 * number of incidents); JSON and NDJSON are written as they are produced.
 */
export async function runScan(args: ScanArgs): Promise<number> {
  const out = new Output(process.stdout);
  const explicit = args.dirs.length > 0;
  const dirs = explicit ? args.dirs : DEFAULT_DIRS.filter((d) => existsSync(d));
  const diagnostics: Diagnostic[] = [];
  const diagnose = (d: Diagnostic): void => {
    if (diagnostics.length < 1000) diagnostics.push(d);
    printDiagnostic(d, args.quiet);
  };
  if (dirs.length === 0) {
    diagnose({ code: "unreadable-input", severity: "warning", message: "no crash directory here (/var/crash does not exist): is kdump set up? See `kpanic doctor`." });
  }
  let failed = false;
  const entries: DumpEntry[] = [];
  for (const dir of dirs) {
    const res = await scanCrashDir(dir);
    for (const d of res.diagnostics) {
      diagnose(d);
      if (d.severity === "error") failed = true;
    }
    entries.push(...res.dumps);
  }
  entries.sort((a, b) => timeKey(b).localeCompare(timeKey(a)) || a.path.localeCompare(b.path));

  const rows: DumpRow[] = [];
  const acc = new RecurrenceAcc();
  const fail = new Set(args.failOn ?? []);
  let found = false;
  const progress = new Progress(process.stderr.isTTY === true && args.format !== "ndjson");
  if (args.format === "json") out.write(`{\n"schema": ${JSON.stringify(SCAN_SCHEMA)},\n"generator": ${JSON.stringify({ name: "kpanic", version: VERSION })},\n"roots": ${JSON.stringify(dirs)},\n"dumps": [`);
  let done = 0;
  const enricher = await Enricher.create(args.enrich ?? { symbols: [], forceSymbols: false, autoSymbols: false, code: true }, diagnose);
  for (const e of entries) {
    progress.tick(done, entries.length);
    const incidents = await dumpIncidents(e, diagnose);
    await enricher.run(incidents);
    const r = dumpReport(e, incidents);
    if (fail.size && r.incidents.some((i) => fail.has(i.class))) found = true;
    if (args.format === "ndjson") out.write(JSON.stringify(r) + "\n");
    else if (args.format === "json") out.write(`${done ? "," : ""}\n${JSON.stringify(r, null, 2)}`);
    const row = rowOf(r);
    acc.add(row);
    if (args.format === "text" || args.format === "markdown") rows.push(row);
    done++;
  }
  progress.end();
  await enricher.close();
  const recs = acc.result();
  if (args.format === "json") out.write(`\n],\n"recurrences": ${JSON.stringify(recs, null, 2)},\n"diagnostics": ${JSON.stringify(diagnostics, null, 2)}\n}\n`);
  else if (args.format === "markdown") out.write(renderScanMarkdown({ dumps: rows, recurrences: recs }));
  else if (args.format === "text") out.write(renderScanText({ roots: dirs, dumps: rows, recurrences: recs }, process.stdout.columns || 100));
  if (failed && explicit) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_OK;
}

export const scanCommand: CommandModule = {
  command: "scan [dirs..]",
  describe: "explain every dump under crash directories (default /var/crash and pstore)",
  builder: (y: Argv) =>
    addEnrichOptions(y)
      .positional("dirs", { type: "string", array: true, default: [] as string[], describe: "crash directories" })
      .option("format", { alias: "f", choices: ["text", "json", "ndjson", "markdown"] as const, default: "text" as ScanFormat, describe: "output format" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .example("$0 scan", "every dump in /var/crash, newest first, and which crashes recur")
      .example("$0 scan --format json /srv/crash/*", "machine-readable (schema kpanic.scan/v1)"),
  handler: async (a) => {
    setExitCode(await runScan({ dirs: ((a["dirs"] as unknown[] | undefined) ?? []).map(String), format: a["format"] as ScanFormat, quiet: a["quiet"] as boolean, enrich: enrichArgs(a) }));
  },
};
