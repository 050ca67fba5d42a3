/**
 * Renderers: versioned JSON report, NDJSON, human text (with a summary
 * table), markdown for tickets.
 */
import { lazyTable } from "./lazy-table.js";
import type { Diagnostic, Incident } from "../types.js";
import { codeText, describe, frameLocation, frameText, inlinedText, unnamedText } from "./describe.js";

export const REPORT_SCHEMA = "kpanic.report/v1";

export interface SourceSummary {
  name: string;
  incidents: number;
  error?: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  generator: { name: "kpanic"; version: string };
  sources: SourceSummary[];
  incidents: Incident[];
  diagnostics: Diagnostic[];
}

export function buildReport(version: string, sources: SourceSummary[], incidents: Incident[], diagnostics: Diagnostic[]): Report {
  return { schema: REPORT_SCHEMA, generator: { name: "kpanic", version }, sources, incidents, diagnostics };
}

export function renderJson(r: Report): string {
  return JSON.stringify(r, null, 2) + "\n";
}

export function renderNdjsonLine(i: Incident): string {
  return JSON.stringify(i) + "\n";
}

function short(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

export interface TextOptions {
  /** Terminal width for the summary table (default 100). */
  width?: number;
  /** Frames shown per stack (default 16). */
  maxFrames?: number;
  /** Also print each incident's raw lines. */
  raw?: boolean;
}

/** Incidents that repeat one another (same fingerprint, same fatality): the first, and the rest. */
export interface IncidentGroup {
  /** Index of the first incident in the report. */
  index: number;
  first: Incident;
  repeats: Incident[];
}

/**
 * Groups a report's incidents for the human formats: a flood of the same
 * corrected memory error or WARNING is one row and one block, with a count
 * (JSON and NDJSON keep every incident).
 */
export function groupIncidents(incidents: readonly Incident[]): IncidentGroup[] {
  const groups: IncidentGroup[] = [];
  const byKey = new Map<string, IncidentGroup>();
  incidents.forEach((i, index) => {
    const key = `${i.fingerprint}/${i.fatal ? 1 : 0}`;
    const g = byKey.get(key);
    if (g) g.repeats.push(i);
    else {
      const ng: IncidentGroup = { index, first: i, repeats: [] };
      byKey.set(key, ng);
      groups.push(ng);
    }
  });
  return groups;
}

function repeatText(g: IncidentGroup): string {
  const last = g.repeats[g.repeats.length - 1]!;
  const when = last.time.uptime !== null ? `, the last at ${last.time.uptime.toFixed(2)} s` : "";
  return `${g.repeats.length} more time${g.repeats.length === 1 ? "" : "s"} with the same fingerprint${when} (${baseName(last.source.name)}:${last.source.startLine})`;
}

export function renderSummaryTable(incidents: Incident[], width = 100): string {
  const titleWidth = Math.max(24, Math.min(70, width - 48));
  const rows = [["#", "uptime", "class", "fatal", "title", "source"]];
  for (const g of groupIncidents(incidents)) {
    const i = g.first;
    const count = g.repeats.length ? ` (×${g.repeats.length + 1})` : "";
    rows.push([
      String(g.index + 1),
      i.time.uptime === null ? "-" : i.time.uptime.toFixed(2),
      i.class,
      i.fatal ? "yes" : "",
      short(i.title, titleWidth - count.length) + count,
      `${short(baseName(i.source.name), 18)}:${i.source.startLine}`,
    ]);
  }
  return lazyTable().table(rows, {
    border: lazyTable().getBorderCharacters("norc"),
    drawHorizontalLine: (idx, size) => idx === 0 || idx === 1 || idx === size,
    columns: { 4: { width: titleWidth, wrapWord: true } },
  });
}

function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.slice(i + 1) : p;
}

export function renderIncidentText(i: Incident, n: number, opts: TextOptions = {}, extra: [string, string][] = []): string {
  const maxFrames = opts.maxFrames ?? 16;
  const out: string[] = [];
  out.push(`== #${n} ${i.title}`);
  const rows = [...extra, ...describe(i)];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.push(`  ${k.padEnd(w)}  ${v}`);
  const stacks: [string, typeof i.frames][] = [];
  if (i.frames.length) stacks.push(["call trace", i.frames]);
  for (const s of i.stacks) stacks.push([s.label, s.frames]);
  for (const [label, frames] of stacks) {
    out.push(`  ${label}:`);
    const shown = frames.slice(0, maxFrames);
    for (const f of shown) {
      const ctx = f.context && f.context !== "task" ? ` <${f.context}>` : "";
      const loc = frameLocation(f);
      out.push(`    ${f.reliable ? "  " : "? "}${frameText(f)}${ctx}${loc ? `  ${loc}` : ""}${f.function === i.guilty ? "   <- guilty" : ""}`);
      for (const l of inlinedText(f)) out.push(`          ${l}`);
    }
    if (frames.length > shown.length) out.push(`    … ${frames.length - shown.length} more frames`);
  }
  if (i.unnamed?.frames.length) {
    out.push("  call trace (bare addresses):");
    for (const f of i.unnamed.frames.slice(0, maxFrames)) out.push(`    ${f.reliable ? "  " : "? "}${f.address}${f.resolved ? ` = ${unnamedText(f.resolved)}` : ""}`);
    if (i.unnamed.frames.length > maxFrames) out.push(`    … ${i.unnamed.frames.length - maxFrames} more frames`);
  }
  const code = codeText(i);
  if (code.length) {
    out.push(`  code (${i.code!.arch}):`);
    for (const l of code) out.push(`    ${l}`);
  }
  if (opts.raw) {
    out.push("  raw:");
    for (const l of i.text) out.push(`    | ${l}`);
  }
  return out.join("\n") + "\n";
}

export function renderText(r: Report, opts: TextOptions = {}): string {
  const out: string[] = [];
  const names = r.sources.map((s) => s.name).join(", ");
  const failed = r.sources.filter((s) => s.error).length;
  if (r.incidents.length === 0) {
    out.push(
      failed
        ? `kpanic: no incidents found; ${failed === 1 && r.sources.length === 1 ? "the input" : `${failed} of ${r.sources.length} inputs`} could not be read in full (the errors are on stderr).`
        : `kpanic: no incidents found in ${names || "the input"}.`,
    );
  } else {
    out.push(`kpanic: ${r.incidents.length} incident${r.incidents.length === 1 ? "" : "s"} in ${names}` + (r.incidents.some((i) => i.fatal) ? " — the kernel panicked" : ""));
    out.push("");
    out.push(renderSummaryTable(r.incidents, opts.width));
    for (const g of groupIncidents(r.incidents)) {
      out.push(renderIncidentText(g.first, g.index + 1, opts, g.repeats.length ? [["repeated", repeatText(g)]] : []));
    }
  }
  const s = out.join("\n");
  return s.endsWith("\n") ? s : s + "\n";
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/`/g, "\\`");
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# Kernel incidents (${r.incidents.length})`, "");
  if (r.incidents.length === 0) {
    out.push(`No incidents found in ${r.sources.map((s) => `\`${s.name}\``).join(", ")}.`, "");
  }
  for (const g of groupIncidents(r.incidents)) {
    const i = g.first;
    out.push(`## ${g.index + 1}. ${mdEscape(i.title)}${g.repeats.length ? ` (×${g.repeats.length + 1})` : ""}`, "");
    out.push("| field | value |", "|---|---|");
    for (const [k, v] of describe(i)) out.push(`| ${k} | ${mdEscape(v)} |`);
    if (g.repeats.length) out.push(`| repeated | ${mdEscape(repeatText(g))} |`);
    out.push("");
    if (i.frames.length) {
      out.push("<details><summary>Call trace</summary>", "", "```");
      for (const f of i.frames) {
        const loc = frameLocation(f);
        out.push(`${f.reliable ? "" : "? "}${frameText(f)}${loc ? `  ${loc}` : ""}`);
        for (const l of inlinedText(f)) out.push(`      ${l}`);
      }
      out.push("```", "", "</details>", "");
    }
    const code = codeText(i);
    if (code.length) {
      out.push(`<details><summary>Code (${i.code!.arch})</summary>`, "", "```");
      for (const l of code) out.push(l);
      out.push("```", "", "</details>", "");
    }
    out.push("<details><summary>Raw log</summary>", "", "```");
    for (const l of i.text) out.push(l.replace(/```/g, "'''"));
    out.push("```", "", "</details>", "");
  }
  if (r.diagnostics.length) {
    out.push("## Diagnostics", "");
    for (const d of r.diagnostics) out.push(`- ${d.severity}: ${mdEscape(d.message)}`);
    out.push("");
  }
  return out.join("\n");
}
