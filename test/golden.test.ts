/**
 * Golden tests: every real log in corpora/ against its reviewed expectation.
 * Rewrite expectations with `npm run golden:update` (KPANIC_UPDATE_GOLDEN=1),
 * then review the diff against the raw logs before committing.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { analyzeText } from "../src/index.js";
import { buildReport } from "../src/report/render.js";
import type { Diagnostic, Incident } from "../src/types.js";
import { corpusLogs, expectedPath, ROOT } from "./corpus.js";

const UPDATE = process.env["KPANIC_UPDATE_GOLDEN"] === "1";
const schema = JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")) as object;
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

/** The golden form of an incident: everything but the raw text, which the log itself holds. */
function golden(i: Incident): Record<string, unknown> {
  const { text, ...rest } = i;
  return { ...rest, textLines: text.length };
}

function goldenDiagnostics(ds: Diagnostic[]): unknown[] {
  return ds.map((d) => ({ code: d.code, severity: d.severity, ...(d.line !== undefined ? { line: d.line } : {}) }));
}

const logs = corpusLogs();
const ARCH_OF_DIR: Record<string, string> = { x86_64: "x86_64", arm64: "arm64", riscv64: "riscv64", ppc64el: "powerpc64", s390x: "s390x", armhf: "arm", i386: "i386" };

describe("real-kernel corpus", () => {
  it("is present", () => {
    expect(logs.length).toBeGreaterThan(0);
  });
  for (const log of logs) {
    it(log, () => {
      // User-space fault samples are read with the opt-in kinds on (kpanic --user-faults).
      const r = analyzeText(readFileSync(join(ROOT, log)), { sourceName: log, ...(log.includes("/user/") ? { includeOptIn: true } : {}) });
      const report = buildReport("test", [{ name: log, incidents: r.incidents.length }], r.incidents, r.diagnostics);
      const ok = validate(report);
      expect(ok ? [] : validate.errors).toEqual([]);

      // Structural truths that do not depend on the reviewed expectations.
      // Clean boots, and the capture kernel's own boot log in a kdump tree, hold no incident;
      // every crash family holds at least one (user/ holds negative controls: SIGABRT, no exception-trace).
      if (log.includes("/negative/") || log.endsWith("/kexec-dmesg.log")) expect(r.incidents.map((i) => i.title)).toEqual([]);
      else if (!log.includes("/misc/") && !log.includes("/user/")) expect(r.incidents.length).toBeGreaterThan(0);

      // The architecture comes from the log itself: each corpus directory is one.
      const dir = /^corpora\/(x86_64|arm64|riscv64|ppc64el|s390x|armhf|i386)\//.exec(log)?.[1];
      if (dir) expect(r.incidents.map((i) => i.arch)).toEqual(r.incidents.map(() => ARCH_OF_DIR[dir]));

      const actual = { source: log, incidents: r.incidents.map(golden), diagnostics: goldenDiagnostics(r.diagnostics) };
      const exp = join(ROOT, expectedPath(log));
      if (UPDATE || !existsSync(exp)) {
        if (!UPDATE) throw new Error(`${expectedPath(log)} is missing: run npm run golden:update, then review it against the log`);
        writeFileSync(exp, JSON.stringify(actual, null, 2) + "\n");
        return;
      }
      expect(actual).toEqual(JSON.parse(readFileSync(exp, "utf8")));
    });
  }
});
