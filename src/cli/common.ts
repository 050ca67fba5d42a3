/**
 * What every command shares: exit codes, the version, stdout that survives a
 * closed pipe, diagnostics on stderr, usage errors.
 */
import { createRequire } from "node:module";
import type { Argv } from "yargs";
import { enrichIncidents, INCIDENT_CLASSES, Symbolizer, type Diagnostic, type Incident, type IncidentClass } from "../index.js";

const require = createRequire(import.meta.url);
export const VERSION: string = (require("../../package.json") as { version: string }).version;

export { EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output, UsageError } from "./output.js";
import { EXIT_OK, UsageError } from "./output.js";

export function printDiagnostic(d: Diagnostic, quiet: boolean): void {
  if (quiet && d.severity === "info") return;
  // Messages that already begin with their source (SourceError, VmcoreError) are not prefixed twice.
  const where = d.source && !(d.line === undefined && d.message.startsWith(d.source)) ? `${d.source}${d.line !== undefined ? `:${d.line}` : ""}: ` : "";
  process.stderr.write(`kpanic: ${d.severity}: ${where}${d.message}\n`);
}

/** "--fail-on panic,oops --fail-on bug" → ["panic", "oops", "bug"], rejecting unknown classes. */
export function parseClasses(v: unknown): IncidentClass[] {
  const parts = ([] as unknown[]).concat(v ?? []).flatMap((x) => String(x).split(",")).map((x) => x.trim()).filter(Boolean);
  for (const p of parts) {
    if (!(INCIDENT_CLASSES as readonly string[]).includes(p)) throw new UsageError(`--fail-on: unknown class "${p}"; choose from ${INCIDENT_CLASSES.join(", ")}`);
  }
  return parts as IncidentClass[];
}

/** Commands report their exit code here; main() returns it. */
let exitCode = EXIT_OK;
export function setExitCode(c: number): void {
  exitCode = c;
}
export function getExitCode(): number {
  return exitCode;
}

/** The symbolization and code-decoding options analyze, scan and hook share. */
export interface EnrichArgs {
  symbols: string[];
  source?: string;
  forceSymbols: boolean;
  autoSymbols: boolean;
  /** Disassemble Code: lines; undefined = the command's default (analyze: not for ndjson). */
  code?: boolean;
  debuginfod?: boolean;
}

export function addEnrichOptions<T>(y: Argv<T>): Argv<T> {
  return y
    // Not `array: true`: that would swallow the log files after it. Repeating the option collects.
    .option("symbols", {
      type: "string",
      describe: "vmlinux with debug info, module .ko[.xz|.zst|.gz] files or directories of them, System.map or kallsyms: adds file:line to frames (repeatable)",
    })
    .option("source", { type: "string", describe: "kernel source tree: recognise paths and show the faulting source line" })
    .option("force-symbols", { type: "boolean", default: false, describe: "use symbols even when their release differs from the log's" })
    .option("auto-symbols", { type: "boolean", default: true, describe: "look for debug symbols of the log's release under /usr/lib/debug (--no-auto-symbols to skip)" })
    .option("debuginfod", { type: "boolean", default: false, describe: "fetch missing symbols by build id with debuginfod-find (DEBUGINFOD_URLS; uses the network)" })
    .option("code", {
      type: "boolean",
      describe: "disassemble the Code: bytes of each incident (default on, except for --format ndjson, the streaming mode: the disassembler costs ~30 MB)",
    }) as Argv<T>;
}

export function enrichArgs(a: Record<string, unknown>): EnrichArgs {
  const e: EnrichArgs = {
    symbols: ([] as unknown[]).concat(a["symbols"] ?? []).map(String),
    forceSymbols: a["force-symbols"] === true,
    autoSymbols: a["auto-symbols"] !== false,
    debuginfod: a["debuginfod"] === true,
  };
  if (typeof a["code"] === "boolean") e.code = a["code"];
  if (a["source"] !== undefined) e.source = String(a["source"]);
  return e;
}

/** Runs enrichment on finished incidents; diagnostics go to stderr once each. */
export class Enricher {
  private constructor(
    private readonly args: EnrichArgs,
    private readonly symbolizer: Symbolizer | null,
    private readonly onDiagnostic: (d: Diagnostic) => void,
  ) {}
  private shown = 0;

  static async create(args: EnrichArgs, onDiagnostic: (d: Diagnostic) => void): Promise<Enricher> {
    const useSymbols = args.symbols.length > 0 || args.autoSymbols || args.debuginfod === true;
    const s = useSymbols
      ? await Symbolizer.create({
          symbols: args.symbols,
          auto: args.autoSymbols,
          force: args.forceSymbols,
          debuginfod: args.debuginfod === true,
          ...(args.source !== undefined ? { source: args.source } : {}),
        })
      : null;
    const e = new Enricher(args, s, onDiagnostic);
    e.flush();
    return e;
  }

  private flush(): void {
    const ds = this.symbolizer?.diagnostics ?? [];
    for (; this.shown < ds.length; this.shown++) this.onDiagnostic(ds[this.shown]!);
  }

  async run(incidents: readonly Incident[]): Promise<void> {
    await enrichIncidents(incidents, { code: this.args.code !== false, symbolizer: this.symbolizer });
    this.flush();
  }

  async close(): Promise<void> {
    await this.symbolizer?.close();
  }
}
