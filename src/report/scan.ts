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

/** What the text and markdown views need of a dump (kept for every dump; the full report is not). */
export interface DumpRow {
  path: string;
  crashTime: string | null;
  kernel: string | null;
  panic: string | null;
  title: string | null;
  guilty: string | null;
  fingerprint: string | null;
  incidents: number;
  hasLog: boolean;
  vmcore: { format: string; size: number; compression?: string } | null;
  incomplete: boolean;
  notes: string[];
}

export function rowOf(d: DumpReport): DumpRow {
  return {
    path: d.path,
    crashTime: d.crashTime,
    kernel: d.kernel,
    panic: d.primary?.panic?.message ?? null,
    title: d.primary?.title ?? null,
    guilty: d.primary?.guilty ?? null,
    fingerprint: d.primary?.fingerprint ?? null,
    incidents: d.incidents.length,
    hasLog: d.logs.length > 0 || d.incidents.length > 0,
    vmcore: d.vmcore ? { format: d.vmcore.format, size: d.vmcore.size, ...(d.vmcore.compression ? { compression: d.vmcore.compression } : {}) } : null,
    incomplete: d.incomplete,
    notes: d.notes,
  };
}

/** Groups dumps by their primary incident's fingerprint, one dump at a time (bounded: 50 paths a group). */
export class RecurrenceAcc {
  private readonly groups = new Map<string, Recurrence>();
  add(d: DumpRow): void {
    if (!d.fingerprint || !d.title) return;
    let g = this.groups.get(d.fingerprint);
    if (!g) {
      g = { fingerprint: d.fingerprint, title: d.title, count: 0, first: null, last: null, kernels: [], dumps: [] };
      this.groups.set(d.fingerprint, g);
    }
    g.count++;
    if (d.crashTime) {
      if (g.first === null || d.crashTime < g.first) g.first = d.crashTime;
      if (g.last === null || d.crashTime > g.last) g.last = d.crashTime;
    }
    if (d.kernel && !g.kernels.includes(d.kernel) && g.kernels.length < 50) g.kernels.push(d.kernel);
    if (g.dumps.length < 50) g.dumps.push(d.path);
  }
  result(): Recurrence[] {
    return [...this.groups.values()].map((g) => ({ ...g, kernels: [...g.kernels].sort() })).sort((a, b) => b.count - a.count || (b.last ?? "").localeCompare(a.last ?? ""));
  }
}

/** For tests and small callers: the recurrence view of complete reports. */
export function recurrences(ds: readonly DumpReport[]): Recurrence[] {
  const acc = new RecurrenceAcc();
  for (const d of ds) acc.add(rowOf(d));
  return acc.result();
}

function short(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function when(t: string | null): string {
  return t ? t.replace("T", " ").replace(/\.\d{3}Z$/, "Z") : "?";
}

export function renderScanText(r: { roots: string[]; dumps: DumpRow[]; recurrences: Recurrence[] }, width = 100): string {
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
      short(d.panic ?? (d.title ? "-" : d.hasLog ? "no incident found" : "no log"), 24),
      short(d.title ?? (d.vmcore && !d.hasLog ? "(vmcore only)" : "-"), tw),
      d.guilty ?? "-",
      d.fingerprint?.slice(0, 8) ?? "-",
    ]);
  }
  out.push(lazyTable().table(rows, { border: lazyTable().getBorderCharacters("norc"), drawHorizontalLine: (i, s) => i === 0 || i === 1 || i === s, columns: { 3: { width: tw, wrapWord: true } } }).trimEnd());
  for (const d of r.dumps) {
    const extra: string[] = [];
    if (d.vmcore) extra.push(`${d.vmcore.format} dump, ${(d.vmcore.size / 1048576).toFixed(1)} MiB${d.vmcore.compression ? `, ${d.vmcore.compression}` : ""}${d.incomplete ? ", INCOMPLETE" : ""}`);
    for (const note of d.notes) extra.push(note);
    if (d.incidents > 1) extra.push(`${d.incidents} incidents in its log`);
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

export function renderScanMarkdown(r: { dumps: DumpRow[]; recurrences: Recurrence[] }): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = [`# Crash dumps (${r.dumps.length})`, "", "| when | kernel | panic | primary incident | guilty |", "|---|---|---|---|---|"];
  for (const d of r.dumps) {
    out.push(`| ${when(d.crashTime)} | ${d.kernel ?? "?"} | ${esc(d.panic ?? "-")} | ${esc(d.title ?? "-")} | ${d.guilty ?? "-"} |`);
  }
  if (r.recurrences.length) {
    out.push("", "## Recurrences", "");
    for (const g of r.recurrences) out.push(`- **${esc(g.title)}**: ${g.count}× (${when(g.first)} … ${when(g.last)}), kernels ${g.kernels.join(", ") || "?"}`);
  }
  return out.join("\n") + "\n";
}
