/**
 * Text and JSON for `kpanic doctor` and `kpanic crashkernel`.
 */
import { lazyTable } from "../report/lazy-table.js";
import type { DoctorResult } from "./doctor.js";
import { applyCommands, GRUB_DROPIN, grubLine, type Recommendation } from "./sizing.js";
import { evaluateSpec, pointAt, showSize, type SpecEvaluation, type SpecResult } from "./spec.js";
import { formatMB, human, MiB } from "./units.js";

export const DOCTOR_SCHEMA = "kpanic.doctor/v1";
export const CRASHKERNEL_SCHEMA = "kpanic.crashkernel/v1";

export function renderDoctorText(r: DoctorResult, opts: { width?: number; root?: string | null } = {}): string {
  const width = Math.max(80, opts.width ?? 100);
  // check | status | found | fix; the two free-text columns share what is left.
  const titleW = 24;
  const statusW = 6;
  const rest = width - titleW - statusW - 13;
  const foundW = Math.max(24, Math.floor(rest * 0.55));
  const fixW = Math.max(20, rest - foundW);
  const rows = [["check", "status", "found", "fix"], ...r.checks.map((c) => [c.title, c.status, c.found, c.fix])];
  const head = [
    `kpanic doctor: ${opts.root ? `${opts.root} (--root), ` : ""}kernel ${r.release}${r.arch ? ` ${r.arch}` : ""}, ${r.distro.name}` +
      `${r.ram ? `, ${human(r.ram.bytes)} RAM` : ""}${r.cpus ? `, ${r.cpus} CPUs` : ""}`,
  ];
  const t = lazyTable().table(rows, {
    border: lazyTable().getBorderCharacters("norc"),
    drawHorizontalLine: (i, size) => i === 0 || i === 1 || i === size,
    columns: {
      0: { width: titleW, wrapWord: true },
      1: { width: statusW },
      2: { width: foundW, wrapWord: true },
      3: { width: fixW, wrapWord: true },
    },
  });
  const count = (s: string): number => r.checks.filter((c) => c.status === s).length;
  const summary = `${count("PASS")} pass, ${count("WARN")} warn, ${count("FAIL")} fail, ${count("SKIP")} skipped — ${
    r.verdict === "FAIL" ? "a crash on this machine would probably NOT be captured" : r.verdict === "WARN" ? "ready to capture a crash, with warnings" : "ready to capture a crash"
  }`;
  // The table wraps long commands; repeat them unwrapped so that they can be copied.
  const fixes = r.checks.filter((c) => (c.status === "FAIL" || c.status === "WARN") && c.fix);
  const byFix = new Map<string, string[]>();
  for (const c of [...fixes.filter((x) => x.status === "FAIL"), ...fixes.filter((x) => x.status === "WARN")]) {
    byFix.set(c.fix, [...(byFix.get(c.fix) ?? []), `[${c.status}] ${c.title}`]);
  }
  const copy = byFix.size ? `\nfixes (FAIL first), unwrapped for copying:\n${[...byFix].map(([fix, who]) => `  ${who.join("; ")}:\n    ${fix}`).join("\n")}\n` : "";
  return `${head.join("\n")}\n\n${t}${summary}\n${copy}`;
}

export function renderDoctorJson(r: DoctorResult, version: string, root: string | null): string {
  return (
    JSON.stringify(
      {
        schema: DOCTOR_SCHEMA,
        generator: { name: "kpanic", version },
        root,
        kernel: { release: r.release, arch: r.arch },
        distro: r.distro,
        ram: r.ram,
        cpus: r.cpus,
        recommendation: r.recommendation ? recommendationJson(r.recommendation) : null,
        verdict: r.verdict,
        checks: r.checks,
      },
      null,
      2,
    ) + "\n"
  );
}

export function recommendationJson(r: Recommendation): object {
  return {
    arch: r.arch,
    family: r.family,
    ramBytes: r.ramBytes,
    cpus: r.cpus,
    steps: r.steps,
    totalMB: r.totalMB,
    recommendedMB: r.recommendedMB,
    rounding: r.rounding,
    crashkernel: `crashkernel=${r.param}`,
    grub: { file: GRUB_DROPIN, line: grubLine(r.param) },
    commands: applyCommands(r.param),
  };
}

export function renderRecommendationText(r: Recommendation, ramFrom: string): string {
  const out: string[] = [];
  out.push(`crashkernel for ${r.arch}${r.arch === r.family ? "" : ` (${r.family})`}, ${human(r.ramBytes)} RAM${ramFrom ? ` (${ramFrom})` : ""}, ${r.cpus} CPU${r.cpus === 1 ? "" : "s"}:`);
  const w = Math.max(...r.steps.map((s) => s.label.length), 10);
  const nw = String(r.totalMB).length;
  r.steps.forEach((s, i) => out.push(`  ${i === 0 ? " " : "+"} ${s.label.padEnd(w)}  ${String(s.mb).padStart(nw)} MB${s.note ? `   (${s.note})` : ""}`));
  out.push(`  = ${"total".padEnd(w)}  ${String(r.totalMB).padStart(nw)} MB`);
  out.push(`  rounded up to ${formatMB(r.recommendedMB * MiB)}: ${r.rounding}`);
  out.push("");
  out.push(`recommendation: crashkernel=${r.param}${r.recommendedMB >= 1024 ? ` (${human(r.recommendedMB * MiB)})` : ""}`);
  out.push("");
  out.push(`Debian/Ubuntu (kdump-tools) — put this line in ${GRUB_DROPIN}:`);
  out.push(`  ${grubLine(r.param)}`);
  out.push("then apply it:");
  for (const c of applyCommands(r.param).slice(1)) out.push(`  ${c}`);
  out.push("RHEL/Fedora:");
  for (const c of applyCommands(r.param, "rhel")) out.push(`  ${c}`);
  out.push("After the reboot: cat /sys/kernel/kexec_crash_size (bytes reserved), then kpanic doctor.");
  return out.join("\n") + "\n";
}

export interface CheckOutcome {
  parsed: SpecResult;
  evaluation: SpecEvaluation | null;
  ramBytes: number | null;
  recommendation: Recommendation | null;
  /** Warnings about the chosen size (below the recommendation). */
  sizeWarnings: string[];
}

export function checkSpec(parsed: SpecResult, ramBytes: number | null, rec: Recommendation | null): CheckOutcome {
  // Evaluated even when malformed: the kernel only trips over a bad entry if it gets that far.
  const evaluation = parsed.spec && ramBytes ? evaluateSpec(parsed.spec, ramBytes) : null;
  const sizeWarnings: string[] = [];
  if (parsed.valid && evaluation && rec && evaluation.size > 0 && evaluation.size < rec.recommendedMB * MiB) {
    sizeWarnings.push(`${showSize(evaluation.size)} is below the ${rec.recommendedMB} MB recommended for ${human(rec.ramBytes)} RAM and ${rec.cpus} CPUs on ${rec.arch} (kpanic crashkernel shows the arithmetic)`);
  }
  return { parsed, evaluation, ramBytes, recommendation: rec, sizeWarnings };
}

export function renderCheckText(o: CheckOutcome, ramFrom: string): string {
  const p = o.parsed;
  const out: string[] = [];
  const shown = p.input;
  const errors = p.problems.filter((x) => x.severity === "error");
  const warnings = p.problems.filter((x) => x.severity === "warning");
  if (errors.length) {
    out.push(`${shown}: malformed (${errors.length} error${errors.length === 1 ? "" : "s"}):`);
  } else out.push(`${shown}: valid ${p.spec?.kind === "ranges" ? `range list (${p.spec.ranges.length} range${p.spec.ranges.length === 1 ? "" : "s"})` : `${p.spec?.kind ?? ""} size`}`);
  for (const x of p.problems) {
    out.push(`${x.severity} at column ${x.pos + 1}: ${x.message}`);
    out.push(pointAt(shown, x));
  }
  if (o.evaluation && p.spec) {
    const e = o.evaluation;
    out.push("");
    out.push(`${errors.length ? "what the kernel would still do " : ""}with ${human(o.ramBytes!)} of RAM${ramFrom ? ` (${ramFrom})` : ""}:`);
    if (p.spec.kind === "ranges") {
      p.spec.ranges.forEach((r, i) => out.push(`  ${i === e.rangeIndex ? "→" : " "} ${r.text}${i === e.rangeIndex ? "   ← applies" : ""}`));
    }
    for (const n of e.notes) out.push(`  note: ${n}`);
    for (const x of e.problems) out.push(`  problem: ${x}`);
    if (e.size > 0) out.push(`  reserves ${showSize(e.size)} (${human(e.size)})${e.offset !== null && e.offset > 0 ? ` at ${showSize(e.offset)}` : ""}`);
  } else if (!errors.length && o.ramBytes === null) out.push("(give --ram SIZE to see which size applies)");
  for (const w of o.sizeWarnings) out.push(`warning: ${w}`);
  if (!errors.length && !warnings.length && !o.sizeWarnings.length && !(o.evaluation?.problems.length)) out.push("no problems found");
  return out.join("\n") + "\n";
}

export function checkJson(o: CheckOutcome): object {
  const p = o.parsed;
  return {
    schema: CRASHKERNEL_SCHEMA,
    check: {
      input: p.input,
      valid: p.valid,
      spec: p.spec,
      problems: p.problems.map((x) => ({ ...x, column: x.pos + 1 })),
    },
    ramBytes: o.ramBytes,
    evaluation: o.evaluation,
    recommendation: o.recommendation ? recommendationJson(o.recommendation) : null,
    warnings: o.sizeWarnings,
  };
}
