/**
 * The hot loop. Takes blocks of complete lines (text ending in "\n") and
 * drives the machine. While no incident is open, only lines that contain a
 * header or context literal are normalized at all: one combined search
 * (the grammar's prefilter) jumps from hit to hit, and the lines in between
 * are only counted.
 */
import type { CompiledGrammar } from "../grammar/compile.js";
import type { Diagnostic, Incident, LogRecord } from "../types.js";
import { normalizeLine } from "../records/normalize.js";
import { IncidentMachine } from "./machine.js";

export interface ScannerOptions {
  grammar: CompiledGrammar;
  sourceName: string;
  emit: (incident: Incident) => void;
  diagnose: (d: Diagnostic) => void;
  maxIncidentLines?: number;
  /** Turns one raw line into a record; plain dmesg by default. */
  normalize?: (raw: string, line: number) => LogRecord;
}

export class Scanner {
  private readonly machine: IncidentMachine;
  private readonly prefilter: RegExp;
  private readonly normalize: (raw: string, line: number) => LogRecord;
  /** Lines consumed so far (the number of the last line seen). */
  line = 0;

  constructor(opts: ScannerOptions) {
    this.machine = new IncidentMachine(opts);
    // A private copy: lastIndex is state and the grammar is shared.
    this.prefilter = new RegExp(opts.grammar.prefilter.source, "g");
    this.normalize = opts.normalize ?? normalizeLine;
  }

  /** Feeds a block of complete lines; `block` must end with "\n" (or be empty). */
  pushBlock(block: string): void {
    const m = this.machine;
    const pf = this.prefilter;
    const n = block.length;
    let pos = 0;
    while (pos < n) {
      if (m.wantsEveryLine()) {
        let nl = block.indexOf("\n", pos);
        if (nl < 0) nl = n;
        this.line++;
        m.feed(this.normalize(block.slice(pos, nl), this.line));
        pos = nl + 1;
        continue;
      }
      pf.lastIndex = pos;
      const hit = pf.exec(block);
      if (hit === null) {
        this.line += countLines(block, pos, n);
        return;
      }
      const lineStart = hit.index === 0 ? 0 : block.lastIndexOf("\n", hit.index - 1) + 1;
      const start = lineStart < pos ? pos : lineStart;
      this.line += countLines(block, pos, start);
      let nl = block.indexOf("\n", hit.index);
      if (nl < 0) nl = n;
      this.line++;
      m.feed(this.normalize(block.slice(start, nl), this.line));
      pos = nl + 1;
    }
  }

  /** Feeds one line (without its terminator). */
  pushLine(raw: string): void {
    this.line++;
    if (!this.machine.wantsEveryLine()) {
      this.prefilter.lastIndex = 0;
      if (!this.prefilter.test(raw)) return;
    }
    this.machine.feed(this.normalize(raw, this.line));
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

/** Number of "\n" in block[from, to). */
function countLines(block: string, from: number, to: number): number {
  let c = 0;
  let i = block.indexOf("\n", from);
  while (i >= 0 && i < to) {
    c++;
    i = block.indexOf("\n", i + 1);
  }
  return c;
}
