/**
 * Compiles the grammar document (grammars/*.yaml, merged to JSON at build
 * time) into regular expressions and lookup tables, once at start-up.
 * A bad grammar fails here, quoting the offending pattern.
 */
import type { IncidentClass } from "../types.js";
import { BUILTIN_GRAMMAR_JSON } from "./builtin.generated.js";

export interface GrammarFormatSource {
  match: string;
  example: string;
  title: string;
  kind?: string;
  class?: IncidentClass;
  guilty?: string[];
  skip?: string[];
  noStack?: boolean;
  requireStack?: boolean;
  corrupted?: string;
  extractor?: "stall" | "hang";
  sanitize?: boolean;
}

export interface GrammarKindSource {
  id: string;
  class: IncidentClass;
  kind: string;
  role?: "panic";
  headers: string[];
  suppress?: string[];
  precursor?: boolean;
  leadIn?: boolean;
  quiet?: boolean;
  optIn?: boolean;
  die?: boolean;
  joins?: string[];
  absorbs?: string[];
  body?: "stack" | "until-end";
  end?: string[];
  trailing?: string[];
  captures?: string[];
  frameCaptures?: { after: string; name: string }[];
  maxBodyLines?: number;
  formats: GrammarFormatSource[];
}

export interface GrammarSource {
  version: 1;
  fragments: Record<string, string>;
  anatomy: Record<string, string | string[]>;
  skip: string[];
  prefilter: string[][];
  /** Searched for only when opt-in kinds are wanted. */
  optInPrefilter?: string[];
  hints: GrammarHintSource[];
  kinds: GrammarKindSource[];
}

export interface GrammarHintSource {
  hint: string;
  kinds?: string[];
  classes?: IncidentClass[];
  address?: string;
  headline?: string;
  panic?: string;
  taint?: string[];
  dieCounterAbove?: number;
  guiltyInModule?: boolean;
  guiltyModuleTaint?: string[];
}

export interface CompiledHint {
  hint: string;
  kinds: Set<string> | null;
  classes: Set<string> | null;
  address: RegExp | null;
  headline: RegExp | null;
  panic: RegExp | null;
  taint: Set<string> | null;
  dieCounterAbove: number | null;
  guiltyInModule: boolean | null;
  /** The guilty function's module carries one of these taint flags in "Modules linked in:" (`lkdtm(OE)`). */
  guiltyModuleTaint: Set<string> | null;
}

export interface CompiledFormat {
  re: RegExp;
  example: string;
  /** Position in its kind's format list. */
  index: number;
  title: string;
  kind: string;
  class: IncidentClass;
  guilty: string[];
  skip: string[];
  /** The grammar's skip list plus this format's, built once. */
  skipAll: string[];
  noStack: boolean;
  requireStack: boolean;
  corrupted: string | null;
  extractor: "stall" | "hang" | null;
  sanitize: boolean;
}

export interface CompiledKind {
  id: string;
  class: IncidentClass;
  kind: string;
  panic: boolean;
  headers: string[];
  suppress: RegExp[];
  precursor: boolean;
  leadIn: boolean;
  quiet: boolean;
  /** Reported only when asked for (user-space faults). */
  optIn: boolean;
  die: boolean;
  joins: Set<string>;
  /** Kinds whose report, starting before this one's stack, is read as part of it. */
  absorbs: Set<string>;
  untilEnd: boolean;
  end: RegExp[];
  trailing: RegExp[];
  captures: RegExp[];
  /** After a line matching `after`, the functions of the frame lines that follow are captured as `name`. */
  frameCaptures: { after: RegExp; name: string }[];
  maxBodyLines: number;
  formats: CompiledFormat[];
  order: number;
}

export interface Anatomy {
  frame: RegExp;
  frameInline: RegExp;
  frameArm: RegExp;
  stackStart: RegExp;
  context: RegExp;
  ip: RegExp;
  lr: RegExp;
  frameRaw: RegExp;
  symbol: RegExp;
  cpu: RegExp;
  hardware: RegExp;
  modules: RegExp;
  kernelOffset: RegExp;
  endTrace: RegExp;
  panicEnd: RegExp;
  rebooting: RegExp;
  linuxVersion: RegExp;
  printkDropped: RegExp;
  pf: RegExp;
  cr2: RegExp;
  taintLine: RegExp;
  taintIndented: RegExp;
  cutHere: RegExp;
  nmiBacktrace: RegExp;
  consequencePanic: RegExp;
  secondaryStack: RegExp;
  trailing: RegExp[];
}

/** Literals that matter while no incident is open, besides the kinds' headers. */
export const CONTEXT_LITERALS = {
  linuxVersion: "Linux version ",
  printkDropped: " printk messages dropped ",
  cutHere: " cut here ",
} as const;

export interface CompiledGrammar {
  kinds: CompiledKind[];
  byId: Map<string, CompiledKind>;
  anatomy: Anatomy;
  skip: string[];
  /** Every header literal with the kinds it can start, longest literal first. */
  literals: { literal: string; kinds: CompiledKind[] }[];
  /** Does a line contain any header or context literal? (dispatch on candidate lines) */
  prefilter: RegExp;
  /** The fast search over whole blocks: each a global alternation of a few rare literals. */
  anchors: RegExp[];
  /** The literals of `anchors`, for tools (the benchmark greps for them). */
  /** The opt-in kinds' own prefilter group (null when there are none). */
  optInAnchor: RegExp | null;
  prefilterLiterals: string[];
  /** Every compiled pattern with where it came from (for the ReDoS test). */
  patterns: { where: string; re: RegExp }[];
  hints: CompiledHint[];
}

export class GrammarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GrammarError";
  }
}

const FRAGMENT_RE = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

function expand(pattern: string, fragments: Record<string, string>, where: string): string {
  return pattern.replace(FRAGMENT_RE, (_m, name: string) => {
    const f = fragments[name];
    if (f === undefined) throw new GrammarError(`${where}: unknown fragment {{${name}}} in ${JSON.stringify(pattern)}`);
    return `(?:${f})`;
  });
}

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Compiles a grammar document. Throws {@link GrammarError} quoting the bad pattern. */
export function compileGrammar(src: GrammarSource): CompiledGrammar {
  if (src.version !== 1) throw new GrammarError(`unsupported grammar version ${String(src.version)}`);
  const patterns: { where: string; re: RegExp }[] = [];
  const re = (p: string, where: string, flags = ""): RegExp => {
    const expanded = expand(p, src.fragments, where);
    let r: RegExp;
    try {
      r = new RegExp(expanded, flags);
    } catch (e) {
      throw new GrammarError(`${where}: invalid pattern ${JSON.stringify(p)}: ${(e as Error).message}`);
    }
    patterns.push({ where, re: r });
    return r;
  };

  const a = src.anatomy;
  const one = (name: string): RegExp => {
    const p = a[name];
    if (typeof p !== "string") throw new GrammarError(`anatomy.${name}: missing pattern`);
    return re(p, `anatomy.${name}`);
  };
  const trailingSrc = a["trailing"];
  if (!Array.isArray(trailingSrc)) throw new GrammarError("anatomy.trailing: expected a list");
  const anatomy: Anatomy = {
    frame: one("frame"),
    frameInline: one("frameInline"),
    frameArm: one("frameArm"),
    stackStart: one("stackStart"),
    context: one("context"),
    ip: one("ip"),
    lr: one("lr"),
    frameRaw: one("frameRaw"),
    symbol: one("symbol"),
    cpu: one("cpu"),
    hardware: one("hardware"),
    modules: one("modules"),
    kernelOffset: one("kernelOffset"),
    endTrace: one("endTrace"),
    panicEnd: one("panicEnd"),
    rebooting: one("rebooting"),
    linuxVersion: one("linuxVersion"),
    printkDropped: one("printkDropped"),
    pf: one("pf"),
    cr2: one("cr2"),
    taintLine: one("taintLine"),
    taintIndented: one("taintIndented"),
    cutHere: one("cutHere"),
    nmiBacktrace: one("nmiBacktrace"),
    consequencePanic: one("consequencePanic"),
    secondaryStack: one("secondaryStack"),
    trailing: trailingSrc.map((p, i) => re(p, `anatomy.trailing[${i}]`)),
  };

  const byId = new Map<string, CompiledKind>();
  const kinds: CompiledKind[] = src.kinds.map((k, order) => {
    if (byId.has(k.id)) throw new GrammarError(`kind ${k.id}: duplicate id`);
    const where = `kinds.${k.id}`;
    const ck: CompiledKind = {
      id: k.id,
      class: k.class,
      kind: k.kind,
      panic: k.role === "panic",
      headers: k.headers,
      suppress: (k.suppress ?? []).map((p, i) => re(p, `${where}.suppress[${i}]`)),
      precursor: k.precursor === true,
      leadIn: k.leadIn === true || k.precursor === true,
      quiet: k.quiet === true,
      optIn: k.optIn === true,
      die: k.die === true,
      joins: new Set(k.joins ?? []),
      absorbs: new Set(k.absorbs ?? []),
      untilEnd: k.body === "until-end",
      end: (k.end ?? []).map((p, i) => re(p, `${where}.end[${i}]`)),
      trailing: (k.trailing ?? []).map((p, i) => re(p, `${where}.trailing[${i}]`)),
      captures: (k.captures ?? []).map((p, i) => re(p, `${where}.captures[${i}]`)),
      frameCaptures: (k.frameCaptures ?? []).map((c, i) => ({ after: re(c.after, `${where}.frameCaptures[${i}]`), name: c.name })),
      maxBodyLines: k.maxBodyLines ?? 200,
      formats: k.formats.map((f, i) => ({
        re: re(f.match, `${where}.formats[${i}]`),
        example: f.example,
        index: i,
        title: f.title,
        kind: f.kind ?? k.kind,
        class: f.class ?? k.class,
        guilty: f.guilty ?? ["ip", "stack"],
        skip: f.skip ?? [],
        skipAll: [...src.skip, ...(f.skip ?? [])],
        noStack: f.noStack === true,
        requireStack: f.requireStack === true,
        corrupted: f.corrupted ?? null,
        extractor: f.extractor ?? null,
        sanitize: f.sanitize === true,
      })),
      order,
    };
    if (ck.untilEnd && ck.end.length === 0) throw new GrammarError(`${where}: body "until-end" needs an end pattern`);
    byId.set(k.id, ck);
    return ck;
  });
  for (const k of kinds) {
    for (const j of k.joins) if (!byId.has(j)) throw new GrammarError(`kinds.${k.id}.joins: unknown kind ${j}`);
  }

  const litMap = new Map<string, CompiledKind[]>();
  for (const k of kinds) {
    for (const h of k.headers) {
      const list = litMap.get(h) ?? [];
      list.push(k);
      litMap.set(h, list);
    }
  }
  const literals = [...litMap.entries()]
    .map(([literal, ks]) => ({ literal, kinds: ks }))
    .sort((x, y) => y.literal.length - x.literal.length || x.literal.localeCompare(y.literal));
  const all = [...literals.map((l) => l.literal), ...Object.values(CONTEXT_LITERALS)];
  all.sort((x, y) => y.length - x.length);
  const prefilter = new RegExp([...new Set(all)].map(escapeLiteral).join("|"), "g");
  patterns.push({ where: "prefilter", re: prefilter });
  const anchors = src.prefilter.map((group, i) => {
    const r = new RegExp(group.map(escapeLiteral).join("|"), "g");
    patterns.push({ where: `prefilter[${i}]`, re: r });
    return r;
  });

  const incidentKinds = new Set(src.kinds.flatMap((k) => [k.kind, ...k.formats.map((f) => f.kind ?? k.kind)]));
  (src.hints ?? []).forEach((h, i) => {
    for (const k of h.kinds ?? []) {
      if (!incidentKinds.has(k)) throw new GrammarError(`hints[${i}].kinds: no recognizer reports kind ${k}`);
    }
  });
  const hints: CompiledHint[] = (src.hints ?? []).map((h, i) => ({
    hint: h.hint,
    kinds: h.kinds ? new Set(h.kinds) : null,
    classes: h.classes ? new Set(h.classes) : null,
    address: h.address !== undefined ? re(h.address, `hints[${i}].address`) : null,
    headline: h.headline !== undefined ? re(h.headline, `hints[${i}].headline`) : null,
    panic: h.panic !== undefined ? re(h.panic, `hints[${i}].panic`) : null,
    taint: h.taint ? new Set(h.taint) : null,
    dieCounterAbove: h.dieCounterAbove ?? null,
    guiltyInModule: h.guiltyInModule ?? null,
    guiltyModuleTaint: h.guiltyModuleTaint ? new Set(h.guiltyModuleTaint) : null,
  }));

  const optIn = src.optInPrefilter ?? [];
  const optInAnchor = optIn.length ? new RegExp(optIn.map(escapeLiteral).join("|"), "g") : null;
  if (optInAnchor) patterns.push({ where: "optInPrefilter", re: optInAnchor });
  return { kinds, byId, anatomy, skip: src.skip, literals, prefilter, anchors, optInAnchor, prefilterLiterals: src.prefilter.flat(), patterns, hints };
}

export interface HeaderMatch {
  kind: CompiledKind;
  format: CompiledFormat;
  caps: Record<string, string>;
}

/**
 * The kind and format a line (record text) starts, trying the most specific
 * header literal first; null when the line starts no incident.
 */
export function matchHeader(g: CompiledGrammar, line: string): HeaderMatch | null {
  const pf = g.prefilter;
  pf.lastIndex = 0;
  if (!pf.test(line)) return null;
  // Some consoles indent report lines by a space or two ("[ C4]  BUG: KCSAN: ...").
  const t = line.charCodeAt(0) === 32 ? line.trimStart() : line;
  const tried = new Set<CompiledKind>();
  for (const { literal, kinds } of g.literals) {
    if (!t.includes(literal)) continue;
    for (const k of kinds) {
      if (tried.has(k)) continue;
      tried.add(k);
      if (k.suppress.some((re) => re.test(t))) continue;
      for (const f of k.formats) {
        const m = f.re.exec(t);
        if (!m) continue;
        const caps: Record<string, string> = {};
        if (m.groups) for (const [name, v] of Object.entries(m.groups)) if (v !== undefined) caps[name] = v;
        return { kind: k, format: f, caps };
      }
    }
  }
  return null;
}

let builtin: CompiledGrammar | null = null;

/** The grammar shipped with kpanic, compiled on first use. */
export function builtinGrammar(): CompiledGrammar {
  builtin ??= compileGrammar(JSON.parse(BUILTIN_GRAMMAR_JSON) as GrammarSource);
  return builtin;
}
