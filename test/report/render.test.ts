/**
 * The human formats group repeats of one incident (a flood of corrected memory
 * errors, a WARNING in a loop); the machine formats keep every incident.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { analyzeText } from "../../src/index.js";
import { buildReport, groupIncidents, renderJson, renderMarkdown, renderText } from "../../src/report/render.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// One real EDAC line of the corpus, printed 50 times a second apart.
const line = readFileSync(join(ROOT, "corpora/x86_64/hardware/edac-ce.log"), "utf8").split("\n").find((l) => l.includes("EDAC MC0: 1 CE"))!.replace(/^\[[^\]]*\] /, "");
const flood = Array.from({ length: 50 }, (_, k) => `[${(10 + k).toFixed(6).padStart(12)}] ${line}`).join("\n") + "\n";

describe("repeated incidents in the text and markdown reports", () => {
  const { incidents, diagnostics } = analyzeText(flood, { sourceName: "flood.log" });
  const report = buildReport("test", [{ name: "flood.log", incidents: 50 }], incidents, diagnostics);

  it("are one group with 49 repeats", () => {
    expect(incidents).toHaveLength(50);
    const g = groupIncidents(incidents);
    expect(g).toHaveLength(1);
    expect(g[0]!.repeats).toHaveLength(49);
  });

  it("text: one table row with the count, one block saying how often and until when", () => {
    const t = renderText(report);
    expect(t).toMatch(/^kpanic: 50 incidents in flood\.log/);
    expect(t.match(/EDAC: corrected memory error on/g)).toHaveLength(2); // the row and the block's heading
    expect(t).toMatch(/\(×50\)/);
    expect(t).toMatch(/repeated\s+49 more times with the same fingerprint, the last at 59\.00 s \(flood\.log:50\)/);
    expect(t).not.toMatch(/guilty/); // a hardware error blames no function
  });

  it("markdown: one section with the count", () => {
    const md = renderMarkdown(report);
    expect(md.match(/^## /gm)).toHaveLength(1);
    expect(md).toMatch(/^## 1\. EDAC: corrected memory error on \S+ \(×50\)$/m);
    expect(md).toMatch(/\| repeated \| 49 more times/);
  });

  it("JSON keeps all 50", () => {
    expect(JSON.parse(renderJson(report)).incidents).toHaveLength(50);
  });

  it("a fatal repeat is not folded into survivable ones", () => {
    const a = incidents[0]!;
    const g = groupIncidents([a, { ...a, fatal: true }, { ...a }]);
    expect(g.map((x) => [x.index, x.repeats.length])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
});
