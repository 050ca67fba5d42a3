/**
 * Property tests of the whole pipeline (framer → normalize → scanner →
 * machine) with fast-check:
 *
 *  (a) chunking does not matter: real corpus logs cut at arbitrary byte
 *      positions (inside multi-byte UTF-8 characters, between \r and \n, one
 *      byte at a time...) give exactly the incidents and diagnostics of
 *      analyzeText() on the whole log;
 *  (b) hostile input (random bytes, real log lines mixed with garbage, NULs,
 *      invalid UTF-8, lone \r, very long lines) never throws and is fast;
 *  (c) a 20 MB line without newline costs bounded memory and yields one
 *      `line-too-long` diagnostic;
 *  (d) CRLF and LF line ends give the same incidents.
 *
 * Logs come from corpora/**\/*.log at test time (the corpus grows while the
 * project is developed); the tests that need them are skipped if there is none.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeText, createAnalyzer, type AnalyzerOptions } from "../src/analyzer.js";
import { INCIDENT_CLASSES, type Diagnostic, type Incident } from "../src/types.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CORPORA = join(ROOT, "corpora");

// ---------------------------------------------------------------- corpus ----

interface Log {
  name: string;
  bytes: Buffer;
  incidents: number;
}

function corpusLogs(): Log[] {
  if (!existsSync(CORPORA)) return [];
  return (readdirSync(CORPORA, { recursive: true, encoding: "utf8" }) as string[])
    .filter((p) => p.endsWith(".log") && !p.split(sep).includes("generate"))
    .sort()
    .map((p) => {
      const bytes = readFileSync(join(CORPORA, p));
      return { name: relative(ROOT, join(CORPORA, p)), bytes, incidents: analyzeText(bytes).incidents.length };
    });
}

const ALL_LOGS = corpusLogs();
const WITH_INCIDENTS = ALL_LOGS.filter((l) => l.incidents > 0);

/**
 * Up to `n` logs with incidents: the one with most incidents, then the first
 * log of each family directory (oops, panic, warning...), alternating archs.
 */
function pickLogs(n: number): Log[] {
  const out: Log[] = [];
  const most = [...WITH_INCIDENTS].sort((a, b) => b.incidents - a.incidents || a.name.localeCompare(b.name))[0];
  if (most) out.push(most);
  const byFamily = new Map<string, Log>();
  for (const l of WITH_INCIDENTS) {
    const [arch = "", family = ""] = l.name.split(/[\\/]/).slice(-3, -1);
    const k = `${family}/${arch}`;
    if (!byFamily.has(k)) byFamily.set(k, l);
  }
  for (const k of [...byFamily.keys()].sort()) {
    const l = byFamily.get(k)!;
    if (out.length < n && !out.includes(l)) out.push(l);
  }
  for (const l of WITH_INCIDENTS) if (out.length < n && !out.includes(l)) out.push(l);
  return out;
}

/**
 * Synthetic variant of a real log: after every 7th line, a line with
 * multi-byte UTF-8 (2-, 3- and 4-byte sequences), so that cuts can land inside
 * characters. The corpus itself is pure ASCII.
 */
function withMultibyte(log: Log): Log {
  const lines = log.bytes.toString("utf8").split("\n");
  const out: string[] = [];
  lines.forEach((l, i) => {
    out.push(l);
    if (i % 7 === 6 && i < lines.length - 1) out.push(`[    1.00000${i % 10}] usb 1-1: Product: Ünïcödé ✓ € 😀 ${"ж".repeat(i % 5)}\r`);
  });
  const bytes = Buffer.from(out.join("\n"), "utf8");
  return { name: `${log.name} + synthetic multi-byte lines`, bytes, incidents: analyzeText(bytes).incidents.length };
}

// -------------------------------------------------------------- helpers ----

interface Result {
  incidents: Incident[];
  diagnostics: Diagnostic[];
}

/** Feeds `buf` cut at `cuts` (any order, duplicates and out-of-range ignored) through push(). */
function analyzeChunked(buf: Uint8Array, cuts: readonly number[], opts: AnalyzerOptions = {}): Result {
  const incidents: Incident[] = [];
  const diagnostics: Diagnostic[] = [];
  const a = createAnalyzer(opts, (i) => incidents.push(i), (d) => diagnostics.push(d));
  let prev = 0;
  for (const c of [...new Set(cuts)].sort((x, y) => x - y)) {
    if (c <= prev || c >= buf.length) continue;
    a.push(buf.subarray(prev, c));
    prev = c;
  }
  a.push(buf.subarray(prev));
  a.end();
  return { incidents, diagnostics };
}

const json = (r: Result): { incidents: string[]; diagnostics: string[] } => ({
  incidents: r.incidents.map((i) => JSON.stringify(i)),
  diagnostics: r.diagnostics.map((d) => JSON.stringify(d)),
});

/** Cut positions that matter: inside a multi-byte character, and between \r and \n. */
function specialPositions(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 1; i < buf.length; i++) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80 || (b === 10 && buf[i - 1] === 13)) out.push(i);
  }
  return out;
}

/** Arbitrary cut sets for `buf`: random positions, plus special ones, plus optionally every k bytes. */
function cutsArb(buf: Buffer): fc.Arbitrary<number[]> {
  const len = buf.length;
  const special = specialPositions(buf);
  const random = fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 60 });
  const picked = special.length
    ? fc.uniqueArray(fc.integer({ min: 0, max: special.length - 1 }), { maxLength: 40 }).map((ix) => ix.map((i) => special[i]!))
    : fc.constant<number[]>([]);
  const step = fc.option(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 70000 })), { freq: 4 });
  return fc.tuple(random, picked, step).map(([r, p, k]) => {
    const cuts = [...r, ...p];
    if (k !== null && len / k <= 20000) for (let i = k; i < len; i += k) cuts.push(i);
    return cuts;
  });
}

// ------------------------------------------------------------------ (a) ----

const CHUNK_LOGS = pickLogs(8);
const CHUNK_CASES: Log[] = CHUNK_LOGS.length ? [...CHUNK_LOGS, withMultibyte(CHUNK_LOGS[CHUNK_LOGS.length - 1]!)] : [];

describe.skipIf(CHUNK_CASES.length === 0)("(a) chunk boundaries do not change the result", () => {
  it("uses at least 4 real logs with incidents when the corpus has them", () => {
    expect(CHUNK_LOGS.length).toBe(Math.min(8, WITH_INCIDENTS.length));
    if (WITH_INCIDENTS.length >= 4) expect(CHUNK_LOGS.length).toBeGreaterThanOrEqual(4);
  });

  it.each(CHUNK_CASES.map((l) => [l.name, l] as const))("%s: arbitrary byte cuts", (_n, log) => {
    const whole = json(analyzeText(log.bytes));
    expect(whole.incidents.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(cutsArb(log.bytes), (cuts) => {
        expect(json(analyzeChunked(log.bytes, cuts))).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it.each(CHUNK_CASES.map((l) => [l.name, l] as const))("%s: one byte per chunk", (_n, log) => {
    const cuts = Array.from({ length: log.bytes.length }, (_, i) => i);
    expect(json(analyzeChunked(log.bytes, cuts))).toEqual(json(analyzeText(log.bytes)));
  }, 60_000);

  it.each(CHUNK_CASES.map((l) => [l.name, l] as const))("%s: cut inside every multi-byte character and CRLF at once", (_n, log) => {
    const special = specialPositions(log.bytes);
    expect(json(analyzeChunked(log.bytes, special))).toEqual(json(analyzeText(log.bytes)));
  }, 60_000);

  it("string chunks cut at code-point boundaries give the same result as one string", () => {
    const log = CHUNK_CASES[CHUNK_CASES.length - 1]!;
    const text = log.bytes.toString("utf8");
    const whole = json(analyzeText(text));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 60 }), (cuts) => {
        // never between the two halves of a surrogate pair
        const ok = cuts.filter((c) => !(text.charCodeAt(c) >= 0xdc00 && text.charCodeAt(c) <= 0xdfff)).sort((x, y) => x - y);
        const incidents: Incident[] = [];
        const diagnostics: Diagnostic[] = [];
        const a = createAnalyzer({}, (i) => incidents.push(i), (d) => diagnostics.push(d));
        let prev = 0;
        for (const c of ok) {
          a.push(text.slice(prev, c));
          prev = c;
        }
        a.push(text.slice(prev));
        a.end();
        expect(json({ incidents, diagnostics })).toEqual(whole);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});

// ------------------------------------------------------------------ (b) ----

/** Real lines of crash reports: every line of every picked log that is inside an incident. */
const REAL_LINES: string[] = (() => {
  const lines = new Set<string>();
  for (const l of CHUNK_LOGS) for (const i of analyzeText(l.bytes).incidents) for (const t of i.text) lines.add(t);
  if (lines.size === 0) {
    // no corpus yet: a few synthetic report lines
    for (const t of [
      "[    5.100000] BUG: kernel NULL pointer dereference, address: 0000000000000000",
      "[    5.100001] #PF: supervisor read access in kernel mode",
      "[    5.100002] Oops: 0000 [#1] PREEMPT SMP NOPTI",
      "[    5.100003] RIP: 0010:lkdtm_BUG+0x5/0x10 [lkdtm]",
      "[    5.100004] Call Trace:",
      "[    5.100005]  <TASK>",
      "[    5.100006]  ksys_write+0x6b/0xf0",
      "[    5.100007] Kernel panic - not syncing: Fatal exception",
    ])
      lines.add(t);
  }
  return [...lines];
})();

const B = (...a: number[]): Buffer => Buffer.from(a);
const piece: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: fc.constantFrom(...REAL_LINES).map((s) => Buffer.from(s)), weight: 6 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      B(0),
      B(0, 0, 0, 0),
      B(0xff, 0xfe),
      B(0xc3),
      B(0xe2, 0x82),
      B(0xf0, 0x9f, 0x98),
      B(0xed, 0xa0, 0x80), // UTF-8-encoded surrogate: invalid
      B(0xc0, 0xaf), // overlong
      Buffer.from("\r"),
      Buffer.from("\x1bc\x1b[?7l\x1b[2J"),
      Buffer.from("é😀€"),
      Buffer.from("[ "),
      Buffer.from("<3>"),
    ),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(fc.constantFrom("x", "é", "[    1.0] BUG: ", " "), fc.integer({ min: 60_000, max: 140_000 })).map(([u, n]) => Buffer.from(u.repeat(Math.ceil(n / Buffer.byteLength(u))))),
    weight: 1,
  },
);
const separator = fc.constantFrom("\n", "\n", "\r\n", "\r", "", "\n\n");
const hostile = fc
  .array(fc.tuple(piece, separator), { maxLength: 80 })
  .map((parts) => Buffer.concat(parts.flatMap(([p, s]) => [p, Buffer.from(s)])));

/** Contract-level checks on whatever comes out. */
function checkWellFormed(r: Result, input: Uint8Array): void {
  let lines = 0;
  for (const b of input) if (b === 10) lines++;
  lines++; // a last line without newline
  for (const i of r.incidents) {
    expect(typeof i.title).toBe("string");
    expect(i.title.length).toBeGreaterThan(0);
    expect(INCIDENT_CLASSES).toContain(i.class);
    expect(i.source.startLine).toBeGreaterThanOrEqual(1);
    expect(i.source.endLine).toBeGreaterThanOrEqual(i.source.startLine);
    expect(i.source.endLine).toBeLessThanOrEqual(lines);
    expect(i.text.length).toBeGreaterThan(0);
    expect(() => JSON.stringify(i)).not.toThrow();
  }
  for (const d of r.diagnostics) expect(["info", "warning", "error"]).toContain(d.severity);
}

/** Runs `f` and returns how long it took, in ms. */
function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

describe("(b) hostile input never throws and is fast", () => {
  it("random bytes up to 64 KiB, whole and chunked", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65536 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, rawCuts) => {
        let r: Result | undefined;
        const ms = timed(() => {
          r = analyzeText(bytes);
          analyzeChunked(bytes, rawCuts.map((c) => c % Math.max(1, bytes.length)));
        });
        checkWellFormed(r!, bytes);
        expect(ms).toBeLessThan(2000);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it("real report lines mixed with garbage, NULs, invalid UTF-8, lone CR and 60-140 KB lines", () => {
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 30 }), (buf, rawCuts) => {
        let r: Result | undefined;
        const ms = timed(() => {
          r = analyzeText(buf);
          analyzeChunked(buf, rawCuts.map((c) => c % Math.max(1, buf.length)));
        });
        checkWellFormed(r!, buf);
        expect(ms).toBeLessThan(3000);
      }),
      { numRuns: 80 },
    );
  }, 60_000);

  it("the same mixes (lines under the cap) give the same result however they are cut", () => {
    // Diagnostics compared as a multiset: whole-block diagnostics (invalid-utf8)
    // are emitted before the block's lines are scanned, so their order relative
    // to per-line ones depends on where blocks end. `binary-input` is excluded:
    // it is decided on the first block only, by design.
    const short = fc
      .array(fc.tuple(piece.filter((p) => p.length < 1000), separator), { maxLength: 80 })
      .map((parts) => Buffer.concat(parts.flatMap(([p, s]) => [p, Buffer.from(s)])));
    const norm = (r: Result) => ({
      incidents: r.incidents.map((i) => JSON.stringify(i)),
      diagnostics: r.diagnostics
        .filter((d) => d.code !== "binary-input")
        .map((d) => JSON.stringify(d))
        .sort(),
    });
    fc.assert(
      fc.property(short, fc.array(fc.nat(), { maxLength: 30 }), (buf, rawCuts) => {
        const cuts = rawCuts.map((c) => c % Math.max(1, buf.length));
        expect(norm(analyzeChunked(buf, cuts))).toEqual(norm(analyzeText(buf)));
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  // The cap is applied in one place (the scanner, in characters, to every line), so
  // chunking cannot change it; a 40 000 × "é" line (80 043 bytes, 40 043 characters)
  // is under it both ways.
  it("a line over the cap in bytes gives the same result whether or not a chunk ends inside it", () => {
    const buf = Buffer.from(`[    1.000000] Kernel panic - not syncing: ${"é".repeat(40_000)}\n`);
    expect(json(analyzeChunked(buf, [70_000]))).toEqual(json(analyzeText(buf)));
  });
});

// ------------------------------------------------------------------ (c) ----

describe("(c) a 20 MB line without newline", () => {
  const MB = 1 << 20;

  function feedHugeLine(prefix: string, suffix: string): { result: Result; heapGrowth: number; externalGrowth: number } {
    const incidents: Incident[] = [];
    const diagnostics: Diagnostic[] = [];
    const chunk = Buffer.alloc(MB, 0x78); // "x", reused: the test itself allocates nothing per chunk
    const g = (globalThis as { gc?: () => void }).gc;
    g?.();
    const before = process.memoryUsage();
    let heapGrowth = 0;
    let externalGrowth = 0;
    const a = createAnalyzer({}, (i) => incidents.push(i), (d) => diagnostics.push(d));
    a.push(prefix);
    for (let i = 0; i < 20; i++) {
      a.push(chunk);
      const m = process.memoryUsage();
      heapGrowth = Math.max(heapGrowth, m.heapUsed - before.heapUsed);
      externalGrowth = Math.max(externalGrowth, m.arrayBuffers - before.arrayBuffers);
    }
    a.push(suffix);
    a.end();
    return { result: { incidents, diagnostics }, heapGrowth, externalGrowth };
  }

  it("is analysed in bounded memory with one line-too-long diagnostic", () => {
    const { result, heapGrowth, externalGrowth } = feedHugeLine("", "");
    // Well under the line itself: holding it (even once) would fail.
    expect(heapGrowth).toBeLessThan(10 * MB);
    expect(externalGrowth).toBeLessThan(10 * MB);
    expect(result.incidents).toEqual([]);
    expect(result.diagnostics).toEqual([
      { code: "line-too-long", severity: "warning", message: "line 1 is longer than 65536 characters; only its start is analysed", source: "-", line: 1 },
    ]);
  }, 30_000);

  it("keeps counting lines after it, and only its first 64 KiB reach an incident", () => {
    const { result, heapGrowth } = feedHugeLine(
      "[    1.000000] Kernel panic - not syncing: ",
      "\n[    1.000001] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1\n",
    );
    expect(heapGrowth).toBeLessThan(10 * MB);
    expect(result.diagnostics.map((d) => [d.code, d.line])).toEqual([["line-too-long", 1]]);
    expect(result.incidents).toHaveLength(1);
    const inc = result.incidents[0]!;
    expect(inc.class).toBe("panic");
    expect(inc.source.startLine).toBe(1);
    expect(inc.text[0]!.length).toBe(65536);
    expect(inc.task.pid).toBe(1); // line 2 was read as part of it
  }, 30_000);
});

// ------------------------------------------------------------------ (d) ----

describe.skipIf(WITH_INCIDENTS.length === 0)("(d) CRLF and LF give the same incidents", () => {
  const project = (r: Result) =>
    r.incidents.map((i) => ({
      title: i.title,
      class: i.class,
      kind: i.kind,
      guilty: i.guilty,
      headline: i.headline,
      ip: i.ip,
      frames: i.frames,
      stacks: i.stacks,
      time: i.time,
      lines: [i.source.startLine, i.source.endLine],
      fingerprint: i.fingerprint,
    }));

  it.each(WITH_INCIDENTS.map((l) => [l.name, l] as const))("%s", (_n, log) => {
    const latin = log.bytes.toString("latin1");
    const lf = Buffer.from(latin.replace(/\r\n/g, "\n"), "latin1");
    const crlf = Buffer.from(latin.replace(/\r?\n/g, "\r\n"), "latin1");
    const a = project(analyzeText(lf));
    expect(a.length).toBeGreaterThan(0);
    expect(project(analyzeText(crlf))).toEqual(a);
    // and chunked CRLF, cut between every \r and \n
    expect(project(analyzeChunked(crlf, specialPositions(crlf)))).toEqual(a);
  });
});
