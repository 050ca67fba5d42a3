/**
 * The hot loop. Takes blocks of complete lines (text ending in "\n") and
 * drives the machine. While no incident is open, only lines that contain one
 * of the grammar's prefilter literals are normalized at all: a few short
 * regular-expression searches (V8 runs an alternation of a handful of rare
 * literals at hundreds of MB/s) jump from hit to hit and the lines in between
 * are only counted. Lead-in lines, which precede a hit by a line or two
 * ("cut here", "list_del corruption", "kernel tried to execute NX-protected
 * page"), are picked up by re-reading the few lines before each hit.
 */
import type { CompiledGrammar } from "../grammar/compile.js";
import type { Diagnostic, Incident, LogRecord } from "../types.js";
import { normalizeLine } from "../records/normalize.js";
import type { LineNormalizer } from "../records/formats.js";
import { IncidentMachine } from "./machine.js";

export interface ScannerOptions {
  grammar: CompiledGrammar;
  sourceName: string;
  emit: (incident: Incident) => void;
  diagnose: (d: Diagnostic) => void;
  maxIncidentLines?: number;
  /** Longer lines are analysed up to this many characters, with a diagnostic (default 65536). */
  maxLineLength?: number;
  /** Turns one raw line into a record, or several (a multi-line journald entry), or null (not a kernel message, skipped); plain dmesg by default. */
  normalize?: LineNormalizer;
  /** Also report opt-in kinds (user-space faults). */
  includeOptIn?: boolean;
}

/** Diagnostics of one kind reported per source at most. */
const MAX_REPORTS = 5;

/**
 * A copy of a line that does not keep the whole block string alive (V8 keeps
 * a slice's parent; flattening a concatenation makes a new string).
 */
function detach(s: string): string {
  return s.length > 12 ? (" " + s).slice(1) : s;
}

/** How many lines before a prefilter hit are re-read for lead-in lines. */
export const LOOKBACK_LINES = 8;

export class Scanner {
  private readonly machine: IncidentMachine;
  private readonly anchors: RegExp[];
  /** Next hit of each anchor search in the current block: -1 = not searched yet, Infinity = none left. */
  private readonly next: number[];
  private normalize: LineNormalizer;
  private readonly diagnose: (d: Diagnostic) => void;
  private readonly sourceName: string;
  private readonly maxLine: number;
  private longReported = 0;
  private invalidReported = 0;
  /** Invalid UTF-8 positions of the current block not yet passed. */
  private invalid: readonly number[] = [];
  private invalidIdx = 0;
  /** Unread lines at the end of the previous block (candidates for lookback). */
  private tail: string[] = [];
  /** Lines consumed so far (the number of the last line seen). */
  line = 0;

  constructor(opts: ScannerOptions) {
    this.machine = new IncidentMachine(opts);
    // Private copies: lastIndex is state and the grammar is shared.
    const anchors = opts.includeOptIn && opts.grammar.optInAnchor ? [...opts.grammar.anchors, opts.grammar.optInAnchor] : opts.grammar.anchors;
    this.anchors = anchors.map((r) => new RegExp(r.source, "g"));
    this.next = this.anchors.map(() => -1);
    this.normalize = opts.normalize ?? normalizeLine;
    this.diagnose = opts.diagnose;
    this.sourceName = opts.sourceName;
    this.maxLine = opts.maxLineLength ?? 65536;
  }

  /**
   * Feeds a block of complete lines; `block` must end with "\n" (or be empty).
   * `invalidUtf8At`: ascending char indices of replaced undecodable bytes.
   */
  pushBlock(block: string, invalidUtf8At: readonly number[] = []): void {
    const m = this.machine;
    const n = block.length;
    const next = this.next;
    next.fill(-1);
    this.invalid = invalidUtf8At;
    this.invalidIdx = 0;
    let pos = 0;
    while (pos < n) {
      if (m.wantsEveryLine()) {
        let nl = block.indexOf("\n", pos);
        if (nl < 0) nl = n;
        this.tail = [];
        this.feed(this.take(block, pos, nl));
        pos = nl + 1;
        continue;
      }
      let hit = Infinity;
      for (let i = 0; i < next.length; i++) {
        if (next[i]! < pos) {
          const re = this.anchors[i]!;
          re.lastIndex = pos;
          const h = re.exec(block);
          next[i] = h === null ? Infinity : h.index;
        }
        if (next[i]! < hit) hit = next[i]!;
      }
      if (hit === Infinity) {
        this.keepTail(block, pos, n, pos === 0);
        this.pass(block, pos, n);
        return;
      }
      const lineStart = hit === 0 ? 0 : block.lastIndexOf("\n", hit - 1) + 1;
      const start = lineStart < pos ? pos : lineStart;
      this.replayLookback(block, pos, start);
      if (m.wantsEveryLine()) {
        pos = start; // a lead-in opened something: read on line by line from the hit's line
        continue;
      }
      let nl = block.indexOf("\n", hit);
      if (nl < 0) nl = n;
      this.feed(this.take(block, start, nl));
      pos = nl + 1;
    }
    this.tail = [];
  }

  /** Switches the line format (before the first block). */
  setNormalizer(fn: LineNormalizer): void {
    this.normalize = fn;
  }

  private feed(raw: string): void {
    this.deliver(this.normalize(raw, this.line));
  }

  /** Hands a line's record (or records) to the machine. */
  private deliver(rec: LogRecord | LogRecord[] | null): void {
    if (rec === null) return;
    if (Array.isArray(rec)) for (const r of rec) this.machine.feed(r);
    else this.machine.feed(rec);
  }

  /** Consumes the line block[a, b) for analysis: numbers it, checks it, returns a detached copy. */
  private take(block: string, a: number, b: number): string {
    this.line++;
    this.check(a, b);
    return detach(b - a > this.maxLine ? block.slice(a, a + this.maxLine) : block.slice(a, b));
  }

  /** Consumes the lines in block[from, to) without analysing them (they only count). */
  private pass(block: string, from: number, to: number): void {
    const max = this.maxLine;
    let start = from;
    let i = block.indexOf("\n", from);
    while (i >= 0 && i < to) {
      this.line++;
      if (i - start > max || (this.invalidIdx < this.invalid.length && this.invalid[this.invalidIdx]! < i)) this.check(start, i);
      start = i + 1;
      i = block.indexOf("\n", start);
    }
  }

  /** Diagnostics for the current line (block[a, b)): over-long, invalid UTF-8. */
  private check(a: number, b: number): void {
    if (b - a > this.maxLine && this.longReported < MAX_REPORTS) {
      this.longReported++;
      this.diagnose({
        code: "line-too-long",
        severity: "warning",
        message: `line ${this.line} is longer than ${this.maxLine} characters; only its start is analysed`,
        source: this.sourceName,
        line: this.line,
      });
    }
    const inv = this.invalid;
    let bad = false;
    while (this.invalidIdx < inv.length && inv[this.invalidIdx]! < b) {
      if (inv[this.invalidIdx]! >= a && inv[this.invalidIdx]! < a + this.maxLine) bad = true;
      this.invalidIdx++;
    }
    if (bad && this.invalidReported < MAX_REPORTS) {
      this.invalidReported++;
      this.diagnose({ code: "invalid-utf8", severity: "info", message: `line ${this.line} has bytes that are not valid UTF-8; shown as U+FFFD`, source: this.sourceName, line: this.line });
    }
  }

  /**
   * Counts the lines in block[from, to) and feeds the last few of them (and,
   * at a block start, the previous block's unread tail) to the machine, which
   * only reacts to "cut here" and lead-in headers in them.
   */
  private replayLookback(block: string, from: number, to: number): void {
    const starts: number[] = [];
    let s = to;
    while (s > from && starts.length < LOOKBACK_LINES) {
      const p = s - 1 === 0 ? 0 : block.lastIndexOf("\n", s - 2) + 1;
      const ls = p < from ? from : p;
      starts.unshift(ls);
      s = ls;
    }
    const firstReplayed = starts.length ? starts[0]! : to;
    this.pass(block, from, firstReplayed);
    const before = from === 0 && starts.length < LOOKBACK_LINES ? this.tail.slice(-(LOOKBACK_LINES - starts.length)) : [];
    this.tail = [];
    if (before.length) {
      // Their numbers were already counted with the previous block.
      let ln = this.line - before.length;
      for (const raw of before) this.deliver(this.normalize(raw, ++ln));
    }
    for (let i = 0; i < starts.length; i++) {
      const a = starts[i]!;
      const b = i + 1 < starts.length ? starts[i + 1]! : to;
      this.feed(this.take(block, a, b - 1));
    }
  }

  /** Remembers the last unread lines (across blocks when nothing was read in between). */
  private keepTail(block: string, from: number, to: number, extend: boolean): void {
    const lines: string[] = [];
    let s = to;
    while (s > from && lines.length < LOOKBACK_LINES) {
      const p = s - 1 === 0 ? 0 : block.lastIndexOf("\n", s - 2) + 1;
      const ls = p < from ? from : p;
      lines.unshift(detach(block.slice(ls, Math.min(s - 1, ls + this.maxLine))));
      s = ls;
    }
    this.tail = extend && lines.length < LOOKBACK_LINES ? [...this.tail, ...lines].slice(-LOOKBACK_LINES) : lines;
  }

  end(): void {
    this.machine.end();
  }

  /** Emits a closed report still waiting for a possible consequence panic. */
  flush(): void {
    this.machine.flush();
  }

  get incidentsEmitted(): number {
    return this.machine.incidentsEmitted;
  }
}
