/**
 * The incident state machine: a synchronous, pure consumer of normalized
 * records. It opens an incident on a header line, extends it while the lines
 * belong to the report, merges the panic a report caused into it, and closes
 * it on an end marker, the next incident, a panic end or the end of input.
 *
 *   idle ──header──▶ body ──stack done / end──▶ trailing ──unrelated line──▶ emit
 *     │                │  ▲ die line, joined header              │
 *     │                └──┴────────── "Kernel panic" ────────────┴──▶ panic ──end marker──▶ emit
 *     └─precursor line─▶ precursor ──header──▶ body
 */
import { matchHeader, type CompiledGrammar, type CompiledKind, type HeaderMatch } from "../grammar/compile.js";
import type { Diagnostic, Incident, LogRecord } from "../types.js";
import { OpenIncident, type BootContext } from "./open-incident.js";
import { fnv1a64 } from "./hash.js";
import { hintsFor } from "./hints.js";

export interface MachineOptions {
  grammar: CompiledGrammar;
  sourceName: string;
  emit: (incident: Incident) => void;
  diagnose: (d: Diagnostic) => void;
  /** Lines of raw text kept per incident (default 5000). */
  maxIncidentLines?: number;
  /** Also recognise opt-in kinds (user-space faults); otherwise their lines are ordinary lines. */
  includeOptIn?: boolean;
}

/** Lines a panic may print after its message before the machine gives up waiting for the end marker. */
const MAX_PANIC_LINES = 600;
/** Lines between "cut here" and the header it announces. */
const MAX_CUT_LINES = 6;
/** Lines a precursor waits for the report it announces. */
const MAX_PRECURSOR_LINES = 4;
/** How many dedup keys are remembered per source. */
const MAX_SEEN = 20000;
/** Repeats listed one by one; the rest are counted in one diagnostic at the end. */
const MAX_DUPLICATE_DIAGNOSTICS = 3;
/** Reports of other tasks kept open while their lines interleave (CONFIG_PRINTK_CALLER). */
const MAX_PARKED = 8;
/** A parked report that has been silent this many lines is complete. */
const PARKED_SILENCE = 2000;
/** A report closed by an unrelated line waits this long for the panic it may cause. */
const HOLD_LINES = 500;
const HOLD_SECONDS = 120;

export class IncidentMachine {
  private readonly g: CompiledGrammar;
  private readonly sourceName: string;
  private readonly emit: (i: Incident) => void;
  private readonly diagnose: (d: Diagnostic) => void;
  private readonly maxLines: number;
  private cur: OpenIncident | null = null;
  /**
   * With caller ids ([T123]), two tasks' reports can interleave line by line:
   * the one not speaking now waits here, by its task, and its lines are
   * routed back to it.
   */
  private readonly parked = new Map<string, OpenIncident>();
  /** Closed, but a consequence panic (panic_on_rcu_stall...) may still join it. */
  private held: OpenIncident | null = null;
  private cut: LogRecord[] | null = null;
  private readonly boot: BootContext = { release: null, version: null };
  private readonly seen = new Set<string>();
  private duplicates = 0;
  private emitted = 0;

  constructor(opts: MachineOptions) {
    this.g = opts.grammar;
    this.sourceName = opts.sourceName;
    this.emit = opts.emit;
    this.diagnose = opts.diagnose;
    this.maxLines = opts.maxIncidentLines ?? 5000;
    this.includeOptIn = opts.includeOptIn === true;
  }
  private readonly includeOptIn: boolean;

  /** True while every line matters (an incident or a "cut here" is open); otherwise only prefilter hits do. */
  wantsEveryLine(): boolean {
    return this.cur !== null || this.cut !== null || this.parked.size > 0;
  }

  get incidentsEmitted(): number {
    return this.emitted;
  }

  /** Emits a report that is waiting for a possible consequence panic (live streams call this when idle). */
  flush(): void {
    // A report that has printed its stack and is only waiting for an unrelated
    // line to end it is complete: a quiet input ends it too.
    if (this.cur && this.cur.state === "trailing" && this.cur.stack === null) {
      const c = this.cur;
      this.cur = null;
      c.endedBy = "quiet input";
      if (this.held) this.emitFinished(this.held);
      this.held = null;
      this.emitFinished(c);
      return;
    }
    if (this.held) this.emitFinished(this.held);
    this.held = null;
  }

  feed(rec: LogRecord): void {
    const a = this.g.anatomy;
    const t = rec.text;
    if (this.held) {
      const h = this.held;
      const late = rec.line - h.endLine > HOLD_LINES || (rec.time !== null && h.lastTime !== null && rec.time - h.lastTime > HOLD_SECONDS) || (rec.time !== null && h.lastTime !== null && rec.time < h.lastTime - 1);
      if (late) this.flush();
      else if (t.includes("Kernel panic") && a.consequencePanic.test(t)) {
        this.held = null;
        this.cur = h;
        h.add(rec);
        h.attachPanic(rec);
        return;
      } else if (!this.cur && this.matchHeader(t)) this.flush();
    }
    if (t.startsWith("Linux version ")) {
      const m = a.linuxVersion.exec(t);
      if (m) {
        this.flush();
        if (this.cur) this.close("new boot");
        this.closeAllParked("new boot");
        this.cut = null;
        this.boot.release = m.groups?.["release"] ?? null;
        const rest = m.groups?.["rest"] ?? "";
        const hash = rest.lastIndexOf(" #");
        this.boot.version = hash >= 0 ? rest.slice(hash + 1).trim() : null;
        return;
      }
    }
    if (t.startsWith("** ")) {
      const m = a.printkDropped.exec(t);
      if (m) {
        this.diagnose({
          code: "printk-dropped",
          severity: "warning",
          message: `the kernel dropped ${m.groups?.["n"] ?? "some"} messages here; an incident may be incomplete`,
          source: this.sourceName,
          line: rec.line,
        });
        if (this.cur) this.cur.add(rec);
        return;
      }
    }
    if (this.parked.size > 0) this.routeToParked(rec);
    if (this.cur) this.feedOpen(this.cur, rec);
    else this.feedIdle(rec);
  }

  /** Switches to the parked report of the task printing `rec`; closes parked reports gone silent. */
  private routeToParked(rec: LogRecord): void {
    for (const [caller, p] of this.parked) {
      if (rec.line - p.endLine > PARKED_SILENCE) {
        this.parked.delete(caller);
        this.closeParked(p, "silent");
      }
    }
    const rc = rec.caller;
    if (rc === null || rc.charCodeAt(0) !== 84 /* T */) return;
    const p = this.parked.get(rc);
    if (!p || this.cur?.header.caller === rc) return;
    this.parked.delete(rc);
    if (this.cur) this.park(this.cur);
    this.cur = p;
  }

  private park(o: OpenIncident): void {
    const caller = o.header.caller!;
    if (this.parked.size >= MAX_PARKED) {
      const [oldCaller, oldest] = this.parked.entries().next().value as [string, OpenIncident];
      this.parked.delete(oldCaller);
      this.closeParked(oldest, "too many interleaved reports");
    }
    this.parked.set(caller, o);
  }

  private closeParked(o: OpenIncident, reason: string): void {
    o.endedBy = reason;
    this.emitFinished(o);
  }

  private closeAllParked(reason: string): void {
    for (const p of this.parked.values()) this.closeParked(p, reason);
    this.parked.clear();
  }

  /** End of input: close what is open. */
  end(): void {
    if (this.cur) {
      const c = this.cur;
      if (!c.format.noStack && !c.hasFrames()) c.truncated = true;
      this.close("end of input");
    }
    this.closeAllParked("end of input");
    this.flush();
    this.cut = null;
    if (this.duplicates > MAX_DUPLICATE_DIAGNOSTICS) {
      const more = this.duplicates - MAX_DUPLICATE_DIAGNOSTICS;
      this.diagnose({
        code: "duplicate-incident",
        severity: "info",
        message: `${more} more repeated incident${more === 1 ? "" : "s"} (same timestamp and text) not listed; each was reported once`,
        source: this.sourceName,
      });
    }
    this.duplicates = 0;
  }

  private feedIdle(rec: LogRecord): void {
    const t = rec.text;
    if (t.includes(" cut here ") && this.g.anatomy.cutHere.test(t)) {
      this.cut = [rec];
      return;
    }
    const hdr = this.matchHeader(t);
    if (hdr) {
      this.open(hdr, rec);
      return;
    }
    if (this.cut) {
      this.cut.push(rec);
      if (this.cut.length > MAX_CUT_LINES) this.cut = null;
    }
  }

  private open(hdr: HeaderMatch, rec: LogRecord): void {
    const inc = new OpenIncident(this.g, hdr, rec, this.maxLines);
    if (this.cut) {
      inc.prepend(this.cut);
      const between = this.cut.slice(1).map((r) => r.text.trim()).filter(Boolean);
      if (between.length) inc.captured["message"] = between.join(" ");
      this.cut = null;
    }
    inc.add(rec);
    this.cur = inc;
  }

  private feedOpen(o: OpenIncident, rec: LogRecord): void {
    const a = this.g.anatomy;
    const t = rec.text;

    if (o.lineCount >= this.maxLines * 4) {
      this.diagnose({ code: "incident-too-long", severity: "warning", message: `incident at line ${o.startLine} is longer than ${this.maxLines * 4} lines; closed there`, source: this.sourceName, line: rec.line });
      this.close("too long");
      this.feedIdle(rec);
      return;
    }

    if (o.state === "panic") {
      o.add(rec);
      if (a.panicEnd.test(t) || a.rebooting.test(t)) {
        o.read(rec);
        this.close("panic end");
        return;
      }
      o.read(rec);
      if (!o.ownAfterForeignPanic(rec) && ++o.panicLines > MAX_PANIC_LINES) this.close("panic without end marker");
      return;
    }

    const hdr = this.matchHeader(t);
    // CONFIG_PRINTK_CALLER: another task's lines interleaved with this report
    // are not part of it (interrupt-context lines may be: NMI backtraces).
    const hc = o.header.caller;
    const otherTask = hc !== null && rec.caller !== null && rec.caller !== hc && hc.charCodeAt(0) === 84 && rec.caller.charCodeAt(0) === 84 && !o.crossCpu;
    if (!hdr && otherTask) return;
    if (hdr && otherTask && !hdr.kind.panic && !hdr.kind.quiet) {
      // Another task's report starts while this one is still printing: both stay open.
      this.park(o);
      this.cur = null;
      this.feedIdle(rec);
      return;
    }
    if (hdr && hdr.kind.quiet) {
      // A message that can print in the middle of any report (another
      // subsystem's periodic warning): kept in the text, ignored otherwise,
      // but for what the report's own captures take from it (an MCE record's lines).
      o.add(rec);
      o.captureLine(t);
      return;
    }
    if (hdr) {
      // A panic after a user-space fault (init killed) is the kernel's own incident.
      if (hdr.kind.panic && !o.kind.optIn) {
        o.add(rec);
        o.attachPanic(rec);
        return;
      }
      if (o.state === "precursor" && !hdr.kind.precursor) {
        o.add(rec);
        o.adopt(hdr, rec);
        return;
      }
      if (!o.hasFrames() && o.state === "body" && o.kind.absorbs.has(hdr.kind.id)) {
        o.add(rec);
        o.read(rec);
        return;
      }
      if (!o.hasFrames() && o.state !== "trailing" && ((hdr.kind.die && o.die === null) || hdr.kind.joins.has(o.kind.id))) {
        o.add(rec);
        o.applyHeader(hdr, rec);
        return;
      }
      // Another report inside a sanitizer report's body (the reporting itself hit a WARNING or
      // a BUG): the body is kept, but what it says after that is not all the report's.
      if (o.kind.untilEnd && o.state === "body" && !o.kind.die && !hdr.kind.precursor) o.innerReport = true;
      if (!(o.kind.untilEnd && o.state === "body")) {
        // Without caller ids, a report that has not printed its stack yet when
        // another begins was interleaved with it (two CPUs at once): its stack,
        // if it comes, lands in the next one. Both are marked, not trusted.
        const interleaved = interruptedDump(o) && rec.caller === null && !hdr.kind.precursor;
        this.close("next incident");
        this.feedIdle(rec);
        if (interleaved && this.cur) this.cur.interleaved = true;
        return;
      }
    }

    switch (o.state) {
      case "precursor":
        o.add(rec);
        o.read(rec);
        if (++o.precursorLines > MAX_PRECURSOR_LINES) o.state = "body";
        return;
      case "body": {
        // "cut here" opens the next report, unless this one has not printed its
        // stack yet (list corruption, usercopy: the BUG() that follows is ours).
        if (t.includes(" cut here ") && a.cutHere.test(t) && !o.kind.untilEnd && o.hasFrames()) {
          this.close("next report");
          this.feedIdle(rec);
          return;
        }
        o.add(rec);
        if (o.kind.untilEnd && matchesAny(o.kind.end, t)) {
          o.read(rec);
          o.finishStack();
          o.state = "trailing";
          return;
        }
        const stackDone = o.read(rec);
        if (!o.kind.untilEnd && (stackDone || a.endTrace.test(t))) {
          o.state = "trailing";
          return;
        }
        if (++o.bodyLines > o.kind.maxBodyLines) {
          o.finishStack();
          o.state = "trailing";
        }
        return;
      }
      case "trailing": {
        if (o.stack !== null || this.isTrailing(o.kind, t) || o.resumesStack(t)) {
          o.add(rec);
          o.read(rec);
          return;
        }
        this.close("unrelated line");
        this.feedIdle(rec);
        return;
      }
    }
  }

  private isTrailing(kind: CompiledKind, t: string): boolean {
    if (t.length === 0) return false;
    return matchesAny(this.g.anatomy.trailing, t) || matchesAny(kind.trailing, t) || this.g.anatomy.stackStart.test(t);
  }

  matchHeader(t: string): HeaderMatch | null {
    const h = matchHeader(this.g, t);
    return h && h.kind.optIn && !this.includeOptIn ? null : h;
  }

  private close(reason: string): void {
    const o = this.cur;
    if (!o) return;
    if (reason === "next incident" && interruptedDump(o) && o.header.caller === null) o.interleaved = true;
    this.cur = null;
    o.endedBy = reason;
    this.flush();
    if (reason === "unrelated line" && !o.panicMessage && !o.kind.optIn) {
      this.held = o;
      return;
    }
    this.emitFinished(o);
  }

  private emitFinished(o: OpenIncident): void {
    if (o.format.requireStack && !o.hasFrames() && o.ip === null) return; // informational "WARNING: ..." line
    const inc = o.finish(this.sourceName, this.boot);
    inc.hints = hintsFor(inc, this.g.hints);
    if (o.header.time !== null) {
      // A hash, not the text: a stored slice would keep its whole input block alive.
      // Across boots (journald's boot id) the same uptime and text is a new crash, not a replay.
      const key = fnv1a64(`${o.header.bootId ?? ""}\u0000${o.header.time}\u0000${o.headerText}`);
      if (this.seen.has(key)) {
        if (++this.duplicates > MAX_DUPLICATE_DIAGNOSTICS) return;
        this.diagnose({
          code: "duplicate-incident",
          severity: "info",
          message: `"${inc.title}" at line ${inc.source.startLine} repeats an incident already reported (same timestamp and text, e.g. a dmesg replay); reported once`,
          source: this.sourceName,
          line: inc.source.startLine,
        });
        return;
      }
      if (this.seen.size < MAX_SEEN) this.seen.add(key);
    }
    if (o.truncated) {
      this.diagnose({
        code: "truncated-incident",
        severity: "warning",
        message: `"${inc.title}" at line ${inc.source.startLine} was cut off by the end of the input`,
        source: this.sourceName,
        line: inc.source.startLine,
      });
    }
    this.emitted++;
    this.emit(inc);
  }
}

/**
 * A report cut short by another one: it had begun its dump (the CPU: line or
 * registers) but printed no frame yet. Reports that never dump a stack of their
 * own before a follow-up (SLUB's "BUG kmalloc-1k: Object corrupt" then its
 * WARNING, 6.12) are not.
 */
function interruptedDump(o: OpenIncident): boolean {
  return o.state === "body" && !o.format.noStack && !o.hasFrames() && (o.cpuLine || o.ip !== null) && (o.ip === null || o.stack !== null);
}

function matchesAny(res: readonly RegExp[], t: string): boolean {
  for (const re of res) if (re.test(t)) return true;
  return false;
}
