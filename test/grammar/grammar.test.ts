import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
// The build script is plain JS; it exports the YAML loader it uses.
// @ts-expect-error no type declarations for the build script
import { loadGrammarSources } from "../../scripts/build-grammars.mjs";
import { builtinGrammar, compileGrammar, GrammarError, matchHeader, type GrammarSource } from "../../src/grammar/compile.js";
import { BUILTIN_GRAMMAR_JSON } from "../../src/grammar/builtin.generated.js";
import { ROOT } from "../corpus.js";

const source = loadGrammarSources() as GrammarSource;
const schema = JSON.parse(readFileSync(join(ROOT, "grammars/schema.json"), "utf8")) as object;

describe("grammar", () => {
  it("the YAML sources validate against grammars/schema.json", () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const ok = validate(source);
    expect(ok ? [] : validate.errors).toEqual([]);
  });

  it("the shipped JSON is the YAML as built (run npm run build after editing grammars/)", () => {
    expect(JSON.parse(BUILTIN_GRAMMAR_JSON)).toEqual(source);
  });

  it("compiles, with unique kind ids and at least one header each", () => {
    const g = builtinGrammar();
    expect(g.kinds.length).toBe(source.kinds.length);
    expect(new Set(g.kinds.map((k) => k.id)).size).toBe(g.kinds.length);
    for (const k of g.kinds) expect(k.headers.length).toBeGreaterThan(0);
  });

  it("is compiled once", () => {
    expect(builtinGrammar()).toBe(builtinGrammar());
  });

  it("orders header literals longest first, so the most specific kind is tried first", () => {
    const lens = builtinGrammar().literals.map((l) => l.literal.length);
    expect([...lens].sort((a, b) => b - a)).toEqual(lens);
  });

  it("no pattern can match across lines", () => {
    for (const { where, re } of builtinGrammar().patterns) {
      expect(re.flags, where).not.toMatch(/[ms]/);
      expect(re.source, where).not.toMatch(/\\n/);
    }
  });

  describe("every format recognizes its example line, and the example is not taken by another format", () => {
    const g = builtinGrammar();
    for (const k of g.kinds) {
      for (const f of k.formats) {
        it(`${k.id}[${f.index}]: ${f.example}`, () => {
          const m = matchHeader(g, f.example);
          expect(m && `${m.kind.id}[${m.format.index}]`).toBe(`${k.id}[${f.index}]`);
        });
      }
    }
  });

  it("rejects a bad pattern, quoting it", () => {
    const bad = structuredClone(source);
    bad.kinds[0]!.formats[0]!.match = "^BUG: (unclosed";
    expect(() => compileGrammar(bad)).toThrow(GrammarError);
    expect(() => compileGrammar(bad)).toThrow(/\(unclosed/);
  });

  it("rejects an unknown fragment", () => {
    const bad = structuredClone(source);
    bad.kinds[0]!.formats[0]!.match = "^{{NOPE}}";
    expect(() => compileGrammar(bad)).toThrow(/unknown fragment \{\{NOPE\}\}/);
  });

  it("rejects joins to a kind that does not exist", () => {
    const bad = structuredClone(source);
    bad.kinds[0]!.joins = ["no-such-kind"];
    expect(() => compileGrammar(bad)).toThrow(/unknown kind no-such-kind/);
  });

  it("rejects a hint for a kind that does not exist", () => {
    const bad = structuredClone(source);
    bad.hints = [{ hint: "x", kinds: ["no-such-kind"] }];
    expect(() => compileGrammar(bad)).toThrow(/hints\[0\]\.kinds: no recognizer reports kind no-such-kind/);
  });

  it("rejects a hint with a bad pattern", () => {
    const bad = structuredClone(source);
    bad.hints = [{ hint: "x", address: "(" }];
    expect(() => compileGrammar(bad)).toThrow(/hints\[0\]\.address/);
  });
});

describe("prefilter", () => {
  const g = builtinGrammar();
  const hits = (line: string) =>
    g.anchors.some((re) => {
      re.lastIndex = 0;
      return re.test(line);
    });
  for (const k of g.kinds) {
    for (const f of k.formats) {
      it(`${k.id}[${f.index}] example is found by the prefilter${k.leadIn ? " (or is a lead-in)" : ""}${k.optIn ? " (its opt-in group)" : ""}`, () => {
        if (k.optIn) {
          // Opt-in kinds must cost nothing when not asked for: only their own group finds them.
          g.optInAnchor!.lastIndex = 0;
          expect(g.optInAnchor!.test(f.example)).toBe(true);
        } else expect(hits(f.example) || k.leadIn).toBe(true);
      });
    }
  }
  it("does not fire on ordinary boot lines", () => {
    for (const l of ["Linux agpgart interface v0.103", "ACPI: bus type PCI registered", "Freeing unused kernel image (initmem) memory: 2812K", "Run /init as init process"]) {
      expect(hits(l), l).toBe(false);
    }
  });
});
