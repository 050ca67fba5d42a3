/**
 * kpanic's command line: argument parsing, output and exit codes. Commands
 * use only the public library API (../index.js).
 */
import { createRequire } from "node:module";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { analyze, type Diagnostic, type Incident, type IncidentClass, INCIDENT_CLASSES } from "../index.js";
import { openSource, SourceError } from "../sources/file.js";
import { buildReport, renderJson, renderMarkdown, renderNdjsonLine, renderText, type SourceSummary } from "../report/render.js";

const require = createRequire(import.meta.url);
export const VERSION: string = (require("../../package.json") as { version: string }).version;

export const EXIT_OK = 0;
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

type Format = "text" | "json" | "ndjson" | "markdown";

interface AnalyzeArgs {
  files: string[];
  format: Format;
  failOn: IncidentClass[];
  raw: boolean;
  quiet: boolean;
  maxLineLength: number;
}

class Output {
  private broken = false;
  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") this.broken = true;
      else throw e;
    });
  }
  write(s: string): void {
    if (!this.broken) this.stream.write(s);
  }
}

function printDiagnostic(d: Diagnostic, quiet: boolean): void {
  if (quiet && d.severity === "info") return;
  const where = d.source ? `${d.source}${d.line !== undefined ? `:${d.line}` : ""}: ` : "";
  process.stderr.write(`kpanic: ${d.severity}: ${where}${d.message}\n`);
}

export async function runAnalyze(args: AnalyzeArgs): Promise<number> {
  const out = new Output(process.stdout);
  let files = args.files;
  if (files.length === 0) {
    if (process.stdin.isTTY) {
      process.stderr.write("kpanic: no input: give a log file (kpanic /var/crash/*/dmesg.*) or pipe one in (dmesg | kpanic)\n");
      return EXIT_USAGE;
    }
    files = ["-"];
  }
  const incidents: Incident[] = [];
  const diagnostics: Diagnostic[] = [];
  const sources: SourceSummary[] = [];
  let unreadable = false;
  let found = false;
  const failOn = new Set(args.failOn);
  for (const file of files) {
    const summary: SourceSummary = { name: file, incidents: 0 };
    sources.push(summary);
    let src;
    try {
      src = await openSource(file);
    } catch (e) {
      const msg = e instanceof SourceError ? e.message : String(e);
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
      for await (const inc of analyze(src.stream, { sourceName: src.name, maxLineLength: args.maxLineLength, onDiagnostic })) {
        summary.incidents++;
        if (failOn.has(inc.class)) found = true;
        if (args.format === "ndjson") out.write(renderNdjsonLine(inc));
        else incidents.push(inc);
      }
    } catch (e) {
      const msg = `${file}: read failed: ${(e as Error).message}`;
      summary.error = msg;
      const d: Diagnostic = { code: "unreadable-input", severity: "error", message: msg, source: file };
      diagnostics.push(d);
      printDiagnostic(d, args.quiet);
      unreadable = true;
    }
  }
  const report = buildReport(VERSION, sources, incidents, diagnostics);
  if (args.format === "json") out.write(renderJson(report));
  else if (args.format === "markdown") out.write(renderMarkdown(report));
  else if (args.format === "text") out.write(renderText(report, { width: process.stdout.columns || 100, raw: args.raw }));
  if (unreadable) return EXIT_USAGE;
  return found ? EXIT_FOUND : EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const parser = yargs(argv)
    .scriptName("kpanic")
    .usage("$0 [command] [options]\n\nFinds and explains kernel panics, Oopses, BUGs, WARNINGs, lockups, stalls and OOM kills in kernel logs.")
    .command(
      ["analyze [files..]", "$0 [files..]"],
      "analyse kernel logs (files, or - for standard input)",
      (y) =>
        y
          .positional("files", { type: "string", array: true, default: [] as string[], describe: "log files; - or nothing reads standard input" })
          .option("format", { alias: "f", choices: ["text", "json", "ndjson", "markdown"] as const, default: "text" as Format, describe: "output format" })
          .option("fail-on", {
            type: "string",
            describe: `exit 1 when an incident of one of these classes is found (comma-separated or repeated): ${INCIDENT_CLASSES.join(", ")}`,
            coerce: parseClasses,
          })
          .option("raw", { type: "boolean", default: false, describe: "text format: also print each incident's raw lines" })
          .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
          .option("max-line-length", { type: "number", default: 65536, describe: "longest line analysed, in bytes" })
          .example("dmesg | $0", "explain what the running kernel logged")
          .example("$0 /var/crash/*/dmesg.*", "explain the logs kdump saved")
          .example("$0 analyze --format json vmcore-dmesg.txt", "machine-readable report (schema kpanic.report/v1)")
          .example("journalctl -k -b -1 -o cat | $0 --fail-on panic,oops", "exit 1 if the last boot oopsed or panicked"),
      async (a) => {
        code = await runAnalyze({
          files: (a.files ?? []).map(String),
          format: a.format as Format,
          failOn: a["fail-on"] ?? [],
          raw: a.raw,
          quiet: a.quiet,
          maxLineLength: a["max-line-length"],
        });
      },
    )
    .strict()
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw new UsageError(msg || err?.message || "invalid arguments");
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`kpanic: ${e.message}\nRun 'kpanic --help' for usage.\n`);
    return EXIT_USAGE;
  }
  return code;
}

class UsageError extends Error {}

/** "--fail-on panic,oops --fail-on bug" → ["panic", "oops", "bug"], rejecting unknown classes. */
function parseClasses(v: unknown): IncidentClass[] {
  const parts = ([] as unknown[]).concat(v ?? []).flatMap((x) => String(x).split(",")).map((x) => x.trim()).filter(Boolean);
  for (const p of parts) {
    if (!(INCIDENT_CLASSES as readonly string[]).includes(p)) throw new UsageError(`--fail-on: unknown class "${p}"; choose from ${INCIDENT_CLASSES.join(", ")}`);
  }
  return parts as IncidentClass[];
}

main(hideBin(process.argv)).then(
  (c) => {
    process.exitCode = c;
  },
  (e: unknown) => {
    process.stderr.write(`kpanic: internal error: ${(e as Error)?.stack ?? String(e)}\nPlease report this with the input that caused it.\n`);
    process.exitCode = EXIT_USAGE;
  },
);
