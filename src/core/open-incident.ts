/**
 * An incident under construction: the lines it owns so far and what has been
 * read out of them. The machine (machine.ts) decides which lines go here;
 * this file knows how to read report anatomy and how to finish an incident.
 */
import type { Anatomy, CompiledFormat, CompiledGrammar, CompiledKind, HeaderMatch } from "../grammar/compile.js";
import type { Frame, FrameContext, Incident, LogRecord, Stack, TaintFlagInfo } from "../types.js";
import { parseDieLine, type DieLine } from "../decode/oopsflags.js";
import { decodeTaint } from "../decode/taint.js";
import { crossCheckPf, decodePageFault, parsePfLines } from "../decode/pagefault.js";
import { crossCheckEsr, decodeEsr, parseMemAbortLine } from "../decode/esr.js";
import { decodeMceStatus } from "../decode/mce.js";
import { decodeEdac } from "../decode/edac.js";
import { baseName, firstUnskipped, hangFrame, isSkipped, stallFrame, stallName, titleName } from "./guilty.js";
import { fnv1a64 } from "./hash.js";

export type OpenState = "precursor" | "body" | "trailing" | "panic";

interface StackBuild {
  label: string;
  frames: Frame[];
  ctx: FrameContext;
  depth: number;
  pending: number;
  panic: boolean;
  /** Not the report's own stack (e.g. the RCU grace-period kthread's). */
  secondary: boolean;
  /** After </IRQ> at top level: registers may come before the interrupted task's frames. */
  afterIrq: number;
  /** Already recorded (as primary or in stacks) when it was first finished. */
  recorded: boolean;
}


/** Boot-wide facts the machine tracks outside incidents. */
export interface BootContext {
  release: string | null;
  version: string | null;
}

const MODULE_TOKEN = /^[A-Za-z0-9_-]{1,64}(?:\([A-Z+-]{1,12}\))?$/;
const CTX_MAP: Record<string, FrameContext> = { TASK: "task", IRQ: "irq", NMI: "nmi", SOFTIRQ: "softirq", EOI: null };
/** Stack-start lines may be followed by this many non-frame lines (CPU:, registers) before the first frame. */
const MAX_STACK_PENDING = 40;
/** A bare return address in a trace: " 0xffffffff81234567", " ? 0x...", " [<c0123456>] 0xc0123456". */
const RAW_FRAME = /^ {0,16}(\? {1,2})?(?:\[<[0-9a-f]{4,16}>\] {1,2})?0x([0-9a-f]{1,16})$/;

export const MAX_TITLE = 120;

function groups(m: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  if (m.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) out[k] = v;
  return out;
}

export class OpenIncident {
  kind: CompiledKind;
  format: CompiledFormat;
  caps: Record<string, string>;
  header: LogRecord;
  headerText: string;
  startLine: number;
  endLine: number;
  state: OpenState;
  lines: string[] = [];
  droppedLines = 0;
  lineCount = 0;
  bodyLines = 0;
  precursorLines = 0;
  panicLines = 0;
  stack: StackBuild | null = null;
  primary: Frame[] | null = null;
  stacks: Stack[] = [];
  ip: Frame | null = null;
  ipAddress: string | null = null;
  lr: Frame | null = null;
  cpuLine = false;
  task: Incident["task"] = { pid: null, comm: null, cpu: null };
  release: string | null = null;
  version: string | null = null;
  /** The architecture, from the register dump's shape. */
  arch: string | null = null;
  /** Bare addresses of the primary trace, when the kernel could name none of them. */
  rawFrames: Array<{ address: string; reliable: boolean }> = [];
  /** The vmlinux build id, when the CPU: line carries one. */
  buildId: string | null = null;
  tainted: boolean | null = null;
  taint: TaintFlagInfo[] = [];
  hardware: string | null = null;
  modules: string[] = [];
  modulesCont = false;
  die: DieLine | null = null;
  pfLines: string[] = [];
  memAbort: string[] = [];
  cr2: string | null = null;
  panicMessage: string | null = null;
  kaslrOffset: string | null = null;
  captured: Record<string, string> = {};
  capturedAll: Record<string, string[]> = {};
  /** The frame capture under way (its name), while frame lines follow its `after` line. */
  private frameCapture: string | null = null;
  /** The caller named at the end of the last arm (32-bit) frame line. */
  private armCaller: string | null = null;
  /** The caller's offset, size and module as "from caller+0x11c/0x13c [mod]" printed them. */
  private armCallerAt: { offset: string | null; size: string | null; module: string | null } | null = null;
  /** Lines passed to read() so far. */
  private readCount = 0;
  notes: string[] = [];
  endedBy = "";
  truncated = false;
  /** Another report began before this one's stack (no caller ids to tell them apart). */
  interleaved = false;
  /** Lines from here on are another task's report (see readScalar): not read. */
  foreign = false;
  sawEndTrace = false;
  /** Timestamp of the last line added. */
  lastTime: number | null = null;
  /** The report dumps other CPUs' stacks ("Sending NMI from CPU"): other callers' lines belong to it. */
  crossCpu = false;
  private nextSecondary: string | null = null;
  /** The stack a stray line ended, and how many lines ago: a frame soon after resumes it. */
  private resumable: StackBuild | null = null;
  private sinceStackEnd = 0;

  constructor(
    private readonly g: CompiledGrammar,
    hdr: HeaderMatch,
    rec: LogRecord,
    private readonly maxLines: number,
  ) {
    this.kind = hdr.kind;
    this.format = hdr.format;
    this.caps = hdr.caps;
    this.header = rec;
    this.headerText = rec.text;
    this.startLine = rec.line;
    this.endLine = rec.line;
    this.state = hdr.kind.panic ? "panic" : hdr.kind.precursor ? "precursor" : "body";
    if (hdr.kind.panic) this.panicMessage = panicMessageOf(rec.text);
    this.applyHeader(hdr, rec);
  }

  get anatomy(): Anatomy {
    return this.g.anatomy;
  }

  /** Would this line (a frame right after a stray line) continue the stack it interrupted? */
  resumesStack(t: string): boolean {
    return this.resumable !== null && this.sinceStackEnd < 3 && this.parseFrame(t, null) !== null;
  }

  hasFrames(): boolean {
    return this.primary !== null || (this.stack !== null && this.stack.frames.length > 0);
  }

  /** Adds a raw line to the incident's text (bounded). */
  add(rec: LogRecord): void {
    this.lineCount++;
    this.endLine = rec.line;
    if (rec.time !== null) this.lastTime = rec.time;
    if (this.lines.length < this.maxLines) this.lines.push(rec.raw);
    else this.droppedLines++;
  }

  prepend(recs: LogRecord[]): void {
    if (recs.length === 0) return;
    this.lines.unshift(...recs.map((r) => r.raw));
    this.lineCount += recs.length;
    this.startLine = Math.min(this.startLine, recs[0]!.line);
  }

  /** Takes what a (possibly joining) header line says. */
  applyHeader(hdr: HeaderMatch, rec: LogRecord): void {
    for (const [k, v] of Object.entries(hdr.caps)) if (!(k in this.caps)) this.caps[k] = v;
    if (hdr.kind.die || rec.text.includes(" [#")) this.readDie(rec.text);
  }

  /** A precursor line ("kernel tried to execute NX-protected page") hands over to the real header. */
  adopt(hdr: HeaderMatch, rec: LogRecord): void {
    const old = this.caps;
    this.kind = hdr.kind;
    this.format = hdr.format;
    this.caps = { ...hdr.caps };
    for (const [k, v] of Object.entries(old)) if (!(k in this.caps)) this.caps[k] = v;
    this.headerText = rec.text;
    this.header = { ...this.header, text: rec.text };
    this.state = hdr.kind.panic ? "panic" : "body";
    if (hdr.kind.panic) this.panicMessage = panicMessageOf(rec.text);
    this.applyHeader(hdr, rec);
  }

  attachPanic(rec: LogRecord): void {
    this.finishStack();
    this.panicMessage ??= panicMessageOf(rec.text);
    this.state = "panic";
    const hc = this.header.caller;
    // CONFIG_PRINTK_CALLER: another task panicked while this report was printing. The
    // panic's lines (its task, its stack) are then not this report's, and this report's
    // own task goes on printing its report.
    if (hc !== null && hc.charCodeAt(0) === 84 /* T */ && rec.caller !== null && rec.caller.charCodeAt(0) === 84 && rec.caller !== hc) this.panicCaller = rec.caller;
  }

  /** Another report's header came inside this sanitizer report's body. */
  innerReport = false;
  /** The unwinder warned about the stack while this report printed it. */
  private unwinderWarned = false;

  /** The task that panicked, when it is not this report's (caller ids only). */
  panicCaller: string | null = null;
  /** The line being read is this report's own (not another task's panic). */
  private own = true;

  /** A line this report's own task printed after another task's panic: read as part of the report. */
  ownAfterForeignPanic(rec: LogRecord): boolean {
    return this.panicCaller !== null && rec.caller === this.header.caller;
  }

  private readDie(text: string): void {
    if (this.die) return;
    const d = parseDieLine(text);
    if (d && (d.code !== null || d.counter !== null)) this.die = d;
  }

  /**
   * Reads one line's anatomy (stacks, registers, task, modules...).
   * Returns true when the line finished a stack.
   */
  read(rec: LogRecord): boolean {
    const a = this.g.anatomy;
    const t = rec.text;
    if (this.foreign) return false;
    // x86's unwinder warning while this report printed its trace ("WARNING: kernel stack regs
    // at ... has bad 'bp' value", "... frame pointer at ... has bad value"): the trace is unreliable.
    if (t.charCodeAt(0) === 87 /* W */ && t.startsWith("WARNING: kernel stack ") && / has bad (?:'[a-z]{1,8}' )?value/.test(t)) this.unwinderWarned = true;
    this.own = this.panicCaller === null || rec.caller === this.header.caller;
    // In a timestamped console log, an untimestamped line is another writer's
    // (the fuzzer's own output interleaved on the serial console): not the report's.
    if (rec.time === null && this.header.time !== null && t.length > 0) return false;
    // KMSAN prints its stack right under the header, without "Call Trace:".
    if (this.readCount++ === 0 && this.kind.untilEnd && !this.stack && this.primary === null && this.parseFrame(t, null)) {
      this.startStack("Call Trace");
    }

    if (this.modulesCont) {
      if (looksLikeModuleList(t)) {
        this.addModules(t);
        return false;
      }
      this.modulesCont = false;
    }

    // Stacks first: they are most of an incident's lines.
    let m = a.stackStart.exec(t);
    if (m) {
      this.startStack(m.groups?.["label"] ?? "Call Trace");
      return false;
    }
    if (a.secondaryStack.test(t)) {
      this.finishStack();
      this.nextSecondary = t.replace(/^rcu: /, "").replace(/:$/, "");
      return false;
    }
    if (!this.crossCpu && t.startsWith("Sending NMI from CPU")) this.crossCpu = true;
    // RCU stalls on arm64 and others dump each CPU's task instead of NMI backtraces.
    if (t.startsWith("Task dump for CPU ")) {
      const cpu = /^Task dump for CPU ([0-9]{1,5}):/.exec(t)?.[1];
      if (cpu !== undefined) {
        this.crossCpu = true;
        this.startStack(`Task dump for cpu ${cpu}`, true);
        return false;
      }
    }
    m = a.nmiBacktrace.exec(t);
    if (m) {
      this.crossCpu = true;
      this.startStack(`NMI backtrace for cpu ${m.groups?.["cpu"] ?? "?"}`, true);
      return false;
    }
    if (!this.stack && this.resumable) {
      if (++this.sinceStackEnd <= 3) {
        const f = this.parseFrame(t, this.resumable.ctx);
        if (f) {
          this.stack = this.resumable;
          this.resumable = null;
          this.stack.frames.push(f);
          return false;
        }
      } else this.resumable = null;
    }
    // riscv (and some other unwinders) print the trace right under the register
    // dump, with no "Call Trace:" line: "[<ffffffff01e6f650>] lkdtm_ACCESS_NULL+0x28/0x7a [lkdtm]";
    // arm since 5.x neither: " lkdtm_ACCESS_NULL [lkdtm] from direct_entry+0x11c/0x13c [lkdtm]".
    if (!this.stack && this.primary === null && ((t.startsWith("[<") && (this.ip !== null || this.ipAddress !== null) && a.frame.test(t)) || (t.includes(" from ") && a.frameArm.test(t)))) {
      this.startStack("Call Trace");
    }
    // arm's panic stops the other CPUs, each dumping its stack ("CPU1: stopping"): theirs, not ours.
    if (t.startsWith("CPU") && t.endsWith(": stopping") && /^CPU[0-9]{1,4}: stopping$/.test(t)) {
      this.crossCpu = true;
      this.startStack(t.slice(0, -": stopping".length).replace(/^CPU/, "stopped cpu "), true);
      return false;
    }
    const s = this.stack;
    if (s) {
      const c = a.context.exec(t);
      if (c) {
        const ctx = c.groups?.["ctx"] ?? "";
        if (c.groups?.["close"]) {
          s.depth = Math.max(0, s.depth - 1);
          s.ctx = null;
          if (ctx === "TASK" && s.depth === 0 && s.frames.length > 0) {
            this.finishStack();
            return true;
          }
          if (ctx !== "TASK" && s.depth === 0) {
            // The interrupted context follows, often after its registers.
            s.ctx = "task";
            s.afterIrq = 1;
          }
        } else if (ctx === "EOI") {
          s.ctx = "task";
          s.afterIrq = 1;
        } else {
          s.depth++;
          s.ctx = CTX_MAP[ctx] ?? null;
        }
        return false;
      }
      const prevCaller = this.armCaller;
      const prevAt = this.armCallerAt;
      const f = this.parseFrame(t, s.ctx);
      if (f) {
        // arm: "(a) from (b+0x..)" then "(c) from ...": when b is not c (a tail call),
        // b is a frame of its own.
        if (prevCaller !== null && f.function !== prevCaller && s.frames.length > 0 && s.frames.length < 200) {
          s.frames.push({ function: prevCaller, offset: prevAt?.offset ?? null, size: prevAt?.size ?? null, module: prevAt?.module ?? null, reliable: true, context: s.ctx });
        } else if (prevCaller !== null && f.function === prevCaller && prevAt && f.offset === null) {
          // "b from c+0x.." after "a from b+0x5c/0x8c": b's return address is the one the line before printed.
          f.offset = prevAt.offset;
          f.size = prevAt.size;
          f.module ??= prevAt.module;
          // A return address at +0x0 is really the end of the function before (a noreturn
          // call), but syzbot blames the printed name on arm and so do we (parity).
        }
        s.frames.push(f);
        s.pending = 0;
        if (s.afterIrq > 0) s.afterIrq = 1;
        return false;
      }
      if (s.frames.length === 0 && !s.secondary && !s.panic && this.primary === null) {
        // A kernel without kallsyms prints bare addresses (%pB): keep them for symbolization.
        const raw = RAW_FRAME.exec(t);
        if (raw && this.rawFrames.length < 256) {
          this.rawFrames.push({ address: "0x" + raw[2]!, reliable: !raw[1] });
          s.pending = 0;
          return false;
        }
      }
      if (s.frames.length > 0 && a.frameRaw.test(t)) return false; // an address the kernel could not name
      if (s.afterIrq > 0 && s.afterIrq < MAX_STACK_PENDING) {
        // "RIP: 0010:func+0x.." of the interrupted context is its top frame.
        const ipm = a.ip.exec(t);
        const sm = ipm ? a.symbol.exec(ipm.groups?.["rest"] ?? "") : null;
        if (sm?.groups?.["func"] && !/^0x[0-9a-f]+$/.test(sm.groups["func"])) {
          s.frames.push({ function: sm.groups["func"], offset: sm.groups["off"] ?? null, size: sm.groups["size"] ?? null, module: sm.groups["mod"] ?? null, reliable: true, context: s.ctx });
        }
        s.afterIrq++;
        this.readScalar(rec);
        return false;
      }
      if (s.depth > 0) {
        // Inside <TASK>...</TASK>: user-mode registers and "? 0x..." lines.
        this.readScalar(rec);
        return false;
      }
      if (s.frames.length === 0) {
        if (++s.pending > MAX_STACK_PENDING) this.stack = null;
        this.readScalar(rec);
        return false;
      }
      const exc = a.ip.exec(t);
      // i386 ends a trace with the syscall's user-mode registers ("EIP: 0xb7f3c559"), with no
      // <TASK> around them as x86_64 has: the trace is over there, and the "EIP: func+0x.."
      // that die() prints again after "---[ end trace" is not a frame of it.
      if (exc && !this.symbolFrame(exc.groups?.["rest"] ?? "") && userIpLine(t, exc.groups?.["rest"] ?? "")) {
        this.finishStack();
        this.readScalar(rec);
        return true;
      }
      if (exc) {
        // An exception frame inside the trace (pre-5.x unwinders print the
        // trapped context's registers inline, then go on with its frames).
        const fr = this.symbolFrame(exc.groups?.["rest"] ?? "");
        if (fr) s.frames.push({ ...fr, context: s.ctx });
        s.afterIrq = 1;
        this.readScalar(rec);
        return false;
      }
      this.finishStack();
      this.resumable = s;
      this.sinceStackEnd = 0;
      this.readScalar(rec);
      return true;
    }
    this.readScalar(rec);
    return false;
  }

  /** Everything that is not a stack frame. */
  private readScalar(rec: LogRecord): void {
    const a = this.g.anatomy;
    const t = rec.text;
    const c0 = t.charCodeAt(0);
    // Another task's panic: its CPU/registers/modules lines describe that task, not this report's;
    // only what is the machine's (the KASLR offset) is taken.
    if (!this.own) {
      const m = a.kernelOffset.exec(t);
      if (m) {
        const off = m.groups?.["offset"] ?? null;
        this.kaslrOffset ??= off === "disabled" ? null : off;
      }
      return;
    }
    if (c0 === 67 /* C */ && !this.cpuLine && a.cpu.test(t)) {
      this.readCpuLine(t);
      return;
    }
    if (c0 === 67 /* C */ && this.cpuLine && !this.crossCpu && this.primary === null && this.task.pid !== null && a.cpu.test(t)) {
      // Another task's "CPU: N PID: M" before this report printed its stack: a second
      // report (another CPU's) cut into this one. What follows is not ours.
      const pid = /PID: ([0-9]{1,10})/.exec(t)?.[1];
      if (pid !== undefined && Number(pid) !== this.task.pid) {
        this.interleaved = true;
        this.foreign = true;
        this.stack = null;
        return;
      }
    }
    let m: RegExpExecArray | null;
    if (this.lr === null && this.ip !== null && (m = a.lr.exec(t))) {
      this.lr = this.symbolFrame(m.groups?.["rest"] ?? "");
      return;
    }
    if (this.arch === null) this.arch = archOfLine(t);
    if (this.ip === null && this.ipAddress === null && (m = a.ip.exec(t))) {
      const rest = m.groups?.["rest"] ?? "";
      const fr = this.symbolFrame(rest);
      if (fr) {
        this.ip = fr;
      } else {
        const addr = /^(0x[0-9a-f]{1,16}|[0-9a-f]{8,16})/.exec(rest);
        if (addr?.[1] && kernelIp(t, addr[1])) this.ipAddress = addr[1];
      }
      return;
    }
    if ((m = a.hardware.exec(t))) {
      this.hardware ??= m.groups?.["hw"] ?? null;
      return;
    }
    if ((m = a.modules.exec(t))) {
      if (this.modules.length === 0) {
        this.addModules(m.groups?.["list"] ?? "");
        this.modulesCont = true;
      }
      return;
    }
    if (a.pf.test(t)) {
      if (this.pfLines.length < 8) this.pfLines.push(t);
      return;
    }
    if ((m = a.cr2.exec(t))) {
      this.cr2 ??= m.groups?.["cr2"] ?? null;
      return;
    }
    if ((m = a.kernelOffset.exec(t))) {
      const off = m.groups?.["offset"] ?? null;
      this.kaslrOffset ??= off === "disabled" ? null : off;
      return;
    }
    if (a.endTrace.test(t)) {
      this.sawEndTrace = true;
      return;
    }
    if (!this.cpuLine && this.tainted === null && a.taintIndented.test(t)) {
      this.readReleaseTail(t.trim());
      return;
    }
    if (a.taintLine.test(t)) {
      const d = decodeTaint(t.replace(/^Tainted:\s*/, ""));
      if (d.flags.length) this.setTaint(d.tainted, d.flags);
      return;
    }
    if (t.includes(" = ") || t.endsWith("info:")) {
      const ma = parseMemAbortLine(t);
      if (ma) {
        if (this.memAbort.length < 16) this.memAbort.push(t);
        return;
      }
    }
    if (t.includes(" [#")) this.readDie(t);
    if (this.kind.frameCaptures.length) this.captureFrames(t);
    if (this.kind.captures.length) this.capture(t);
  }

  /** Frame captures: lockdep's "... which became HARDIRQ-irq-safe at:" chain. */
  private captureFrames(t: string): void {
    const name = this.frameCapture;
    if (name !== null) {
      const f = this.parseFrame(t, null);
      if (f) {
        this.captured[name] ??= f.function;
        const list = (this.capturedAll[name] ??= []);
        if (list.length < 16) list.push(f.function);
        return;
      }
      // lockdep prints "..." where the chain's first entries were not recorded.
      if (t.trim() !== "...") this.frameCapture = null;
    }
    for (const c of this.kind.frameCaptures) {
      if (c.after.test(t)) {
        this.frameCapture = c.name;
        return;
      }
    }
  }

  /** Runs the kind's captures on a line not otherwise read (a quiet kind's line inside this report). */
  captureLine(t: string): void {
    if (this.kind.captures.length) this.capture(t);
  }

  private capture(t: string): void {
    // A `cut` capture ends what the report says (syzkaller stops reading a report
    // at an interleaved fault-injection or allocation-failure message).
    if (this.captured["cut"] !== undefined) return;
    // A die line ("general protection fault: 0000 [#1]") inside a sanitizer report is
    // another oops interleaved with it: syzbot ends the report there.
    if (this.die !== null && this.kind.untilEnd && !this.kind.die) return;
    for (const re of this.kind.captures) {
      const m = re.exec(t);
      if (!m) continue;
      for (const [k, v] of Object.entries(groups(m))) {
        if (!(k in this.captured)) this.captured[k] = v;
        // Every value, for guilty sources: lockdep's first "at:" may be a skipped helper.
        const list = (this.capturedAll[k] ??= []);
        if (list.length < 16) list.push(v);
      }
    }
  }

  private setTaint(tainted: boolean, flags: readonly { letter: string; bit: number | null; meaning: string }[]): void {
    this.tainted = tainted;
    this.taint = flags.map((f) => ({ letter: f.letter, bit: f.bit, meaning: f.meaning }));
  }

  private readCpuLine(t: string): void {
    this.cpuLine = true;
    const m = /^CPU: ([0-9]{1,6}) (?:UID: [0-9]{1,10} )?PID: ([0-9]{1,10}) Comm: /.exec(t);
    if (!m) return;
    let rest = t.slice(m[0].length);
    let taintPart: string | null = null;
    let comm: string;
    const nt = rest.indexOf(" Not tainted ");
    const tt = rest.indexOf(" Tainted: ");
    if (nt >= 0 && (tt < 0 || nt < tt)) {
      comm = rest.slice(0, nt);
      taintPart = "Not tainted";
      rest = rest.slice(nt + " Not tainted ".length);
    } else if (tt >= 0) {
      comm = rest.slice(0, tt);
      rest = rest.slice(tt + " Tainted: ".length);
      const tm = /^[A-Z ]{0,40}/.exec(rest);
      taintPart = tm ? tm[0] : "";
      rest = rest.slice(taintPart.length);
    } else {
      const sp = rest.indexOf(" ");
      comm = sp < 0 ? rest : rest.slice(0, sp);
      rest = sp < 0 ? "" : rest.slice(sp + 1);
    }
    // "Comm: init Kdump: loaded Not tainted": kexec's marker is not part of the name.
    comm = comm.replace(/ Kdump: loaded$/, "");
    this.task = { cpu: Number(m[1]), pid: Number(m[2]), comm };
    this.readRelease(rest, taintPart);
  }

  /** "Not tainted 6.1.0 #1 ..." or "Tainted: G    OE   6.1.0 #1 ..." (hung-task reports). */
  private readReleaseTail(t: string): void {
    if (t.startsWith("Not tainted ")) this.readRelease(t.slice("Not tainted ".length), "Not tainted");
    else if (t.startsWith("Tainted: ")) {
      const rest = t.slice("Tainted: ".length);
      const tm = /^[A-Z ]{0,40}/.exec(rest);
      const letters = tm ? tm[0] : "";
      this.readRelease(rest.slice(letters.length), letters);
    }
  }

  private readRelease(restIn: string, taintPart: string | null): void {
    const rest = restIn.trim();
    const sp = rest.indexOf(" ");
    const release = sp < 0 ? rest : rest.slice(0, sp);
    if (release) this.release = release;
    let version = sp < 0 ? "" : rest.slice(sp + 1).trim().replace(/\s+/g, " ");
    // CONFIG_STACKTRACE_BUILD_ID: the vmlinux build id (20 bytes) ends the CPU: line.
    const bid = / ([0-9a-f]{40})$/.exec(version);
    if (bid) {
      this.buildId = bid[1]!;
      version = version.slice(0, bid.index);
    }
    if (version) this.version = version;
    if (taintPart !== null) {
      const d = decodeTaint(taintPart);
      this.setTaint(d.tainted, d.flags);
    }
  }

  private addModules(list: string): void {
    let s = list;
    const lu = /\[last unloaded: ([^\]]{1,128})\]/.exec(s);
    if (lu?.[1]) {
      this.captured["lastUnloaded"] ??= lu[1];
      s = s.slice(0, lu.index) + s.slice(lu.index + lu[0].length);
    }
    for (const tok of s.split(/\s+/)) {
      if (!tok) continue;
      const p = tok.indexOf("(");
      const name = p > 0 ? tok.slice(0, p) : tok;
      if (MODULE_TOKEN.test(tok) && this.modules.length < 2000) this.modules.push(name);
    }
  }

  /** "func+0x14/0x53 [mod]" → a frame; null for a bare address. */
  private symbolFrame(rest: string): Frame | null {
    const sm = this.g.anatomy.symbol.exec(rest);
    const func = sm?.groups?.["func"];
    if (!sm || !func || /^0x[0-9a-f]+$/.test(func)) return null;
    const offset = sm.groups?.["off"] ?? null;
    const size = sm.groups?.["size"] ?? null;
    const f: Frame = { function: func, offset, size, module: sm.groups?.["mod"] ?? null, reliable: plausible(offset, size), context: null };
    if (sm.groups?.["buildid"]) f.buildId = sm.groups["buildid"];
    return f;
  }

  private parseFrame(t: string, ctx: FrameContext): Frame | null {
    const a = this.g.anatomy;
    let m = a.frame.exec(t);
    if (m?.groups?.["func"]) {
      const gr = m.groups;
      const f: Frame = {
        function: gr["func"]!,
        offset: gr["off"] ?? null,
        size: gr["size"] ?? null,
        module: gr["mod"] ?? null,
        // A return address at +0x0 belongs to the function before (a noreturn call
        // was its last instruction): the printed name is not the caller.
        reliable: !gr["q"] && !gr["unreliable"] && plausible(gr["off"] ?? null, gr["size"] ?? null) && !/^0x0+$/.test(gr["off"] ?? ""),
        context: ctx,
      };
      if (gr["addr"]) f.address = gr["addr"];
      if (gr["buildid"]) f.buildId = gr["buildid"];
      this.armCaller = null;
      return f;
    }
    m = a.frameInline.exec(t);
    if (m?.groups?.["func"]) {
      this.armCaller = null;
      return { function: m.groups["func"], offset: null, size: null, module: null, reliable: true, context: ctx };
    }
    m = a.frameArm.exec(t);
    if (m?.groups?.["func"]) {
      // "(callee) from [<..>] (caller+0x54/0xa0)": the caller is only printed as the
      // next line's callee, so the last line's caller would be lost.
      this.armCaller = m.groups["caller"] ?? null;
      this.armCallerAt = m.groups["coff"] ? { offset: m.groups["coff"], size: m.groups["csize"] ?? null, module: m.groups["cmod"] ?? null } : null;
      return { function: m.groups["func"], offset: null, size: null, module: m.groups["mod"] ?? null, reliable: true, context: ctx };
    }
    return null;
  }

  private startStack(label: string, nmi = false): void {
    if (this.stack) {
      if (this.stack.frames.length === 0 && !nmi) {
        // "Call Trace:" after "stack backtrace:" or "NMI backtrace for cpu N": same stack.
        this.stack.pending = 0;
        return;
      }
      this.finishStack();
    }
    const secondary = this.nextSecondary;
    this.nextSecondary = null;
    this.stack = {
      label: secondary ?? label,
      frames: [],
      ctx: null,
      depth: 0,
      pending: 0,
      panic: this.state === "panic" && !this.kind.panic && !(this.panicCaller !== null && this.own),
      secondary: secondary !== null,
      afterIrq: 0,
      recorded: false,
    };
    this.resumable = null;
  }

  /** The report started its own trace ("Call Trace:", not another CPU's) and no frame came. */
  private emptyTraceStarted(): boolean {
    return this.sawEmptyTrace || (this.stack !== null && isEmptyOwnTrace(this.stack));
  }
  private sawEmptyTrace = false;

  finishStack(): void {
    const s = this.stack;
    if (s && this.primary === null && isEmptyOwnTrace(s)) this.sawEmptyTrace = true;
    this.stack = null;
    const armCaller = this.armCaller;
    const armAt = this.armCallerAt;
    this.armCaller = null;
    this.armCallerAt = null;
    if (!s || s.frames.length === 0 || s.recorded) return;
    if (armCaller !== null && s.frames[s.frames.length - 1]!.function !== armCaller && s.frames.length < 200) {
      s.frames.push({ function: armCaller, offset: armAt?.offset ?? null, size: armAt?.size ?? null, module: armAt?.module ?? null, reliable: true, context: s.ctx });
    }
    s.recorded = true;
    if (this.primary === null && !s.panic && !s.secondary) this.primary = s.frames;
    else this.stacks.push({ label: s.panic ? "panic" : s.label, frames: s.frames });
  }

  /** Builds the final, immutable report of this incident. */
  finish(sourceName: string, boot: BootContext): Incident {
    this.finishStack();
    const f = this.format;
    // Old kernels print the panic (and its stack) before the report's own stack: use it.
    const frames = this.primary ?? this.stacks.find((st) => st.label === "panic")?.frames ?? [];
    const skip = f.skipAll;
    const caps: Record<string, string> = { ...this.captured, ...this.caps };

    // Guilty function.
    let guilty: string | null = null;
    let corruptedBy: string | null = null;
    if (f.extractor === "stall") {
      let task = frames.some((fr) => fr.context === "task") ? frames.filter((fr) => fr.context !== "irq" && fr.context !== "nmi") : frames;
      // RCU stalls: the code that looped is what the timer interrupt interrupted,
      // below its entry frame, whatever the context (as syzbot reads them).
      const irqEntry = f.kind === "rcu-stall" ? frames.findIndex((fr) => fr.function.includes("apic_timer_interrupt")) : -1;
      if (irqEntry >= 0 && irqEntry < frames.length - 1) task = frames.slice(irqEntry + 1);
      // The interrupted instruction is the stack's top frame (syzbot reads "RIP:" first).
      const ip = this.ip && this.ip.reliable && frames[0]?.function !== this.ip.function ? [{ ...this.ip, context: "task" as const }] : [];
      const top = [...ip, ...task];
      const fr = irqEntry >= 0
        ? stallFrame(top, skip) ?? stallFrame(top, skip, true)
        : stallFrame(top, skip) ?? stallFrame(frames, skip) ?? stallFrame(top, skip, true);
      guilty = fr ? stallName(fr.function) : null;
      if (!guilty && this.ip && !isSkipped(this.ip.function, skip)) guilty = stallName(this.ip.function);
      if (!guilty && f.kind === "rcu-stall") {
        // The stalled CPU's stack is often only in an "NMI backtrace for cpu N" dump.
        for (const st of this.stacks) {
          if (!st.label.startsWith("NMI backtrace") && !st.label.startsWith("Task dump for cpu")) continue;
          // The timer interrupt's entry (x86 apic_timer_interrupt, arm64 el1h_64_irq): above it, what looped.
          const at = st.frames.findIndex((x) => x.function.includes("apic_timer_interrupt") || x.function === "el1h_64_irq" || x.function === "el1_irq");
          if (at < 0) continue;
          const nf = stallFrame(st.frames.slice(at + 1), skip);
          if (nf) {
            guilty = stallName(nf.function);
            break;
          }
        }
      }
    } else if (f.extractor === "hang") {
      const h = hangFrame(frames.filter((fr) => !isSkipped(fr.function, skip)));
      guilty = h ? h.name : null;
    } else {
      for (const src of f.guilty) {
        if (src === "ip") {
          const ip = this.ip;
          if (ip && ip.reliable && !isSkipped(ip.function, skip)) guilty = titleName(ip.function);
          else if (ip && this.lr && this.lr.reliable && !isSkipped(this.lr.function, skip)) {
            // The fault hit a leaf (memcpy) or a bogus address: arm64's unwinder then
            // misses the caller, which only the link register names.
            const i = frames.findIndex((f) => f.function === ip.function);
            if (i >= 0 && frames[i + 1]?.function !== this.lr.function) guilty = titleName(this.lr.function);
          }
        } else if (src === "stack") {
          const fr = firstUnskipped(frames, skip);
          // A fault-injection stack (should_fail) mixed into the report's own before
          // the blamed frame: the frames cannot be trusted (syzbot: corrupted).
          const sf = frames.findIndex((x) => /^should_fail/.test(x.function));
          if (fr && sf >= 0 && sf <= frames.indexOf(fr)) {
            corruptedBy ??= "fault-injection-stack";
            break;
          }
          if (fr) guilty = titleName(fr.function);
          else if (frames.length > 0 && !frames.some((x) => x.reliable)) {
            // Execution jumped somewhere the unwinder cannot vouch for (EXEC_* faults):
            // the best lead is the first "?" frame, flagged as such.
            const q = frames.find((x) => !isSkipped(x.function, skip));
            if (q) {
              guilty = titleName(q.function);
              this.notes.push(`guilty function taken from an unreliable ("?") frame: every frame of the stack was unreliable`);
            }
          }
        } else {
          const fn = caps[src];
          if (fn && !isSkipped(fn, skip)) guilty = titleName(fn);
          else if (!(src in this.caps)) {
            const next = this.capturedAll[src]?.find((x) => !isSkipped(x, skip));
            if (next) guilty = titleName(next);
          }
        }
        if (guilty) break;
      }
    }

    let corruptedReason: string | null = f.corrupted ?? corruptedBy ?? (this.interleaved ? "interleaved-report" : null);
    const needsGuilty = f.title.includes("{guilty}");
    if (!corruptedReason && needsGuilty && guilty === null) corruptedReason = frames.length === 0 && !this.ip ? "no-stack-trace" : "no-guilty-frame";
    if (!corruptedReason && !f.noStack && frames.length === 0) corruptedReason = this.truncated ? "truncated" : "no-stack-trace";
    // A sanitizer report with an Oops or another report inside it (the reporting itself faulted
    // or warned, e.g. fetching the allocation stack): what it says after that is not the report.
    if (!corruptedReason && this.kind.untilEnd && !this.kind.die && (this.die !== null || this.innerReport)) corruptedReason = "report-inside-report";
    if (!corruptedReason && this.unwinderWarned) corruptedReason = "unreliable-unwind";
    // A "Call Trace:" the report began, and then the log ended before any frame: even a kind
    // that needs no stack was cut short (a panic whose "Kernel Offset"/"Rebooting" lines
    // follow an empty trace is complete: the kernel printed no frames).
    if (!corruptedReason && this.endedBy === "end of input" && frames.length === 0 && this.rawFrames.length === 0 && this.emptyTraceStarted()) corruptedReason = "truncated";

    // "primary || fallback": the fallback is used (and the report is corrupted)
    // when a placeholder of the primary has no value, e.g. KASAN's access line is missing.
    let tpl = f.title;
    let fellBack = false;
    const alt = tpl.indexOf(" || ");
    if (alt >= 0) {
      const primary = tpl.slice(0, alt);
      const values: Record<string, string> = { ...caps, guilty: guilty ?? "corrupted" };
      const names = [...dropUnfilledSegments(primary, values).matchAll(/\{\??([A-Za-z][A-Za-z0-9]{0,63})\}/g)].map((x) => x[1]!);
      if (names.every((n) => values[n] !== undefined)) tpl = primary;
      else {
        tpl = tpl.slice(alt + 4);
        fellBack = true;
        const missing = names.find((n) => values[n] === undefined);
        corruptedReason ??= `missing-${missing ?? "line"}`;
      }
    }
    let title = renderTitle(tpl, { ...caps, guilty: guilty ?? "corrupted" });
    if (f.sanitize || fellBack) title = sanitizeTitle(title);
    if (title.length > MAX_TITLE) title = title.slice(0, MAX_TITLE);

    const fault = this.buildFault(caps);
    const fp = fingerprintOf(f.kind, frames, skip, title);
    const uptime = this.header.time;
    const inc: Incident = {
      id: fnv1a64(`${sourceName}\u0000${this.startLine}\u0000${this.headerText}`).slice(0, 12),
      title,
      class: f.class,
      kind: f.kind,
      recognizer: this.kind.id,
      guilty,
      fatal: this.kind.panic || this.panicMessage !== null,
      corrupted: corruptedReason !== null,
      corruptedReason,
      headline: this.headerText,
      panic: this.panicMessage !== null ? { message: this.panicMessage } : null,
      oops: this.die ? { code: this.die.code, counter: this.die.counter, flags: this.die.flags, message: this.die.message } : null,
      fault,
      oom: this.format.kind === "oom-kill" ? oomOf(caps, this.taskWithFallback(caps)) : null,
      ...(this.format.kind === "machine-check" && caps["status"] ? mceOf(caps) : {}),
      ...(caps["edactype"] ? edacOf(caps) : {}),
      task: this.taskWithFallback(caps),
      kernel: {
        release: this.release ?? boot.release,
        version: this.version ?? boot.version,
        tainted: this.tainted,
        taint: this.taint,
        hardware: this.hardware,
        ...(this.buildId ? { buildId: this.buildId } : {}),
      },
      location: caps["file"] && caps["line"] ? { file: caps["file"], line: Number(caps["line"]) } : null,
      ip: this.ip,
      frames,
      stacks: this.stacks,
      modules: this.modules,
      kaslrOffset: this.kaslrOffset,
      arch: this.arch ?? archOfRelease(this.release ?? boot.release),
      ...(this.ipAddress !== null || (this.rawFrames.length > 0 && frames.length === 0)
        ? { unnamed: { ip: this.ipAddress === null ? null : normalizeRawAddress(this.ipAddress), frames: frames.length === 0 ? this.rawFrames : [] } }
        : {}),
      time: {
        uptime,
        ...(this.header.wallTime !== undefined ? { wallClock: this.header.wallTime, ...(this.header.wallTimeApproximate ? { approximate: true } : {}) } : {}),
        ...(this.header.bootId !== undefined ? { bootId: this.header.bootId } : {}),
      },
      source: { name: sourceName, startLine: this.startLine, endLine: this.endLine },
      text: this.lines,
      fingerprint: fp,
      details: caps,
      notes: this.notes,
      hints: [],
    };
    if (this.droppedLines > 0) this.notes.push(`${this.droppedLines} further lines of this incident were not kept`);
    return inc;
  }

  private taskWithFallback(caps: Record<string, string>): Incident["task"] {
    const t = { ...this.task };
    // The header names the task when the reporter is another one (khungtaskd for hung tasks).
    if (caps["pid"] && t.pid !== null && Number(caps["pid"]) !== t.pid) {
      return { pid: Number(caps["pid"]), comm: caps["comm"] ?? null, cpu: caps["cpu"] ? Number(caps["cpu"]) : null };
    }
    if (t.pid === null && caps["pid"]) t.pid = Number(caps["pid"]);
    if (t.comm === null && caps["comm"]) t.comm = caps["comm"];
    if (t.cpu === null && caps["cpu"]) t.cpu = Number(caps["cpu"]);
    return t;
  }

  private buildFault(caps: Record<string, string>): Incident["fault"] {
    const isFaultKind = /page-fault|null-pointer|exec-protected|general-protection|unhandled-fault|stack-overflow/.test(this.format.kind);
    const address = caps["address"] ?? (isFaultKind && this.cr2 !== null ? this.cr2 : null);
    let errorCode: string | null = null;
    let code: number | null = null;
    const pf = parsePfLines(this.pfLines);
    for (const p of pf) if (p.code !== undefined && code === null) code = p.code;
    if (code === null && this.die?.code && /^[0-9a-f]{4}$/.test(this.die.code) && /page-fault|null-pointer|exec-protected/.test(this.format.kind) && this.memAbort.length === 0) {
      code = parseInt(this.die.code, 16);
    }
    // A user-space segfault line carries the page-fault error code itself (hex).
    if (code === null && caps["pferror"] !== undefined && /^[0-9a-f]{1,4}$/.test(caps["pferror"])) code = parseInt(caps["pferror"], 16);
    if (code !== null) errorCode = "0x" + code.toString(16).padStart(4, "0");
    let esr: NonNullable<Incident["fault"]>["esr"];
    const esrLine = this.memAbort.find((l) => /^\s*ESR = /.test(l)) ?? (caps["esr"] !== undefined ? `ESR = ${caps["esr"]}` : undefined);
    if (esrLine) {
      const v = /ESR = (0x[0-9a-fA-F]{1,16})/.exec(esrLine)?.[1];
      if (v) {
        try {
          const d = decodeEsr(v);
          esr = { value: d.esr, class: d.ecName, summary: d.summary };
          for (const msg of crossCheckEsr(v, this.memAbort)) this.notes.push(`decode mismatch: ${msg}`);
        } catch {
          /* unparseable ESR: leave it out */
        }
      }
    }
    if (!isFaultKind && address === null && code === null && !esr) return null;
    const nullBits = { present: null, write: null, user: null, reservedBit: null, instructionFetch: null, protectionKey: null, shadowStack: null, sgx: null, rmp: null };
    let bits: NonNullable<Incident["fault"]>["bits"] = nullBits;
    let summary: string | null = null;
    if (code !== null) {
      const d = decodePageFault(code);
      bits = { ...d.bits };
      summary = d.summary + (address ? ` at ${compactHex(address)}` : "");
      for (const msg of crossCheckPf(code, this.pfLines)) this.notes.push(`decode mismatch: ${msg}`);
    } else if (esr) {
      summary = esr.summary + (address ? ` at ${compactHex(address)}` : "");
    }
    const out: NonNullable<Incident["fault"]> = { address: address === null ? null : normalizeHex(address), errorCode, bits, summary };
    if (esr) out.esr = esr;
    return out;
  }
}

function num(v: string | undefined): number | null {
  return v === undefined ? null : Number(v);
}

function oomOf(caps: Record<string, string>, task: Incident["task"]): NonNullable<Incident["oom"]> {
  return {
    invoker: { comm: caps["comm"] ?? task.comm, pid: task.comm === (caps["comm"] ?? task.comm) ? task.pid : null },
    gfpMask: caps["gfpMask"] ?? null,
    gfpFlags: caps["gfpFlags"] ? caps["gfpFlags"].split("|").filter(Boolean) : [],
    order: num(caps["order"]),
    oomScoreAdj: num(caps["oomScoreAdj"]),
    constraint: caps["constraint"] ?? null,
    victim:
      caps["victimPid"] !== undefined && caps["victim"] !== undefined
        ? {
            pid: Number(caps["victimPid"]),
            comm: caps["victim"],
            totalVmKb: num(caps["totalVmKb"]),
            anonRssKb: num(caps["anonRssKb"]),
            fileRssKb: num(caps["fileRssKb"]),
            shmemRssKb: num(caps["shmemRssKb"]),
            pgtablesKb: num(caps["pgtablesKb"]),
            uid: num(caps["uid"]),
            oomScoreAdj: num(caps["victimOomScoreAdj"]),
          }
        : null,
  };
}

/** 0000000000000000 → 0x0, ffffffffc0361140 → 0xffffffffc0361140 */
function compactHex(a: string): string {
  const h = a.replace(/^0x/i, "").replace(/^0+/, "").toLowerCase();
  return "0x" + (h || "0");
}

/**
 * An offset past the end of the symbol means the address is not in any known
 * function (lkdtm's EXEC_* tests jump into data): the name is only the nearest
 * symbol before it, so it must not be blamed.
 */
function plausible(offset: string | null, size: string | null): boolean {
  if (offset === null || size === null) return true;
  return parseInt(offset, 16) <= parseInt(size, 16);
}

function normalizeHex(a: string): string {
  return a.startsWith("0x") ? a.toLowerCase() : "0x" + a.toLowerCase();
}

export function panicMessageOf(text: string): string {
  const i = text.indexOf("not syncing:");
  if (i >= 0) return text.slice(i + "not syncing:".length).trim();
  const j = text.indexOf("Kernel panic:");
  return j >= 0 ? text.slice(j + "Kernel panic:".length).trim() : text.trim();
}

export function looksLikeModuleList(t: string): boolean {
  const s = t.trim();
  if (!s || s.includes(":") && !s.includes("[last unloaded:")) return false;
  const body = s.replace(/\[last unloaded: [^\]]{1,128}\]/, "").trim();
  if (!body) return true;
  const toks = body.split(/\s+/);
  return toks.length >= 1 && toks.every((x) => MODULE_TOKEN.test(x));
}

/**
 * Fills `{name}` placeholders. A `[[...]]` segment is dropped when a placeholder
 * inside it has no value; elsewhere a missing placeholder disappears with one
 * adjacent space. `{?name}` prints nothing: it only makes the `primary || fallback`
 * choice (see finish()) depend on `name` having been captured.
 */
export function renderTitle(tpl: string, values: Record<string, string>): string {
  return dropUnfilledSegments(tpl, values)
    .replace(/\{\?[A-Za-z][A-Za-z0-9]{0,63}\}/g, "")
    .replace(/ ?\{([A-Za-z][A-Za-z0-9]*)\}/g, (m, name: string) => {
      const v = values[name];
      if (v === undefined) return "";
      return (m.startsWith(" ") ? " " : "") + v;
    })
    .trim();
}

function dropUnfilledSegments(tpl: string, values: Record<string, string>): string {
  let out = "";
  let at = 0;
  for (let open = tpl.indexOf("[["); open >= 0; open = tpl.indexOf("[[", at)) {
    const close = tpl.indexOf("]]", open + 2);
    if (close < 0) break;
    const seg = tpl.slice(open + 2, close);
    const names = [...seg.matchAll(/\{([A-Za-z][A-Za-z0-9]{0,63})\}/g)].map((x) => x[1]!);
    out += tpl.slice(at, open) + (names.every((n) => values[n] !== undefined) ? seg : "");
    at = close + 2;
  }
  return out + tpl.slice(at);
}

/** Replaces volatile numbers in free-text titles: func+0x1/0x2 → func, addresses → ADDR, numbers → NUM. */
export function sanitizeTitle(t: string): string {
  return t
    .replace(/(?<=[A-Za-z0-9_.$])\+0x[0-9a-f]{1,16}\/0x[0-9a-f]{1,16}/g, "")
    .replace(/\b0x[0-9a-fA-F]{1,16}\b/g, "ADDR")
    .replace(/\b[0-9a-fA-F]{8,16}\b/g, "ADDR")
    .replace(/\b[0-9]{1,12}\b/g, "NUM");
}

/** Stable across runs, machines, KASLR, offsets and compiler suffixes. */
/**
 * The architecture a register-dump line belongs to (Linux arch names, 64-bit
 * variants where the line tells): x86 `RIP:`/`EIP:`, arm64 `pc : func` or
 * `pstate:`, arm `pc : [<c0...>]`/`PC is at`, riscv `epc :`, powerpc `NIP`,
 * s390 `Krnl PSW`. Null for every other line.
 */
function archOfLine(t: string): string | null {
  const c = t.charCodeAt(0);
  if (c === 82 /* R */) return t.startsWith("RIP: ") ? "x86_64" : null;
  if (c === 69 /* E */) return t.startsWith("EIP: ") ? "i386" : null;
  if (c === 112 /* p */) {
    if (t.startsWith("pc : [<") || t.startsWith("pc : [")) return "arm";
    if (t.startsWith("pc : ") || t.startsWith("pstate: ")) return "arm64";
    return null;
  }
  if (c === 80 /* P */) return t.startsWith("PC is at ") ? "arm" : null;
  if (c === 101 /* e */) {
    // "epc : func+0x28/0x7a" first, then "epc : ffffffff01e6f650 ra : ...": the address width tells.
    const m = /^epc : ([0-9a-f]{8,16}) /.exec(t);
    return m ? (m[1]!.length === 16 ? "riscv64" : "riscv32") : null;
  }
  if (c === 78 /* N */) {
    const m = /^NIP:? {0,2}\[?([0-9a-f]{8,16})/.exec(t);
    return m ? (m[1]!.length > 8 ? "powerpc64" : "powerpc") : null;
  }
  if (c === 75 /* K */) return t.startsWith("Krnl PSW : ") ? "s390x" : null;
  return null;
}

/** Debian's (and most distributions') kernel flavour names the architecture: 6.1.0-56-amd64. */
function archOfRelease(release: string | null): string | null {
  if (!release) return null;
  const m = /[-.+_](amd64|x86_64|arm64|aarch64|armmp(?:-lpae)?|armv7l?|riscv64|powerpc64le|ppc64le|ppc64|s390x|686(?:-pae)?|i686)(?:$|[-.+_])/.exec(release);
  if (!m) return null;
  const f = m[1]!;
  if (f === "amd64" || f === "x86_64") return "x86_64";
  if (f === "arm64" || f === "aarch64") return "arm64";
  if (f.startsWith("armmp") || f.startsWith("armv7")) return "arm";
  if (f === "riscv64") return "riscv64";
  if (f.startsWith("powerpc64") || f.startsWith("ppc64")) return "powerpc64";
  if (f === "s390x") return "s390x";
  return "i386";
}

/** The bank status of an x86 machine check, decoded. */
function mceOf(caps: Record<string, string>): Pick<Incident, "mce"> {
  const d = decodeMceStatus(caps["status"] ?? "");
  if (!d) return {};
  return {
    mce: {
      bank: Number(caps["bank"]),
      ...d,
      mcgStatus: caps["mcgstatus"] ? "0x" + caps["mcgstatus"] : null,
      address: caps["address"] ? "0x" + caps["address"] : null,
      message: caps["mcemsg"] ?? null,
    },
  };
}

/** An EDAC report's fields. */
function edacOf(caps: Record<string, string>): Pick<Incident, "edac"> {
  const e = decodeEdac(caps);
  return e ? { edac: e } : {};
}

/** User-mode code selectors (x86_64 and i386 user CS). */
const USER_CS = new Set(["0033", "0023", "002b", "0073", "007b"]);

/** Whether an ip line with a bare address is the kernel's: by its code selector, else by the address half. */
function kernelIp(line: string, addr: string): boolean {
  const sel = /^[RE]IP: ([0-9a-f]{4}):/.exec(line);
  if (sel) return !USER_CS.has(sel[1]!);
  const hex = addr.replace(/^0x/, "");
  if (hex.length === 16) return /^[89a-f]/.test(hex);
  return hex.length === 8 && /^[c-f]/.test(hex);
}

/** An i386 ip line that gives a bare user-space address ("EIP: 0xb7f3c559"). */
function userIpLine(line: string, rest: string): boolean {
  if (!line.startsWith("EIP: ")) return false;
  const addr = /^(0x[0-9a-f]{1,16}|[0-9a-f]{8,16})$/.exec(rest.trim())?.[1];
  return addr !== undefined && !kernelIp(line, addr);
}

/** A trace of the report's own ("Call Trace:", not another CPU's or the panic's) without a frame. */
function isEmptyOwnTrace(s: { frames: readonly unknown[]; secondary: boolean; panic: boolean; label: string }): boolean {
  return s.frames.length === 0 && !s.secondary && !s.panic && /^(?:Call [Tt]race|Backtrace|stack backtrace)$/.test(s.label);
}

/** "ffffffff81234567" or "0xffff..." → "0xffff...". */
function normalizeRawAddress(a: string): string {
  return a.startsWith("0x") ? a : "0x" + a;
}

export function fingerprintOf(kind: string, frames: readonly Frame[], skip: readonly string[], title: string): string {
  const names: string[] = [];
  for (const f of frames) {
    if (!f.reliable || isSkipped(f.function, skip)) continue;
    names.push(baseName(f.function));
    if (names.length === 6) break;
  }
  const basis = names.length ? `${kind}|${names.join(",")}` : `${kind}|${sanitizeTitle(title)}`;
  return fnv1a64(basis);
}
