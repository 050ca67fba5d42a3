/**
 * journalctl -o export decoding. corpora/journal/sysrq-c.export was printed by
 * journalctl 252 (see corpora/journal/make.sh); it holds one binary MESSAGE.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeText, createAnalyzer, type Diagnostic, type Incident } from "../../src/index.js";
import { JournalExportDecoder } from "../../src/records/journal-export.js";
import { ROOT } from "../corpus.js";

const exported = readFileSync(join(ROOT, "corpora/journal/sysrq-c.export"));

function analyzeChunks(b: Uint8Array, size: number): { incidents: Incident[]; diagnostics: Diagnostic[] } {
  const incidents: Incident[] = [];
  const diagnostics: Diagnostic[] = [];
  const a = createAnalyzer({}, (i) => incidents.push(i), (d) => diagnostics.push(d));
  for (let i = 0; i < b.length; i += size) a.push(b.subarray(i, i + size));
  a.end();
  return { incidents, diagnostics };
}

const field = (k: string, v: Uint8Array): Buffer => {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(v.length));
  return Buffer.concat([Buffer.from(`${k}\n`), len, v, Buffer.from("\n")]);
};

describe("journal export", () => {
  it("decodes the binary MESSAGE field as journalctl -o json shows it (a byte array)", () => {
    const d = new JournalExportDecoder();
    const lines = (d.push(exported) + d.end()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(408);
    const binary = lines.filter((e) => Array.isArray(e["MESSAGE"]));
    expect(binary).toHaveLength(1);
    expect((binary[0]!["MESSAGE"] as number[]).at(-1)).toBe(0xff);
  });

  const whole = analyzeText(exported);
  it("the same incidents whatever the chunking (1, 3, 8, 9, 4096 bytes)", () => {
    expect(whole.incidents.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
    for (const size of [1, 3, 8, 9, 4096]) {
      expect(analyzeChunks(exported, size).incidents).toEqual(whole.incidents);
    }
  });

  it("skips an oversized binary field without buffering it, and says so once", () => {
    const big = new Uint8Array(3 << 20).fill(0x41);
    const input = Buffer.concat([Buffer.from("__CURSOR=x\n_TRANSPORT=kernel\n"), field("MESSAGE", big), Buffer.from("\n"), exported]);
    const r = analyzeChunks(input, 65536);
    expect(r.incidents.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
    expect(r.diagnostics.filter((d) => d.code === "malformed-input").map((d) => d.message)).toEqual([
      expect.stringContaining("oversized field: a MESSAGE value of 3145728 bytes was skipped"),
    ]);
  });

  it("ignores malformed lines and non-kernel entries, and reports a truncated end", () => {
    const input = Buffer.concat([
      Buffer.from("__CURSOR=x\nnot a field line\n_TRANSPORT=stdout\nMESSAGE=Kernel panic - not syncing: from userspace\n\n"),
      Buffer.from("_TRANSPORT=kernel\nMESSAGE=hello\n\nMESSAGE\n\u0010\u0000"),
    ]);
    const r = analyzeText(input);
    expect(r.incidents).toEqual([]);
    const msgs = r.diagnostics.filter((d) => d.code === "malformed-input").map((d) => d.message);
    expect(msgs.some((m) => m.includes("malformed field"))).toBe(true);
    expect(msgs.some((m) => m.includes("truncated"))).toBe(true);
  });

  it("--input-format journal-export reads an export that does not start with __CURSOR or __REALTIME_TIMESTAMP", () => {
    const body = exported.subarray(exported.indexOf("_BOOT_ID="));
    expect(analyzeText(body).incidents).toEqual([]);
    expect(analyzeText(body, { inputFormat: "journal-export" }).incidents.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
  });

  it("a multi-line MESSAGE (a binary field) keeps every line", () => {
    const entry = (msg: string) =>
      Buffer.concat([Buffer.from("__CURSOR=x\n_TRANSPORT=kernel\n__MONOTONIC_TIMESTAMP=5000000\n"), field("MESSAGE", Buffer.from(msg)), Buffer.from("\n")]);
    const r = analyzeText(Buffer.concat([entry("Kernel panic - not syncing: first line\nCPU: 0 PID: 1 Comm: init Not tainted 6.1.0-56-amd64 #1"), entry("---[ end Kernel panic - not syncing: first line ]---")]));
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]!.task).toMatchObject({ comm: "init", pid: 1 });
  });

  it("property: arbitrary bytes after an export header never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 64 }), (bytes, size) => {
        const input = Buffer.concat([Buffer.from("__CURSOR=x\n"), bytes]);
        analyzeChunks(input, size);
      }),
      { numRuns: 300 },
    );
  });
});
