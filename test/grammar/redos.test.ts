/**
 * ReDoS audit of every regular expression kpanic runs on log text:
 *
 *  - every compiled pattern of the shipped grammar (`builtinGrammar().patterns`,
 *    which includes the combined prefilter);
 *  - every regex literal in src/**\/*.ts (found with the TypeScript parser, so
 *    literals inside functions count too), plus every RegExp a src/decode,
 *    src/records or src/core module exports.
 *
 * Each pattern goes through recheck's automaton checker. Why not recheck's
 * default `checker: "auto"`: auto switches to the fuzz checker as soon as the
 * repeat counts of a pattern add up to more than 30, i.e. for nearly every
 * grammar pattern (`{0,255}`, `{1,300}`...). The fuzz checker runs candidate
 * strings on recheck's own backtracking VM and extrapolates a degree from step
 * counts without validating against a real engine (`recallTimeout` is negative
 * by default). Measured on this grammar: it reported a different set of ~12-26
 * patterns "vulnerable" for each random seed (even plain literals such as
 * `NULL pointer dereference`), and every one of its attack strings, pumped to
 * 64 KiB, ran in < 3 ms in V8. The automaton checker is exact for the features
 * used here (it expands counted repetitions, so `.{1,300}` is correctly linear),
 * decides each pattern in well under a second and flags the classic
 * exponential and polynomial shapes (see the "recheck itself" tests below).
 * The automaton checker does not support look-around; such patterns (it says
 * "unknown: unsupported") are re-checked with the fuzz checker *with recall
 * validation* (`recallTimeout` > 0: each attack string is re-run and kept
 * only if it really is slow), which removed every false positive above while
 * still catching `^(a+)+(?=b)` and `\s+(?=x)$`.
 *
 * Bounded repetitions can still hide a large linear constant that no
 * asymptotic checker sees, so a second test runs every pattern in V8 on hostile
 * 64 KiB lines (the default line cap) and bounds the time.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { check, type Diagnostics, type Parameters } from "recheck";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { builtinGrammar } from "../../src/grammar/compile.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SRC = join(ROOT, "src");

/** Exact automaton analysis with room for the expanded `{0,255}` repetitions. */
const PARAMS: Parameters = {
  checker: "automaton",
  timeout: 60_000,
  maxNFASize: 10_000_000,
  maxPatternSize: 100_000,
};

/** For what the automaton checker does not support (look-around): fuzzing, validated. */
const FUZZ_PARAMS: Parameters = {
  checker: "fuzz",
  timeout: 60_000,
  recallTimeout: 2_000,
  randomSeed: 0,
};

/** Longest line the analyser keeps by default (AnalyzerOptions.maxLineLength). */
const LINE_CAP = 65536;

interface Item {
  where: string;
  re: RegExp;
}

const rel = (p: string): string => relative(ROOT, p).split("\\").join("/");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []))
    .sort();
}

/** Regex literals of one source file, and the places that build a RegExp at run time. */
function scanSource(file: string): { literals: Item[]; dynamic: string[] } {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const literals: Item[] = [];
  const dynamic: string[] = [];
  const at = (n: ts.Node): string => `${rel(file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const lit = n.getText(sf);
      const slash = lit.lastIndexOf("/");
      literals.push({ where: at(n), re: new RegExp(lit.slice(1, slash), lit.slice(slash + 1)) });
    } else if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === "RegExp") {
      dynamic.push(at(n));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { literals, dynamic };
}

// ---- collect (synchronously, so that there is one `it` per pattern) ----

const grammarItems: Item[] = builtinGrammar().patterns.map((p) => ({ where: `grammar ${p.where}`, re: p.re }));

const sourceFiles = tsFiles(SRC).filter((f) => !f.endsWith(".generated.ts"));
const sourceItems: Item[] = [];
const dynamicSites: string[] = [];
for (const f of sourceFiles) {
  const s = scanSource(f);
  sourceItems.push(...s.literals);
  dynamicSites.push(...s.dynamic);
}

/** Exported RegExp values of the decode, records and core modules (covers any built at run time). */
const exportedItems: Item[] = [];
for (const f of sourceFiles.filter((f) => /[\\/]src[\\/](?:decode|records|core)[\\/]/.test(f))) {
  const mod = (await import(pathToFileURL(f).href)) as Record<string, unknown>;
  for (const [name, v] of Object.entries(mod)) {
    const list = v instanceof RegExp ? [v] : Array.isArray(v) ? v.filter((x): x is RegExp => x instanceof RegExp) : [];
    list.forEach((re, i) => exportedItems.push({ where: `${rel(f)} export ${name}${Array.isArray(v) ? `[${i}]` : ""}`, re }));
  }
}

const allItems = [...grammarItems, ...sourceItems, ...exportedItems];

/**
 * Places where a RegExp is built from a string at run time. Each one must be
 * covered some other way; a new one makes the last test below fail so that it
 * gets looked at.
 */
const DYNAMIC_OK: Record<string, string> = {
  "src/grammar/compile.ts": "every grammar pattern and the prefilter are in builtinGrammar().patterns, checked above",
  "src/core/scanner.ts": "a private copy of grammar.prefilter (same source), checked above as `prefilter`",
};

/**
 * Patterns recheck rightly calls super-linear, accepted only because their
 * input has a small, known length bound. Keyed by exact source: editing the
 * pattern drops it from this list and makes the test fail until re-reviewed.
 * For each, the test pumps recheck's own attack string to `bound` characters
 * and requires V8 to run it in under `maxMs`.
 */
interface Accepted {
  bound: number;
  maxMs: number;
  why: string;
}

const ACCEPTED: Record<string, Accepted> = {
  // None: every shipped pattern is linear. Add an entry only with a proven input bound.
};

/** recheck's attack, with every pump repeated so that the string is about `n` chars long. */
function pumpAttack(d: Diagnostics, n: number): string {
  if (d.status !== "vulnerable") return "";
  const a = d.attack;
  const fixed = a.pumps.reduce((x, p) => x + p.prefix.length, a.suffix.length);
  const perPump = Math.max(1, (n - fixed) / Math.max(1, a.pumps.length));
  let s = "";
  for (const p of a.pumps) s += p.prefix + p.pump.repeat(Math.max(1, Math.floor(perPump / Math.max(1, p.pump.length))));
  return s + a.suffix;
}

function timeMs(re: RegExp, s: string): number {
  const r = new RegExp(re.source, re.flags); // fresh lastIndex
  const t = process.hrtime.bigint();
  r.test(s);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const label = (it: Item): string => {
  const src = it.re.source.length > 90 ? `${it.re.source.slice(0, 90)}…` : it.re.source;
  return `${it.where}  /${src}/${it.re.flags}`;
};

// ---- run every check concurrently (recheck's agent works in parallel) ----

type Verdict = (Diagnostics | { status: "error"; message: string }) & { via?: string };
const results = new Map<string, Promise<Verdict>>();

async function recheckOne(re: RegExp): Promise<Verdict> {
  try {
    const d = await check(re.source, re.flags, PARAMS);
    if (d.status === "unknown" && d.error.kind === "unsupported") {
      return { ...(await check(re.source, re.flags, FUZZ_PARAMS)), via: `fuzz + recall validation (automaton: ${d.error.message})` };
    }
    return d;
  } catch (e) {
    return { status: "error", message: String(e) };
  }
}
const key = (re: RegExp): string => `${re.flags}\u0000${re.source}`;

beforeAll(() => {
  for (const { re } of allItems) {
    const k = key(re);
    if (!results.has(k)) {
      results.set(k, recheckOne(re));
    }
  }
});

async function verdict(re: RegExp): Promise<Verdict> {
  const p = results.get(key(re));
  if (!p) throw new Error("check was not started");
  return p;
}

describe("recheck itself", () => {
  it("reports known-bad patterns as vulnerable (the checker runs and can fail)", async () => {
    const [exp, poly, nested] = await Promise.all([
      check("^(a+)+$", "", PARAMS),
      check("\\s+$", "", PARAMS),
      check("^(\\w+\\s?)*$", "", PARAMS),
    ]);
    expect(exp.status).toBe("vulnerable");
    expect(exp.status === "vulnerable" && exp.complexity.type).toBe("exponential");
    expect(poly.status).toBe("vulnerable");
    expect(poly.status === "vulnerable" && poly.complexity.type).toBe("polynomial");
    expect(nested.status).toBe("vulnerable");
  }, 120_000);

  it("fuzz with recall validation still catches look-ahead patterns", async () => {
    const [bad, ok] = await Promise.all([check("^(a+)+(?=b)", "", FUZZ_PARAMS), check("^0+(?=.)", "", FUZZ_PARAMS)]);
    expect(bad.status).toBe("vulnerable");
    expect(ok.status).toBe("safe");
  }, 120_000);

  it("treats bounded repetitions as safe (no false alarm on the grammar's style)", async () => {
    const d = await check("^BUG: KASAN: (?<what>.{1,200})$", "", PARAMS);
    expect(d.status).toBe("safe");
  }, 120_000);

  it("found the patterns to check", () => {
    expect(grammarItems.length).toBeGreaterThan(100);
    expect(grammarItems.some((i) => i.where === "grammar prefilter")).toBe(true);
    expect(sourceItems.length).toBeGreaterThan(20);
    for (const dir of ["decode", "records", "core"]) {
      expect(sourceFiles.some((f) => f.includes(`${join("src", dir)}`)), `src/${dir} scanned`).toBe(true);
    }
    expect(sourceItems.some((i) => i.where.startsWith("src/decode/"))).toBe(true);
  });
});

describe.each([
  ["grammar", grammarItems],
  ["source literals", sourceItems],
  ["exported RegExps", exportedItems],
] as const)("recheck: %s", (_name, items) => {
  if (items.length === 0) {
    it("(none)", () => expect(items).toEqual([]));
    return;
  }
  it.each(items.map((i) => [label(i), i] as const))("%s", async (_l, item) => {
    const d = await verdict(item.re);
    const quoted = `${item.where}: /${item.re.source}/${item.re.flags}${d.via ? ` [${d.via}]` : ""}`;
    if (d.status === "error") throw new Error(`${quoted}: recheck failed: ${d.message}`);
    if (d.status === "unknown") throw new Error(`${quoted}: recheck could not decide (${JSON.stringify(d.error)})`);
    if (d.status === "vulnerable") {
      const acc = ACCEPTED[item.re.source];
      const attack = `${d.complexity.summary}; attack ${d.attack.pattern}`;
      if (!acc) throw new Error(`${quoted} is ReDoS-vulnerable: ${attack}`);
      const s = pumpAttack(d, acc.bound);
      const ms = Math.min(timeMs(item.re, s), timeMs(item.re, s), timeMs(item.re, s));
      expect(ms, `${quoted} (${attack}) accepted because ${acc.why}, but a ${s.length}-char attack took ${ms.toFixed(1)} ms`).toBeLessThan(acc.maxMs);
      return;
    }
    expect(d.status).toBe("safe");
  }, 120_000);
});

describe("V8 on hostile 64 KiB lines", () => {
  /**
   * Lines built from runs of characters the patterns consume in bulk, and
   * from each pattern's own leading literal repeated (the usual worst case
   * for unanchored patterns with a bounded tail).
   */
  const generic = [" ", "a", "0", "0x0", ".", "[<", "[", "]", "=", "\t", "_", "at: a", ": ", "/", "(", "{", "-", "A", "\u00e9"];
  const leadingLiteral = (src: string): string => {
    let s = src.replace(/^\^/, "");
    let out = "";
    while (s.length && out.length < 40) {
      const c = s[0]!;
      if (c === "\\" && s.length > 1 && /[^\w]/.test(s[1]!)) {
        out += s[1]!;
        s = s.slice(2);
      } else if (/[\w :#!,=-]/.test(c)) {
        out += c;
        s = s.slice(1);
      } else break;
    }
    return out;
  };
  const line = (unit: string, tail: string): string => unit.repeat(Math.ceil(LINE_CAP / unit.length)).slice(0, LINE_CAP - tail.length) + tail;

  it("every pattern not accepted above runs in < 100 ms on each of them", () => {
    const slow: string[] = [];
    const seen = new Set<string>();
    for (const item of allItems) {
      const k = key(item.re);
      if (seen.has(k) || ACCEPTED[item.re.source]) continue;
      seen.add(k);
      const lit = leadingLiteral(item.re.source);
      const units = lit ? [...generic, lit, `${lit} `, `${lit}a`] : generic;
      for (const u of units) {
        for (const tail of ["", "\u0000", "!"]) {
          const ms = timeMs(item.re, line(u, tail));
          if (ms > 100) slow.push(`${label(item)} on ${JSON.stringify(u)}×${LINE_CAP / u.length | 0}+${JSON.stringify(tail)}: ${ms.toFixed(0)} ms`);
        }
      }
    }
    expect(slow).toEqual([]);
  }, 120_000);
});

describe("coverage", () => {
  it("every RegExp built at run time in src/ is covered by the checks above", () => {
    const uncovered = dynamicSites.filter((w) => !DYNAMIC_OK[w.replace(/:\d+$/, "")]);
    expect(uncovered, "new RegExp(...) from a string: add its patterns to a check here, then to DYNAMIC_OK").toEqual([]);
  });
});
