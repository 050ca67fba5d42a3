/**
 * `kpanic scan` results: one row per dump (newest first) and a recurrence
 * view grouping dumps whose primary incidents share a fingerprint.
 */
import { lazyTable } from "./lazy-table.js";
import type { Diagnostic, Incident } from "../types.js";
import type { DumpEntry } from "../sources/crashdir.js";

export const SCAN_SCHEMA = "kpanic.scan/v1";

export interface DumpReport {
  path: string;
  layout: DumpEntry["layout"];
  host: string | null;
  /** Crash time: from the dump header when it has one, else from the directory name (local time). */
  crashTime: string | null;
  crashTimeSource: "dump-header" | "directory-name" | null;
  kernel: string | null;
  logs: string[];
  vmcore: DumpEntry["vmcore"];
  incomplete: boolean;
  /** The incident that brought the machine down (the fatal one), else the first. */
  primary: Incident | null;
  incidents: Incident[];
  notes: string[];
}

export interface Recurrence {
  fingerprint: string;
  title: string;
  count: number;
  first: string | null;
  last: string | null;
  kernels: string[];
  dumps: string[];
}

export interface ScanReport {
  schema: typeof SCAN_SCHEMA;
  generator: { name: "kpanic"; version: string };
  roots: string[];
  dumps: DumpReport[];
  recurrences: Recurrence[];
  diagnostics: Diagnostic[];
}

/** The incident a dump is about: the one that panicked the kernel, else the first one. */
export function primaryOf(incidents: readonly Incident[]): Incident | null {
  return incidents.find((i) => i.fatal) ?? incidents[0] ?? null;
}

export function dumpReport(e: DumpEntry, incidents: Incident[]): DumpReport {
  const primary = primaryOf(incidents);
  const header = e.vmcore?.crashTime ?? null;
  const notes = [...e.notes];
  if (header && e.timeFromName) {
    const fromName = Date.parse(e.timeFromName + "Z");
    const fromHeader = Date.parse(header);
    // The directory name is local time, the header UTC: only a difference of more than a day is suspicious.
    if (Number.isFinite(fromName) && Number.isFinite(fromHeader) && Math.abs(fromName - fromHeader) > 26 * 3600 * 1000) {
      notes.push(`the directory name (${e.timeFromName}) and the dump header (${header}) disagree about the crash time`);
    }
  }
  return {
    path: e.path,
    layout: e.layout,
    host: e.host,
    crashTime: header ?? e.timeFromName,
    crashTimeSource: header ? "dump-header" : e.timeFromName ? "directory-name" : null,
    kernel: primary?.kernel.release ?? e.vmcore?.release ?? incidents.find((i) => i.kernel.release)?.kernel.release ?? null,
    logs: e.logs,
    vmcore: e.vmcore,
    incomplete: e.incomplete,
    primary,
    incidents,
    notes,
  };
}

/** Newest first; dumps without a time last. */
export function sortDumps(ds: DumpReport[]): DumpReport[] {
  return [...ds].sort((a, b) => (b.crashTime ?? "").localeCompare(a.crashTime ?? "") || a.path.localeCompare(b.path));
}

export function recurrences(ds: readonly DumpReport[]): Recurrence[] {
  const groups = new Map<string, DumpReport[]>();
  for (const d of ds) {
    if (!d.primary) continue;
    const g = groups.get(d.primary.fingerprint) ?? [];
    g.push(d);
    groups.set(d.primary.fingerprint, g);
  }
  const out: Recurrence[] = [];
  for (const [fp, g] of groups) {
    const times = g.map((d) => d.crashTime).filter((t): t is string => t !== null).sort();
    out.push({
      fingerprint: fp,
      title: g[0]!.primary!.title,
      count: g.length,
      first: times[0] ?? null,
      last: times[times.length - 1] ?? null,
      kernels: [...new Set(g.map((d) => d.kernel).filter((k): k is string => k !== null))].sort(),
      dumps: g.map((d) => d.path),
    });
  }
  return out.sort((a, b) => b.count - a.count || (b.last ?? "").localeCompare(a.last ?? ""));
}

function short(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function when(t: string | null): string {
  return t ? t.replace("T", " ").replace(/\.\d{3}Z$/, "Z") : "?";
}

export function renderScanText(r: ScanReport, width = 100): string {
  const out: string[] = [];
  const n = r.dumps.length;
  out.push(`kpanic: ${n} dump${n === 1 ? "" : "s"} in ${r.roots.join(", ")}`);
  if (n === 0) return out.join("\n") + "\n";
  out.push("");
  const tw = Math.max(20, Math.min(50, width - 70));
  const rows = [["when", "kernel", "panic", "primary incident", "guilty", "fingerprint"]];
  for (const d of r.dumps) {
    rows.push([
      when(d.crashTime),
      d.kernel ?? "?",
      short(d.primary?.panic?.message ?? (d.primary ? "-" : d.logs.length ? "no incident found" : "no log"), 24),
      short(d.primary?.title ?? (d.vmcore && !d.logs.length ? "(vmcore only)" : "-"), tw),
      d.primary?.guilty ?? "-",
      d.primary?.fingerprint.slice(0, 8) ?? "-",
    ]);
  }
  out.push(lazyTable().table(rows, { border: lazyTable().getBorderCharacters("norc"), drawHorizontalLine: (i, s) => i === 0 || i === 1 || i === s, columns: { 3: { width: tw, wrapWord: true } } }).trimEnd());
  for (const d of r.dumps) {
    const extra: string[] = [];
    if (d.vmcore) extra.push(`${d.vmcore.format} dump, ${(d.vmcore.size / 1048576).toFixed(1)} MiB${d.vmcore.compression ? `, ${d.vmcore.compression}` : ""}${d.incomplete ? ", INCOMPLETE" : ""}`);
    for (const note of d.notes) extra.push(note);
    if (d.incidents.length > 1) extra.push(`${d.incidents.length} incidents in its log`);
    if (extra.length) out.push(`  ${d.path}: ${extra.join("; ")}`);
  }
  if (r.recurrences.length) {
    out.push("", "Recurrences:");
    for (const g of r.recurrences) {
      const span = g.first && g.last && g.first !== g.last ? `${when(g.first)} … ${when(g.last)}` : when(g.first);
      out.push(`  ${g.count === 1 ? "seen once" : `seen ${g.count} times`}, ${span}${g.kernels.length ? `, kernel${g.kernels.length > 1 ? "s" : ""} ${g.kernels.join(", ")}` : ""}: ${g.title} [${g.fingerprint.slice(0, 8)}]`);
    }
  }
  return out.join("\n") + "\n";
}

export function renderScanMarkdown(r: ScanReport): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = [`# Crash dumps (${r.dumps.length})`, "", "| when | kernel | panic | primary incident | guilty |", "|---|---|---|---|---|"];
  for (const d of r.dumps) {
    out.push(`| ${when(d.crashTime)} | ${d.kernel ?? "?"} | ${esc(d.primary?.panic?.message ?? "-")} | ${esc(d.primary?.title ?? "-")} | ${d.primary?.guilty ?? "-"} |`);
  }
  if (r.recurrences.length) {
    out.push("", "## Recurrences", "");
    for (const g of r.recurrences) out.push(`- **${esc(g.title)}**: ${g.count}× (${when(g.first)} … ${when(g.last)}), kernels ${g.kernels.join(", ") || "?"}`);
  }
  return out.join("\n") + "\n";
}
