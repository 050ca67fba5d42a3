/**
 * The kernel's `crashkernel=` syntax, parsed the way kernel/crash_reserve.c
 * (parse_crashkernel and friends; kernel/crash_core.c before 6.9) parses it,
 * with positions, plus the mistakes the kernel lets through silently.
 *
 *   crashkernel=size[KMG][@offset[KMG]]
 *   crashkernel=start-[end]:size[,start-[end]:size...][@offset]
 *   crashkernel=size,high   crashkernel=size,low   crashkernel=size,cma
 *
 * Numbers go through memparse(): C base 0 (0x.. hex, a leading 0 is octal)
 * and an optional K/M/G/T/P/E suffix; without a suffix a number is bytes.
 * A range is [start, end): start inclusive, end exclusive; an empty end is
 * open. The kernel rounds the RAM size up to 128 MB and takes the *first*
 * range that contains it; an entry whose size is not below that RAM size is
 * an error (-EINVAL), as is `end <= start`. It does not notice overlapping
 * ranges, gaps, or ranges that can never be reached; kpanic does.
 */
import { GiB, memparse, MiB, type MemparseResult } from "./units.js";

export type Severity = "error" | "warning";

export interface SpecProblem {
  severity: Severity;
  /** 0-based index into the text given to parseCrashkernel (prefix included). */
  pos: number;
  /** Characters the problem spans (at least 1). */
  length: number;
  message: string;
}

export interface SpecRange {
  start: number;
  /** Exclusive end; null for an open range (`4G-:...`). */
  end: number | null;
  size: number;
  /** The entry as written: "1G-4G:192M". */
  text: string;
  pos: number;
  /** Problems that make this range unusable (end <= start): left out of overlap and gap checks. */
  broken: boolean;
}

export type ParsedSpec =
  | { kind: "simple"; size: number; offset: number | null }
  | { kind: "high" | "low" | "cma"; size: number }
  | { kind: "ranges"; ranges: SpecRange[]; offset: number | null };

export interface SpecResult {
  input: string;
  /** Index where the value starts (after `crashkernel=` if it was given). */
  valueStart: number;
  spec: ParsedSpec | null;
  problems: SpecProblem[];
  /** No problem of severity error. */
  valid: boolean;
}

const PREFIX = "crashkernel=";
const SUFFIXES = ["high", "low", "cma"] as const;

/** A size in the kernel's notation, exact: 1024 → "1024" (bytes), 2 GiB → "2G". */
export function showSize(bytes: number): string {
  const units: [string, number][] = [["T", GiB * 1024], ["G", GiB], ["M", MiB], ["K", 1024]];
  for (const [u, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  return String(bytes);
}

export function parseCrashkernel(input: string): SpecResult {
  const problems: SpecProblem[] = [];
  const valueStart = input.startsWith(PREFIX) ? PREFIX.length : 0;
  const s = input;
  const err = (pos: number, message: string, length = 1): void => {
    problems.push({ severity: "error", pos, length: Math.max(1, length), message });
  };
  const warn = (pos: number, message: string, length = 1): void => {
    problems.push({ severity: "warning", pos, length: Math.max(1, length), message });
  };
  const charAt = (i: number): string => (i < s.length ? `'${s[i]}'` : "end of text");
  const finish = (spec: ParsedSpec | null): SpecResult => {
    problems.sort((a, b) => a.pos - b.pos || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
    return { input, valueStart, spec, problems, valid: !problems.some((p) => p.severity === "error") };
  };
  const value = (pos: number, what: string): MemparseResult | null => {
    const m = memparse(s, pos);
    if (!m) {
      err(pos, `${what}: memory value expected (digits with an optional K/M/G/T suffix), found ${charAt(pos)}`);
      return null;
    }
    if (m.octal) warn(pos, `${what} "${s.slice(pos, m.end)}" starts with 0, so the kernel reads it as octal (${showSize(m.value)})`, m.end - pos);
    return m;
  };
  const offsetAt = (at: number): number | null | undefined => {
    // s[at] === '@'
    const o = value(at + 1, "offset after '@'");
    if (!o) return undefined;
    if (o.end < s.length) err(o.end, `unexpected ${charAt(o.end)} after the offset`);
    return o.value;
  };

  if (s.length === valueStart) {
    err(valueStart, "empty crashkernel= value");
    return finish(null);
  }
  if (s.slice(valueStart) === "auto") {
    err(valueStart, 'crashkernel=auto is a RHEL 7/8 kernel extension (never upstream, removed in RHEL 9): give a size, or run kdumpctl reset-crashkernel on RHEL/Fedora', 4);
    return finish(null);
  }
  if (s.includes(" ")) {
    err(s.indexOf(" "), "a crashkernel= value cannot contain a space (the kernel stops there)");
    return finish(null);
  }

  // The kernel takes the extended (range) syntax when there is a ':'.
  if (!s.includes(":", valueStart)) {
    const size = value(valueStart, "size");
    if (!size) return finish(null);
    let pos = size.end;
    if (size.value === 0) err(valueStart, "size 0 reserves nothing (the kernel rejects it)", pos - valueStart);
    else if (size.unitless && size.value < MiB) warn(valueStart, `size "${s.slice(valueStart, pos)}" has no unit, i.e. ${size.value} bytes — did you mean ${s.slice(valueStart, pos)}M?`, pos - valueStart);
    if (s[pos] === "@") {
      const offset = offsetAt(pos);
      if (offset === undefined) return finish(null);
      return finish({ kind: "simple", size: size.value, offset });
    }
    if (s[pos] === ",") {
      const word = s.slice(pos + 1);
      const kind = SUFFIXES.find((k) => k === word);
      if (kind) return finish({ kind, size: size.value });
      const prefixed = SUFFIXES.find((k) => word.startsWith(k));
      if (prefixed) err(pos + 1 + prefixed.length, `unexpected ${charAt(pos + 1 + prefixed.length)} after ",${prefixed}"`);
      else err(pos + 1, `after "," the kernel accepts only high, low or cma here (a range list needs "start-end:size")`);
      return finish(null);
    }
    if (s[pos] === "-") {
      err(pos, `unexpected '-' after the size: a range needs a size after ':', as in 1G-4G:192M`);
      return finish(null);
    }
    if (pos < s.length) {
      err(pos, `unexpected ${charAt(pos)} after the size (expected '@offset', ',high', ',low' or the end)`);
      return finish(null);
    }
    pos = s.length;
    return finish({ kind: "simple", size: size.value, offset: null });
  }

  // Extended syntax: start-[end]:size[,...][@offset]
  const ranges: SpecRange[] = [];
  let pos = valueStart;
  for (;;) {
    const entryPos = pos;
    const start = value(pos, "range start");
    if (!start) return finish(null);
    pos = start.end;
    if (s[pos] !== "-") {
      err(pos, `'-' expected after the range start, found ${charAt(pos)}`);
      return finish(null);
    }
    pos++;
    let end: MemparseResult | null = null;
    const endPos = pos;
    if (s[pos] !== ":") {
      end = value(pos, "range end");
      if (!end) return finish(null);
      pos = end.end;
    }
    if (s[pos] !== ":") {
      err(pos, `':' expected after the range, found ${charAt(pos)}`);
      return finish(null);
    }
    pos++;
    const sizePos = pos;
    const size = value(pos, "size");
    if (!size) return finish(null);
    pos = size.end;
    const text = s.slice(entryPos, pos);
    const range: SpecRange = { start: start.value, end: end ? end.value : null, size: size.value, text, pos: entryPos, broken: false };
    const rangeText = text.slice(0, text.indexOf(":"));
    if (end && end.value <= start.value) {
      range.broken = true;
      const endText = s.slice(endPos, end.end);
      const startText = s.slice(entryPos, start.end);
      let msg = `range ${rangeText}: its end ${endText}`;
      if (end.unitless) msg += ` has no unit, i.e. ${end.value} bytes,`;
      msg += ` is ${end.value === start.value ? "equal to" : "below"} its start ${startText} (the kernel rejects the whole value, "end <= start", on every machine no earlier range matches)`;
      if (end.unitless && !start.unitless) msg += ` — did you mean ${endText}${s[start.end - 1]!.toUpperCase()}?`;
      err(endPos, msg, endText.length);
    } else if (end && end.unitless && end.value < MiB) {
      warn(end.end - 1, `range ${rangeText}: its end has no unit, i.e. ${end.value} bytes`);
    }
    if (start.unitless && start.value !== 0 && start.value < MiB) warn(entryPos, `range ${rangeText}: its start has no unit, i.e. ${start.value} bytes`, start.end - entryPos);
    if (size.value === 0) warn(sizePos, `range ${rangeText} reserves 0 bytes: machines in it get no crash kernel`, size.end - sizePos);
    else if (size.unitless && size.value < MiB) warn(sizePos, `range ${rangeText}: size "${s.slice(sizePos, size.end)}" has no unit, i.e. ${size.value} bytes — did you mean ${s.slice(sizePos, size.end)}M?`, size.end - sizePos);
    ranges.push(range);
    if (s[pos] !== ",") break;
    pos++;
    const word = SUFFIXES.find((k) => s.startsWith(k, pos));
    if (word) {
      err(pos - 1, `",${word}" cannot follow a range list (it only goes with a plain size: crashkernel=512M,${word})`, word.length + 1);
      return finish(null);
    }
  }
  let offset: number | null = null;
  if (s[pos] === "@") {
    const o = offsetAt(pos);
    if (o === undefined) return finish(null);
    offset = o;
  } else if (pos < s.length) {
    err(pos, `unexpected ${charAt(pos)} after "${s.slice(ranges[ranges.length - 1]!.pos, pos)}" (expected ',' and another range, '@offset' or the end)`);
    return finish(null);
  }

  // What the kernel does not check: overlaps (it silently takes the first match), gaps, unreachable ranges.
  const ok = ranges.map((r, i) => ({ r, i })).filter(({ r }) => !r.broken);
  const endOf = (r: SpecRange): number => r.end ?? Number.POSITIVE_INFINITY;
  const overlaps = (a: SpecRange, b: SpecRange): boolean => a.start < endOf(b) && b.start < endOf(a);
  const covered = new Set<string>();
  const rangeName = (r: SpecRange): string => r.text.slice(0, r.text.indexOf(":"));
  for (const { r, i } of ok) {
    const others = ok.filter((o) => o.i !== i && overlaps(r, o.r));
    if (others.length < 2) continue;
    for (const o of others) covered.add(`${Math.min(i, o.i)},${Math.max(i, o.i)}`);
    err(r.pos, `range ${rangeName(r)} overlaps ${others.map((o) => rangeName(o.r)).join(" and ")} (the kernel silently uses the first range that matches, so the overlap is ambiguous)`, rangeName(r).length);
  }
  for (const { r: a, i } of ok) {
    for (const { r: b, i: j } of ok) {
      if (j <= i || covered.has(`${i},${j}`) || !overlaps(a, b)) continue;
      err(b.pos, `range ${rangeName(b)} overlaps ${rangeName(a)} (the kernel silently uses the first range that matches, so the overlap is ambiguous)`, rangeName(b).length);
    }
  }
  const sorted = ok.map((o) => o.r).sort((a, b) => a.start - b.start);
  let reach = sorted[0]?.start ?? 0;
  for (const r of sorted) {
    if (r.start > reach) warn(r.pos, `no range covers RAM from ${showSize(reach)} to ${showSize(r.start)}: such machines get no crash kernel`, rangeName(r).length);
    reach = Math.max(reach, endOf(r));
  }
  const last = sorted.reduce<SpecRange | undefined>((a, r) => (a === undefined || endOf(r) > endOf(a) ? r : a), undefined);
  if (last && last.end !== null && !ranges.some((r) => r.broken)) {
    warn(last.pos, `no range covers ${showSize(last.end)} of RAM or more: such machines get no crash kernel (an open end, "${showSize(last.start)}-:", covers them)`, rangeName(last).length);
  }
  return finish({ kind: "ranges", ranges, offset });
}

export interface SpecEvaluation {
  /** RAM as the kernel compares it (rounded up to 128 MB). */
  totalMem: number;
  /** Bytes reserved; 0 when nothing would be. */
  size: number;
  /** Index of the matching range (range syntax). */
  rangeIndex: number | null;
  offset: number | null;
  /** Why nothing, or not what was asked for, is reserved. */
  problems: string[];
  notes: string[];
}

const roundup128 = (n: number): number => Math.ceil(n / (128 * MiB)) * 128 * MiB;

/** What the kernel would reserve with this spec on a machine with ramBytes of RAM. */
export function evaluateSpec(spec: ParsedSpec, ramBytes: number): SpecEvaluation {
  const totalMem = roundup128(ramBytes);
  const problems: string[] = [];
  const notes: string[] = [];
  if (spec.kind === "ranges") {
    let rangeIndex: number | null = null;
    let size = 0;
    for (const [i, r] of spec.ranges.entries()) {
      if (r.broken) {
        problems.push(`range ${r.text}: end <= start, and no earlier range matched ${showSize(totalMem)}: the kernel rejects the value and reserves nothing`);
        return { totalMem, size: 0, rangeIndex: null, offset: null, problems, notes };
      }
      if (r.size >= totalMem) {
        problems.push(`range ${r.text}: size ${showSize(r.size)} is not below the RAM size (${showSize(totalMem)} after rounding up to 128 MB): the kernel rejects the value ("invalid size")`);
        return { totalMem, size: 0, rangeIndex: null, offset: null, problems, notes };
      }
      if (totalMem >= r.start && totalMem < (r.end ?? Number.POSITIVE_INFINITY)) {
        rangeIndex = i;
        size = r.size;
        break;
      }
    }
    if (rangeIndex === null) problems.push(`no range contains ${showSize(totalMem)} of RAM: nothing is reserved ("crashkernel size resulted in zero bytes")`);
    if (totalMem !== ramBytes) notes.push(`the kernel compares ranges with the RAM size rounded up to 128 MB: ${showSize(totalMem)}`);
    return { totalMem, size, rangeIndex, offset: rangeIndex === null ? null : spec.offset, problems, notes };
  }
  if (spec.size >= ramBytes) problems.push(`size ${showSize(spec.size)} is not below the RAM size (${showSize(ramBytes)}): the kernel rejects it`);
  if (spec.kind === "low") notes.push("crashkernel=Y,low only takes effect together with crashkernel=X,high");
  if (spec.kind === "high") notes.push("reserved above 4 GB, plus a default low reservation below 4 GB unless crashkernel=Y,low is given (256 MB on x86_64, 128 MB on arm64)");
  if (spec.kind === "cma") notes.push("crashkernel=Y,cma adds CMA memory (lent to movable allocations until a crash) to a crashkernel=X reservation");
  return { totalMem, size: problems.length ? 0 : spec.size, rangeIndex: null, offset: spec.kind === "simple" ? spec.offset : null, problems, notes };
}

/** "  crashkernel=...\n              ^^^^ message" lines for one problem. */
export function pointAt(input: string, p: SpecProblem, indent = "  "): string {
  return `${indent}${input}\n${indent}${" ".repeat(p.pos)}${"^".repeat(Math.min(p.length, Math.max(1, input.length - p.pos)))}`;
}

/** The crashkernel= values of a kernel command line: the last plain one (the kernel ignores earlier ones) and any ,high/,low. */
export function crashkernelFromCmdline(cmdline: string): { main: string | null; all: string[] } {
  const all = cmdline
    .trim()
    .split(" ")
    .filter((t) => t.startsWith(PREFIX));
  const plain = all.filter((t) => !t.endsWith(",high") && !t.endsWith(",low") && !t.endsWith(",cma"));
  const high = all.filter((t) => t.endsWith(",high"));
  return { main: plain[plain.length - 1] ?? high[high.length - 1] ?? null, all };
}
