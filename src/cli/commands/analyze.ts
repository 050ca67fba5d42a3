/**
 * `kpanic analyze [FILE...|-]` (also the default command).
 */
import { stat } from "node:fs/promises";
import type { Argv, CommandModule } from "yargs";
import { runScan } from "./scan.js";
import { INPUT_FORMATS, type InputFormat } from "../../records/formats.js";
import { readJournalBoot } from "../../sources/journal.js";
import { openVmcoreLog } from "../../sources/vmcore.js";
import { VmcoreError } from "../../vmcore/io.js";
import { analyze, analyzeText, INCIDENT_CLASSES, type Diagnostic, type Incident, type IncidentClass } from "../../index.js";
import { readKmsgBuffered } from "../../sources/kmsg.js";
import { openSource, SourceError } from "../../sources/file.js";
import { buildReport, renderJson, renderMarkdown, renderNdjsonLine, renderText, type SourceSummary } from "../../report/render.js";
import { addEnrichOptions, Enricher, enrichArgs, EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output, parseClasses, printDiagnostic, setExitCode, VERSION, type EnrichArgs } from "../common.js";

export type Format = "text" | "json" | "ndjson" | "markdown";

export interface AnalyzeArgs {
  files: string[];
  format: Format;
  failOn: IncidentClass[];
  raw: boolean;
  quiet: boolean;
  maxLineLength: number;
  inputFormat: InputFormat | "auto";
  host?: string;
  /** Read this boot's kernel log from journald instead of files (0 = current, -1 = previous). */
  boot?: number;
  /** Symbolization and Code: decoding (default: code on, automatic symbols). */
  enrich?: EnrichArgs;
  /** Also report user-space faults (segfault at, traps:, arm64 unhandled exception). */
  userFaults?: boolean;
}

const NO_ENRICH: EnrichArgs = { symbols: [], forceSymbols: false, autoSymbols: false };

async function enricherFor(args: AnalyzeArgs, diagnostics: Diagnostic[]): Promise<Enricher> {
  const e = args.enrich ?? NO_ENRICH;
  // ndjson is the streaming mode, bounded in memory: the disassembler (~30 MB) only when asked for.
  return Enricher.create({ ...e, code: e.code ?? args.format !== "ndjson" }, (d) => {
    diagnostics.push(d);
    printDiagnostic(d, args.quiet);
  });
}

export async function runAnalyze(args: AnalyzeArgs): Promise<number> {
  const out = new Output(process.stdout);
  let files = args.files;
  if (args.boot !== undefined) return runBoot(args, args.boot);
  if (files.length === 0) {
    if (process.stdin.isTTY) return runCurrentBoot(args);
    files = ["-"];
  }
  // `kpanic /var/crash`: directories are crash directories.
  const dirs = await Promise.all(files.map(async (f) => f !== "-" && (await stat(f).catch(() => null))?.isDirectory() === true));
  if (dirs.length > 0 && dirs.every(Boolean)) return runScan({ dirs: files, format: args.format, quiet: args.quiet, failOn: args.failOn, ...(args.enrich ? { enrich: args.enrich } : {}) });
  const incidents: Incident[] = [];
  const diagnostics: Diagnostic[] = [];
  const enricher = await enricherFor(args, diagnostics);
  const sources: SourceSummary[] = [];
  let unreadable = false;
  let found = false;
  const failOn = new Set(args.failOn);
  for (const file of files) {
    const summary: SourceSummary = { name: file, incidents: 0 };
    sources.push(summary);
    let src;
    try {
      // A vmcore (ELF, kdump-compressed, flattened): analyse the kernel log inside it.
      src = (file !== "-" ? await openVmcoreLog(file) : null) ?? (await openSource(file));
    } catch (e) {
      const msg = e instanceof SourceError || e instanceof VmcoreError ? e.message : String(e);
      summary.error = msg;
      const d: Diagnostic = { code: "unreadable-input", severity: "error", message: msg, source: file };
      diagnostics.push(d);
      printDiagnostic(d, args.quiet);
      unreadable = true;
      continue;
    }
    const onDiagnostic = (d: Diagnostic): void => {
      diagnostics.push(d);
      printDiagnostic(d, args.quiet);
    };
    try {
      for await (const inc of analyze(src.stream, { sourceName: src.name, maxLineLength: args.maxLineLength, onDiagnostic, inputFormat: args.inputFormat, ...(args.host !== undefined ? { host: args.host } : {}), ...(args.userFaults ? { includeOptIn: true } : {}) })) {
        summary.incidents++;
        if (failOn.has(inc.class)) found = true;
        if (args.format === "ndjson") {
          await enricher.run([inc]);
          out.write(renderNdjsonLine(inc));
        } else incidents.push(inc);
      }
    } catch (e) {
      const msg = e instanceof SourceError ? e.message : `${file}: read failed: ${(e as Error).message}`;
      summary.error = msg;
      const d: Diagnostic = { code: "unreadable-input", severity: "error", message: msg, source: file };
      diagnostics.push(d);
      printDiagnostic(d, args.quiet);
      unreadable = true;
    }
  }
  await enricher.run(incidents);
  await enricher.close();
  const report = buildReport(VERSION, sources, incidents, diagnostics);
  if (args.format === "json") out.write(renderJson(report));
  else if (args.format === "markdown") out.write(renderMarkdown(report));
  else if (args.format === "text") out.write(renderText(report, { width: process.stdout.columns || 100, raw: args.raw }));
  if (unreadable) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_OK;
}

/**
 * `kpanic` alone on a terminal: the current boot, from /dev/kmsg (what is
 * buffered now), else from journald.
 */
async function runCurrentBoot(args: AnalyzeArgs): Promise<number> {
  let text: string;
  try {
    text = readKmsgBuffered();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied (kernel.dmesg_restrict=1: run as root, or give a log file)" : (e as Error).message;
    process.stderr.write(`kpanic: cannot read /dev/kmsg: ${why}; trying journald\n`);
    return runBoot(args, 0);
  }
  const out = new Output(process.stdout);
  const diagnostics: Diagnostic[] = [];
  const onDiagnostic = (d: Diagnostic): void => {
    diagnostics.push(d);
    printDiagnostic(d, args.quiet);
  };
  const r = analyzeText(text, { sourceName: "/dev/kmsg", inputFormat: "kmsg", maxLineLength: args.maxLineLength, ...(args.userFaults ? { includeOptIn: true } : {}) });
  r.diagnostics.forEach(onDiagnostic);
  const enricher = await enricherFor(args, diagnostics);
  await enricher.run(r.incidents);
  await enricher.close();
  const report = buildReport(VERSION, [{ name: "/dev/kmsg", incidents: r.incidents.length }], r.incidents, diagnostics);
  if (args.format === "json") out.write(renderJson(report));
  else if (args.format === "ndjson") r.incidents.forEach((i) => out.write(renderNdjsonLine(i)));
  else if (args.format === "markdown") out.write(renderMarkdown(report));
  else out.write(renderText(report, { width: process.stdout.columns || 100, raw: args.raw }));
  return args.failOn.some((c) => r.incidents.some((i) => i.class === c)) ? EXIT_FOUND : EXIT_OK;
}

/** `kpanic --boot -1`: the kernel log of a boot, from journald. */
async function runBoot(args: AnalyzeArgs, which: number): Promise<number> {
  const out = new Output(process.stdout);
  const diagnostics: Diagnostic[] = [];
  const onDiagnostic = (d: Diagnostic): void => {
    diagnostics.push(d);
    printDiagnostic(d, args.quiet);
  };
  const boot = readJournalBoot(which);
  const name = `journal:boot ${which}`;
  const incidents: Incident[] = [];
  const enricher = await enricherFor(args, diagnostics);
  for await (const inc of analyze(boot.lines, { sourceName: name, onDiagnostic, maxLineLength: args.maxLineLength, inputFormat: boot.inputFormat, ...(args.userFaults ? { includeOptIn: true } : {}) })) {
    // One boot's log (journalctl -b N): every incident is of that boot.
    if (boot.bootId && !inc.time.bootId) inc.time.bootId = boot.bootId;
    if (args.format === "ndjson") {
      await enricher.run([inc]);
      out.write(renderNdjsonLine(inc));
    } else incidents.push(inc);
  }
  await enricher.run(incidents);
  await enricher.close();
  const why = await boot.done;
  if (why) {
    process.stderr.write(`kpanic: ${why}; is the journal persistent? (mkdir -p /var/log/journal, or read a saved log file instead)\n`);
    return EXIT_USAGE;
  }
  const report = buildReport(VERSION, [{ name, incidents: incidents.length }], incidents, diagnostics);
  if (args.format === "json") out.write(renderJson(report));
  else if (args.format === "markdown") out.write(renderMarkdown(report));
  else if (args.format === "text") out.write(renderText(report, { width: process.stdout.columns || 100, raw: args.raw }));
  return args.failOn.some((c) => incidents.some((i) => i.class === c)) ? EXIT_FOUND : EXIT_OK;
}

export const analyzeCommand: CommandModule = {
  command: ["analyze [files..]", "$0 [files..]"],
  describe: "analyse kernel logs (files, or - for standard input)",
  builder: (y: Argv) =>
    addEnrichOptions(y)
      .positional("files", { type: "string", array: true, default: [] as string[], describe: "log files; - or nothing reads standard input" })
      .option("format", { alias: "f", choices: ["text", "json", "ndjson", "markdown"] as const, default: "text" as Format, describe: "output format" })
      .option("fail-on", {
        type: "string",
        describe: `exit 1 when an incident of one of these classes is found (comma-separated or repeated): ${INCIDENT_CLASSES.join(", ")}`,
        coerce: parseClasses,
      })
      .option("raw", { type: "boolean", default: false, describe: "text format: also print each incident's raw lines" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .option("max-line-length", { type: "number", default: 65536, describe: "longest line analysed, in characters" })
      .option("input-format", { choices: ["auto", ...INPUT_FORMATS] as const, default: "auto", describe: "input format (default: detected from the first lines)" })
      .option("host", { type: "string", describe: "syslog/journal input: only this host's lines" })
      .option("user-faults", { type: "boolean", default: false, describe: "also report user-space faults (segfault at, traps:, arm64 unhandled exception) as class other" })
      .option("boot", { type: "number", describe: "read this boot's kernel log from journald (0 current, -1 previous, ...)" })
      .example("dmesg | $0", "explain what the running kernel logged")
      .example("$0 /var/crash/*/dmesg.*", "explain the logs kdump saved")
      .example("$0 analyze --format json vmcore-dmesg.txt", "machine-readable report (schema kpanic.report/v1)")
      .example("journalctl -k -b -1 -o cat | $0 --fail-on panic,oops", "exit 1 if the last boot oopsed or panicked")
      .example("$0 --symbols /usr/lib/debug/boot/vmlinux-6.1.0-56-amd64 --symbols ./lkdtm.ko dmesg.txt", "file:line for every frame"),
  handler: async (a) => {
    setExitCode(
      await runAnalyze({
        files: ((a["files"] as unknown[] | undefined) ?? []).map(String),
        format: a["format"] as Format,
        failOn: (a["fail-on"] as IncidentClass[] | undefined) ?? [],
        raw: a["raw"] as boolean,
        quiet: a["quiet"] as boolean,
        maxLineLength: a["max-line-length"] as number,
        inputFormat: a["input-format"] as InputFormat | "auto",
        ...(a["boot"] !== undefined ? { boot: a["boot"] as number } : {}),
        ...(a["host"] !== undefined ? { host: a["host"] as string } : {}),
        enrich: enrichArgs(a),
        userFaults: a["user-faults"] === true,
      }),
    );
  },
};
