/**
 * What every command shares: exit codes, the version, stdout that survives a
 * closed pipe, diagnostics on stderr, usage errors.
 */
import { createRequire } from "node:module";
import { INCIDENT_CLASSES, type Diagnostic, type IncidentClass } from "../index.js";

const require = createRequire(import.meta.url);
export const VERSION: string = (require("../../package.json") as { version: string }).version;

export const EXIT_OK = 0;
/** Something the user asked to be told about was found (--fail-on, a FAIL check). */
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

/** stdout that ignores EPIPE (`kpanic ... | head`). */
export class Output {
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
