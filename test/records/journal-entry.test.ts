/**
 * journald entries → records (records/formats journalEntryRecords), shared by
 * `journalctl -o json` and `-o export` input and the live journald source.
 * The analysis tests use corpora/journal/sysrq-c.jsonl (printed by a real
 * journalctl), with consecutive entries merged into multi-line MESSAGEs.
 */
import { readFileSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeText, createAnalyzer, type Incident } from "../../src/index.js";
import { journalEntryRecords, normalizerFor, type JournalEntry } from "../../src/records/formats.js";
import { JournalExportDecoder } from "../../src/records/journal-export.js";
import type { LogRecord } from "../../src/types.js";
import { ROOT } from "../corpus.js";

/** An entry as journald stores it: field → value bytes (or text). */
type Fields = Record<string, string | Uint8Array>;

const bytes = (v: string | Uint8Array): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v));

/** journalctl -o json: printable UTF-8 (newline and tab allowed) as a string, anything else as a byte array. */
function toJson(f: Fields): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    const b = bytes(v);
    o[k] = isUtf8(b) && !b.some((c) => (c < 32 && c !== 10 && c !== 9) || c === 127) ? b.toString("utf8") : Array.from(b);
  }
  return JSON.stringify(o);
}

/** journalctl -o export (__CURSOR first): `KEY=value`, or binary framing for a value with control or non-ASCII bytes. */
function toExport(f: Fields): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(f).sort(([a], [b]) => Number(b === "__CURSOR") - Number(a === "__CURSOR"))) {
    const b = bytes(v);
    if (b.some((c) => c < 32 || c >= 127)) {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      parts.push(Buffer.from(`${k}\n`), len, b, Buffer.from("\n"));
    } else parts.push(Buffer.from(`${k}=${b.toString("latin1")}\n`));
  }
  parts.push(Buffer.from("\n"));
  return Buffer.concat(parts);
}

/** Records of JSON lines, numbered from 1, as the scanner would number them. */
function recordsOf(jsonLines: string[], format: "journal-json" | "journal-export"): LogRecord[] {
  const n = normalizerFor(format);
  return jsonLines.flatMap((l, i) => {
    const r = n(l, i + 1);
    return r === null ? [] : Array.isArray(r) ? r : [r];
  });
}

function exportLines(b: Uint8Array): string[] {
  const d = new JournalExportDecoder();
  return (d.push(b) + d.end()).split("\n").filter((l) => l.length > 0);
}

function analyzeChunks(b: Uint8Array, size: number): Incident[] {
  const incidents: Incident[] = [];
  const a = createAnalyzer({}, (i) => incidents.push(i), () => {});
  for (let i = 0; i < b.length; i += size) a.push(b.subarray(i, i + size));
  a.end();
  return incidents;
}

const BOOT = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
const kernel = (msg: string | Uint8Array, us = 90192379): Fields => ({
  __REALTIME_TIMESTAMP: String(1795894000000000 + us),
  __MONOTONIC_TIMESTAMP: String(us),
  _BOOT_ID: BOOT,
  _TRANSPORT: "kernel",
  PRIORITY: "4",
  SYSLOG_FACILITY: "0",
  SYSLOG_IDENTIFIER: "kernel",
  _SOURCE_MONOTONIC_TIMESTAMP: String(us),
  _HOSTNAME: "lab",
  MESSAGE: msg,
});

describe("journald entry → records", () => {
  it("a MESSAGE with a newline gives one record per line, sharing the entry's metadata", () => {
    const recs = journalEntryRecords(JSON.parse(toJson(kernel("line one\nline two"))) as JournalEntry, 7);
    const meta = { line: 7, time: 90.192379, level: 4, facility: 0, caller: null, host: "lab", bootId: BOOT, wallTime: "2026-11-28T19:28:10.192Z" };
    expect(recs).toEqual([
      { ...meta, text: "line one", raw: "[   90.192379] line one" },
      { ...meta, text: "line two", raw: "[   90.192379] line two" },
    ]);
    // A final newline ends the last line; it adds none. CRLF loses its CR.
    expect(journalEntryRecords({ MESSAGE: "a\r\nb\n" }, 1).map((r) => r.raw)).toEqual(["a", "b"]);
    expect(journalEntryRecords({ MESSAGE: "" }, 1).map((r) => r.text)).toEqual([""]);
  });

  it("a byte-array MESSAGE with a newline gives two records; invalid UTF-8 shows as U+FFFD", () => {
    const e = JSON.parse(toJson(kernel(Buffer.from("first\nsecond \xff\x1b", "latin1")))) as JournalEntry;
    expect(Array.isArray(e["MESSAGE"])).toBe(true);
    expect(journalEntryRecords(e, 1).map((r) => r.text)).toEqual(["first", "second \uFFFD"]);
  });

  it("null or missing MESSAGE: no record, no crash", () => {
    expect(journalEntryRecords({ ...kernel("x"), MESSAGE: null }, 1)).toEqual([]);
    expect(journalEntryRecords({ _TRANSPORT: "kernel" }, 1)).toEqual([]);
    expect(journalEntryRecords({ MESSAGE: { not: "text" } }, 1)).toEqual([]);
    expect(journalEntryRecords({ MESSAGE: [1, 2, 300] }, 1)).toEqual([]);
    const n = normalizerFor("journal-json");
    expect(n(JSON.stringify({ ...kernel("x"), MESSAGE: null }), 1)).toBeNull();
    expect(n("null", 1)).toBeNull();
    expect(n("{not json", 1)).toBeNull();
  });

  it("non-kernel entries are dropped: _TRANSPORT, else SYSLOG_IDENTIFIER, decides", () => {
    expect(journalEntryRecords({ ...kernel("BUG: x"), _TRANSPORT: "stdout", SYSLOG_IDENTIFIER: "myapp" }, 1)).toEqual([]);
    expect(journalEntryRecords({ ...kernel("BUG: x"), _TRANSPORT: "syslog" }, 1)).toEqual([]);
    expect(journalEntryRecords({ MESSAGE: "BUG: x", SYSLOG_IDENTIFIER: "systemd" }, 1)).toEqual([]);
    expect(journalEntryRecords({ MESSAGE: "BUG: x", SYSLOG_IDENTIFIER: "kernel" }, 1)).toHaveLength(1);
    // `journalctl -k -o json --output-fields=MESSAGE`: nothing says otherwise.
    expect(journalEntryRecords({ MESSAGE: "BUG: x" }, 1)).toHaveLength(1);
    expect(journalEntryRecords(kernel("BUG: x"), 1, { host: "other" })).toEqual([]);
    expect(journalEntryRecords(kernel("BUG: x"), 1, { host: "lab" })).toHaveLength(1);
  });

  it("repeated fields (arrays of values): the first value counts", () => {
    const [r] = journalEntryRecords({ MESSAGE: ["one", "two"], _HOSTNAME: [[104], "b"], PRIORITY: ["3", "6"] }, 1);
    expect(r).toMatchObject({ text: "one", host: "h", level: 3 });
  });

  it("odd metadata is left out, never thrown on", () => {
    const [r] = journalEntryRecords({ MESSAGE: "x", __REALTIME_TIMESTAMP: "99999999999999999999", __MONOTONIC_TIMESTAMP: "", PRIORITY: "12", _BOOT_ID: "../b1" }, 1);
    expect(r).toEqual({ line: 1, text: "x", raw: "x", time: null, level: null, facility: null, caller: null });
    // _SOURCE_ timestamps (when the message was made) win over journald's own.
    const [s] = journalEntryRecords({ MESSAGE: "x", _SOURCE_MONOTONIC_TIMESTAMP: "2000000", __MONOTONIC_TIMESTAMP: "3000000", _SOURCE_REALTIME_TIMESTAMP: "0", __REALTIME_TIMESTAMP: "1000000" }, 1);
    expect(s).toMatchObject({ time: 2, wallTime: "1970-01-01T00:00:00.000Z" });
  });

  it("a repeated field reads the same from -o export as from -o json (an array of values)", () => {
    const exp = Buffer.from("__CURSOR=x\n_TRANSPORT=kernel\nMESSAGE=one\nMESSAGE=two\nMESSAGE=three\n_HOSTNAME=h\n\n");
    const json = JSON.stringify({ __CURSOR: "x", _TRANSPORT: "kernel", MESSAGE: ["one", "two", "three"], _HOSTNAME: "h" });
    expect(recordsOf(exportLines(exp), "journal-export")).toEqual(recordsOf([json], "journal-json"));
    expect(recordsOf([json], "journal-json").map((r) => r.text)).toEqual(["one"]);
  });

  it("-o json and -o export renderings of the same entries give identical records", () => {
    const entries: Fields[] = [
      kernel("BUG: kernel NULL pointer dereference, address: 0000000000000000", 1000000),
      kernel("line one\nline two", 2000000),
      kernel(Buffer.from("first\nsecond \xff", "latin1"), 3000000),
      kernel("tab\tand escape \x1b[0m", 4000000),
      { ...kernel("Kernel panic - not syncing: from userspace"), _TRANSPORT: "stdout", SYSLOG_IDENTIFIER: "app" },
      { __CURSOR: "c", _TRANSPORT: "kernel" },
      kernel("ünïcode\n", 5000000),
    ];
    const json = recordsOf(entries.map(toJson), "journal-json");
    const exp = recordsOf(exportLines(Buffer.concat(entries.map(toExport))), "journal-export");
    expect(json.map((r) => r.text)).toEqual(["BUG: kernel NULL pointer dereference, address: 0000000000000000", "line one", "line two", "first", "second \uFFFD", "tab\tand escape ", "ünïcode"]);
    expect(exp).toEqual(json);
  });
});

describe("multi-line journald messages through the analyzer", () => {
  // The real capture, with runs of three entries merged into one multi-line
  // MESSAGE (the entry with a byte-array MESSAGE stays alone: see below).
  const captured = readFileSync(join(ROOT, "corpora/journal/sysrq-c.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, string | number[]>);
  const fieldsOf = (e: Record<string, string | number[]>): Fields => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === "string" ? v : Uint8Array.from(v)]));
  const merged: Fields[] = [];
  let run: Fields[] = [];
  const close = (): void => {
    if (run.length) merged.push({ ...run[0]!, MESSAGE: Buffer.concat(run.flatMap((f, i) => (i ? [Buffer.from("\n"), bytes(f["MESSAGE"]!)] : [bytes(f["MESSAGE"]!)]))) });
    run = [];
  };
  for (const e of captured.map(fieldsOf)) {
    if (typeof e["MESSAGE"] !== "string") {
      close();
      merged.push(e);
      continue;
    }
    run.push(e);
    if (run.length === 3) close();
  }
  close();
  const jsonText = Buffer.from(merged.map(toJson).join("\n") + "\n");
  const exportBytes = Buffer.concat(merged.map(toExport));
  const shape = (is: Incident[]) => is.map((i) => ({ title: i.title, guilty: i.guilty, frames: i.frames.map((f) => f.function), task: i.task, kernel: i.kernel, bootId: i.time.bootId }));
  const original = shape(analyzeText(readFileSync(join(ROOT, "corpora/journal/sysrq-c.jsonl"))).incidents);

  it("every line of a merged entry is read: the same incident as the one-line-per-entry capture", () => {
    expect(merged.length).toBeLessThan(captured.length / 2);
    expect(original.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
    expect(shape(analyzeText(jsonText).incidents)).toEqual(original);
    expect(shape(analyzeText(exportBytes).incidents)).toEqual(original);
  });

  it("-o json and -o export give identical incidents, whatever the chunking (1, 7, 64, 4096 bytes)", () => {
    const whole = analyzeText(jsonText).incidents;
    expect(analyzeText(exportBytes).incidents).toEqual(whole);
    for (const size of [1, 7, 64, 4096]) {
      expect(analyzeChunks(jsonText, size)).toEqual(whole);
      expect(analyzeChunks(exportBytes, size)).toEqual(whole);
    }
  });
});
