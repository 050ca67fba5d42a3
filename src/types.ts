/**
 * The data model shared by every layer: normalized log records, incidents and
 * diagnostics. Field names of {@link Incident} are a contract (see
 * `schema/report.schema.json`): other tools read them, so rename nothing.
 */

/** One normalized kernel log line, whatever format it came in. */
export interface LogRecord {
  /** 1-based line number in its source. */
  line: number;
  /** The message text: prefixes (level, timestamp, caller id) removed, CR and ANSI escapes stripped. */
  text: string;
  /** Monotonic seconds since boot (`[   90.192379]`), or null when the line had none. */
  time: number | null;
  /** Syslog level 0-7 (`<3>`), or null. */
  level: number | null;
  /** Facility number when the format carries one, else null. */
  facility: number | null;
  /** printk caller id: `T123` (task) or `C1` (CPU), or null. */
  caller: string | null;
  /** The line as read (minus line terminator), for incident text. */
  raw: string;
  /** Wall-clock time in ISO 8601 when the format has one. */
  wallTime?: string;
  /** The wall-clock time was derived from uptime (dmesg -T): wrong after a suspend. */
  wallTimeApproximate?: boolean;
  /** Record sequence number (kmsg, journald), when known. */
  seq?: number;
  /** Host name (syslog, journald), when known. */
  host?: string;
  /** journald's boot id (`_BOOT_ID`, 32 hex digits), when the format carries one. */
  bootId?: string;
}

export type IncidentClass =
  | "panic"
  | "oops"
  | "bug"
  | "warning"
  | "lockup"
  | "hang"
  | "stall"
  | "memory-safety"
  | "lockdep"
  | "oom"
  | "hardware"
  | "other";

export const INCIDENT_CLASSES: readonly IncidentClass[] = [
  "panic",
  "oops",
  "bug",
  "warning",
  "lockup",
  "hang",
  "stall",
  "memory-safety",
  "lockdep",
  "oom",
  "hardware",
  "other",
];

/** Stack context a frame was printed in, from `<TASK>`/`<IRQ>`/`<SOFTIRQ>`/`<NMI>` markers. */
export type FrameContext = "task" | "irq" | "softirq" | "nmi" | null;

export interface Frame {
  function: string;
  offset: string | null;
  size: string | null;
  module: string | null;
  /** False for frames printed with a leading `?` (guessed from stack contents). */
  reliable: boolean;
  context: FrameContext;
  address?: string;
  /** The module's build id, when the kernel prints it (`[mod 8ff0...]`, CONFIG_STACKTRACE_BUILD_ID). */
  buildId?: string;
  /** Source file of the frame's function at this address (tree-relative), added by symbolization. */
  file?: string;
  line?: number | null;
  /** Functions the compiler inlined at this address, innermost first (symbolization). */
  inlined?: InlinedFrame[];
}

/** What an unnamed address turned out to be. */
export interface UnnamedResolution {
  function: string;
  offset: string;
  module: string | null;
  file?: string;
  line?: number | null;
  inlined?: InlinedFrame[];
}

/** One inlined call level: the inlined function and the source line inside it. */
export interface InlinedFrame {
  function: string;
  file: string | null;
  line: number | null;
}

/** The decoded `Code:` bytes: instructions around the faulting one. */
export interface CodeInfo {
  arch: string;
  instructions: Array<{
    /** Bytes from the faulting instruction (negative before it). */
    offset: number;
    bytes: string;
    text: string;
    faulting: boolean;
  }>;
}

/** What symbolization did for an incident. */
export interface SymbolizationInfo {
  /** Frames (ip and every stack) given a file. */
  resolved: number;
  /** Frames that could not be, with the first reasons. */
  unresolved: number;
  reasons: string[];
  /** Symbol objects used (paths as given). */
  objects: string[];
  /** The faulting source line, when `--source` holds the file. */
  source?: { file: string; line: number; text: string };
}

export interface PageFaultInfo {
  address: string | null;
  errorCode: string | null;
  bits: {
    present: boolean | null;
    write: boolean | null;
    user: boolean | null;
    reservedBit: boolean | null;
    instructionFetch: boolean | null;
    protectionKey: boolean | null;
    shadowStack: boolean | null;
    sgx: boolean | null;
    rmp: boolean | null;
  };
  summary: string | null;
  /** arm64: the decoded ESR, when a `Mem abort info:` block was present. */
  esr?: { value: string; class: string; summary: string };
}

export interface OomInfo {
  invoker: { comm: string | null; pid: number | null };
  gfpMask: string | null;
  gfpFlags: string[];
  order: number | null;
  oomScoreAdj: number | null;
  constraint: string | null;
  victim: {
    pid: number;
    comm: string;
    totalVmKb: number | null;
    anonRssKb: number | null;
    fileRssKb: number | null;
    shmemRssKb: number | null;
    pgtablesKb: number | null;
    uid: number | null;
    oomScoreAdj: number | null;
  } | null;
}

/** An x86 machine-check bank status (IA32_MCi_STATUS) in words. */
export interface MceStatusInfo {
  status: string;
  /** Set flags: VAL, OVER, UC, EN, MISCV, ADDRV, PCC, S, AR. */
  flags: string[];
  corrected: boolean;
  /** The MCA error code (bits 15:0), e.g. "0x0090". */
  errorCode: string;
  /** The error code's class and detail, e.g. "memory controller read error (channel 0)". */
  error: string;
  /** One sentence: severity, then what failed. */
  summary: string;
}

/** An EDAC error report (drivers/edac) in fields (src/decode/edac.ts). */
export interface EdacInfo {
  /** "mc": a memory controller's (`EDAC MC0: ...`); "device": another EDAC device's (`EDAC DEVICE0: ...`: caches, on-chip RAM). */
  source: "mc" | "device";
  /** The controller's or device's number; null when only the panic line told of it. */
  index: number | null;
  corrected: boolean;
  /** Errors this one report counts (null: the panic line has no count). */
  count: number | null;
  /** The driver's description ("memory read error"); null when it gave none. */
  message: string | null;
  /** mc: the DIMM label(s) (several when the controller cannot tell which), or "any memory" / "unknown memory". */
  labels: string[];
  /** mc: where the controller placed the error, as printed ("channel:0 slot:0"); null when it could not. */
  location: string | null;
  /** mc: that location's layers, e.g. {channel: "0", slot: "0"}. */
  layers: Record<string, string>;
  /** mc: the page frame (in the kernel's PAGE_SIZE units) and the offset in it. */
  page: string | null;
  offset: string | null;
  /** mc: the reporting granularity in bytes. */
  grain: number | null;
  /** mc: the ECC syndrome (corrected errors). */
  syndrome: string | null;
  /** mc: the driver's own detail (after " - "). */
  detail: string | null;
  /** device: the controller, instance and block names. */
  controller: string | null;
  instance: string | null;
  block: string | null;
}

export interface TaintFlagInfo {
  letter: string;
  bit: number | null;
  meaning: string;
}

export interface Stack {
  /** What the stack belongs to: `primary`, `panic`, `nmi-backtrace cpu 1`, `allocated`, `freed`... */
  label: string;
  frames: Frame[];
}

export interface Incident {
  id: string;
  title: string;
  class: IncidentClass;
  kind: string;
  /** The grammar entry that recognized it. */
  recognizer: string;
  guilty: string | null;
  fatal: boolean;
  corrupted: boolean;
  corruptedReason: string | null;
  /** The header line's text (timestamp and prefixes removed). */
  headline: string;
  panic: { message: string } | null;
  oops: { code: string | null; counter: number | null; flags: string[]; message: string | null } | null;
  fault: PageFaultInfo | null;
  /** OOM kills: who asked for memory, what was killed and how much it held. */
  oom: OomInfo | null;
  /** x86 machine checks: the bank status decoded (src/decode/mce.ts). */
  mce?: MceStatusInfo & {
    bank: number;
    mcgStatus: string | null;
    address: string | null;
    /** The kernel's verdict when fatal ("Processor Context Corrupt"). */
    message: string | null;
  };
  /** EDAC memory-controller and device error reports (src/decode/edac.ts). */
  edac?: EdacInfo;
  task: { pid: number | null; comm: string | null; cpu: number | null };
  kernel: {
    release: string | null;
    version: string | null;
    tainted: boolean | null;
    taint: TaintFlagInfo[];
    hardware: string | null;
    /** vmlinux build id from the `CPU:` line (CONFIG_STACKTRACE_BUILD_ID). */
    buildId?: string;
  };
  /** Source location the kernel printed (`kernel BUG at mm/slub.c:419!`, WARNING's `at file:line`). */
  location: { file: string; line: number } | null;
  ip: Frame | null;
  frames: Frame[];
  /** Further stacks printed with the incident (panic, NMI backtraces, alloc/free stacks). */
  stacks: Stack[];
  modules: string[];
  kaslrOffset: string | null;
  /** The architecture, from the log (register dump shape, else the kernel release's flavour), not the host. */
  arch: string | null;
  /**
   * Addresses the kernel printed without a name: `RIP: 0010:0xffff...`, and a
   * whole trace of bare addresses (a kernel without kallsyms). Symbolization
   * names them through `Kernel Offset:` and a symbol table.
   */
  unnamed?: {
    ip: string | null;
    frames: Array<{ address: string; reliable: boolean; resolved?: UnnamedResolution }>;
    ipResolved?: UnnamedResolution;
  };
  /** `bootId`: journald's boot id, when the input carried one (uptime counts from that boot). */
  time: { uptime: number | null; wallClock?: string; approximate?: boolean; bootId?: string };
  source: { name: string; startLine: number; endLine: number };
  text: string[];
  fingerprint: string;
  /** Every named value the recognizer captured (header and body), e.g. `address`, `file`, `victim`. */
  details: Record<string, string>;
  /** Notes the decoders attach: mismatches, how the guilty frame was chosen. */
  notes: string[];
  /** What the incident most likely means, in words (grammars/hints.yaml). */
  hints: string[];
  /** The `Code:` bytes disassembled (added by enrichment; absent for user-space code). */
  code?: CodeInfo;
  /** Present when symbols were given or found (`--symbols`). */
  symbolization?: SymbolizationInfo;
}

export type DiagnosticSeverity = "info" | "warning" | "error";

export interface Diagnostic {
  code:
    | "invalid-utf8"
    | "line-too-long"
    | "binary-input"
    | "printk-dropped"
    | "duplicate-incident"
    | "truncated-incident"
    | "incident-too-long"
    | "decode-mismatch"
    | "unreadable-input"
    | "empty-input"
    | "grammar"
    | "scan-limit"
    | "unsafe-entry"
    | "input-format"
    | "malformed-input"
    | "symbols";
  severity: DiagnosticSeverity;
  message: string;
  source?: string;
  line?: number;
}
