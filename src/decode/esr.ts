/**
 * arm64 ESR_ELx (Exception Syndrome Register) decoding.
 *
 * Sources: arch/arm64/include/asm/esr.h (field layout, EC values),
 * arch/arm64/kernel/traps.c esr_class_str[] (EC names), arch/arm64/mm/fault.c
 * fault_info[] (FSC names) and mem_abort_decode()/data_abort_decode() (the
 * "Mem abort info:" block), arch/arm64/include/asm/brk-imm.h (BRK comments).
 *
 * Layout: EC = bits 31:26, IL = bit 25, ISS = bits 24:0, ISS2 = bits 55:32.
 * Data/instruction abort ISS: ISV 24, SAS 23:22, SSE 21, SRT 20:16, SF 15,
 * AR 14, VNCR 13, SET 12:11, FnV 10, EA 9, CM 8, S1PTW 7, WnR 6, FSC 5:0.
 * Data abort ISS2: TnD 10, TagAccess 9, GCS 8, Overlay 6, DirtyBit 5, Xs 4:0.
 */

/** esr_class_str[] of arch/arm64/kernel/traps.c (mainline 6.x). Unlisted ECs print "UNRECOGNIZED EC". */
export const ESR_CLASS_NAMES: Readonly<Record<number, string>> = {
  0x00: "Unknown/Uncategorized",
  0x01: "WFI/WFE",
  0x03: "CP15 MCR/MRC",
  0x04: "CP15 MCRR/MRRC",
  0x05: "CP14 MCR/MRC",
  0x06: "CP14 LDC/STC",
  0x07: "ASIMD",
  0x08: "CP10 MRC/VMRS",
  0x09: "PAC",
  0x0c: "CP14 MCRR/MRRC",
  0x0d: "BTI",
  0x0e: "PSTATE.IL",
  0x11: "SVC (AArch32)",
  0x12: "HVC (AArch32)",
  0x13: "SMC (AArch32)",
  0x15: "SVC (AArch64)",
  0x16: "HVC (AArch64)",
  0x17: "SMC (AArch64)",
  0x18: "MSR/MRS (AArch64)",
  0x19: "SVE",
  0x1a: "ERET/ERETAA/ERETAB",
  0x1c: "FPAC",
  0x1d: "SME",
  0x1f: "EL3 IMP DEF",
  0x20: "IABT (lower EL)",
  0x21: "IABT (current EL)",
  0x22: "PC Alignment",
  0x24: "DABT (lower EL)",
  0x25: "DABT (current EL)",
  0x26: "SP Alignment",
  0x27: "MOPS",
  0x28: "FP (AArch32)",
  0x2c: "FP (AArch64)",
  0x2d: "Guarded Control Stack",
  0x2f: "SError",
  0x30: "Breakpoint (lower EL)",
  0x31: "Breakpoint (current EL)",
  0x32: "Software Step (lower EL)",
  0x33: "Software Step (current EL)",
  0x34: "Watchpoint (lower EL)",
  0x35: "Watchpoint (current EL)",
  0x38: "BKPT (AArch32)",
  0x3a: "Vector catch (AArch32)",
  0x3c: "BRK (AArch64)",
};

/** Name printed for an EC missing from esr_class_str[]. */
export const UNRECOGNIZED_EC = "UNRECOGNIZED EC";

/** Kernel name for an exception class (esr_get_class_string()). */
export function esrClassName(ec: number): string {
  return ESR_CLASS_NAMES[ec] ?? UNRECOGNIZED_EC;
}

/** fault_info[].name of arch/arm64/mm/fault.c (mainline 6.7+ with LPA2 levels), indexed by FSC. */
export const FSC_NAMES: readonly string[] = [
  "ttbr address size fault",
  "level 1 address size fault",
  "level 2 address size fault",
  "level 3 address size fault",
  "level 0 translation fault",
  "level 1 translation fault",
  "level 2 translation fault",
  "level 3 translation fault",
  "level 0 access flag fault",
  "level 1 access flag fault",
  "level 2 access flag fault",
  "level 3 access flag fault",
  "level 0 permission fault",
  "level 1 permission fault",
  "level 2 permission fault",
  "level 3 permission fault",
  "synchronous external abort",
  "synchronous tag check fault",
  "unknown 18",
  "level -1 (translation table walk)",
  "level 0 (translation table walk)",
  "level 1 (translation table walk)",
  "level 2 (translation table walk)",
  "level 3 (translation table walk)",
  "synchronous parity or ECC error",
  "unknown 25",
  "unknown 26",
  "level -1 synchronous parity error (translation table walk)",
  "level 0 synchronous parity error (translation table walk)",
  "level 1 synchronous parity error (translation table walk)",
  "level 2 synchronous parity error (translation table walk)",
  "level 3 synchronous parity error (translation table walk)",
  "unknown 32",
  "alignment fault",
  "unknown 34",
  "unknown 35",
  "unknown 36",
  "unknown 37",
  "unknown 38",
  "unknown 39",
  "unknown 40",
  "level -1 address size fault",
  "unknown 42",
  "level -1 translation fault",
  "unknown 44",
  "unknown 45",
  "unknown 46",
  "unknown 47",
  "TLB conflict abort",
  "Unsupported atomic hardware update fault",
  "unknown 50",
  "unknown 51",
  "implementation fault (lockdown abort)",
  "implementation fault (unsupported exclusive)",
  "unknown 54",
  "unknown 55",
  "unknown 56",
  "unknown 57",
  "unknown 58",
  "unknown 59",
  "unknown 60",
  "section domain fault",
  "page domain fault",
  "unknown 63",
];

/** Names older kernels printed for some FSCs (4.x table), besides "unknown N". */
const FSC_LEGACY_NAMES: Readonly<Record<number, readonly string[]>> = {
  20: ["synchronous abort (translation table walk)"],
  21: ["synchronous abort (translation table walk)"],
  22: ["synchronous abort (translation table walk)"],
  23: ["synchronous abort (translation table walk)"],
  24: ["synchronous parity error"],
  28: ["synchronous parity error (translation table walk)"],
  29: ["synchronous parity error (translation table walk)"],
  30: ["synchronous parity error (translation table walk)"],
  31: ["synchronous parity error (translation table walk)"],
};

/** Kernel name of a fault status code (0..63). */
export function fscName(fsc: number): string {
  return FSC_NAMES[fsc & 0x3f] ?? `unknown ${fsc}`;
}

/** True if `name` is a name some kernel version prints for `fsc`. */
export function isKnownFscName(fsc: number, name: string): boolean {
  return (
    name === fscName(fsc) ||
    name === `unknown ${fsc}` ||
    (FSC_LEGACY_NAMES[fsc]?.includes(name) ?? false)
  );
}

/** Decoded data-abort ISS (and ISS2) fields; 0/1 values as the kernel prints them. */
export interface DataAbortInfo {
  /** Instruction syndrome valid: SAS/SSE/SRT/SF/AR are meaningful. */
  isv: number;
  /** log2 of the access size (only when isv). */
  sas?: number;
  /** Access size in bytes, 1 << sas (only when isv). */
  accessSize?: number;
  sse?: number;
  /** Register number transferred (only when isv). */
  srt?: number;
  /** 1: 64-bit register (x), 0: 32-bit (w) (only when isv). */
  sf?: number;
  /** Acquire/release semantics (only when isv). */
  ar?: number;
  vncr: number;
  set: number;
  fnv: number;
  ea: number;
  cm: number;
  s1ptw: number;
  wnr: number;
  fsc: number;
  fscName: string;
  /** ISS2 fields (present when the ESR was given as a 64-bit value). */
  tnd?: number;
  tagAccess?: number;
  gcs?: number;
  overlay?: number;
  dirtyBit?: number;
  xs?: number;
}

/** Decoded instruction-abort ISS fields. */
export interface InstructionAbortInfo {
  set: number;
  fnv: number;
  ea: number;
  s1ptw: number;
  fsc: number;
  fscName: string;
}

/** Decoded BRK (AArch64) comment. */
export interface BrkInfo {
  /** The BRK #imm16. */
  comment: number;
  /** What the kernel uses that immediate for (brk-imm.h). */
  meaning: string;
}

/** Result of {@link decodeEsr}. */
export interface EsrDecode {
  /** "0x" + 8 hex digits, or 16 when the value was printed/given as 64-bit. */
  esr: string;
  value: bigint;
  ec: number;
  ecName: string;
  il: 16 | 32;
  iss: number;
  iss2?: number;
  dataAbort?: DataAbortInfo;
  instructionAbort?: InstructionAbortInfo;
  brk?: BrkInfo;
  summary: string;
}

const ESR_HEX_RE = /^(?:0x)?([0-9a-fA-F]{1,16})$/;

function toBigInt(esr: bigint | number | string): { value: bigint; wide: boolean } {
  if (typeof esr === "bigint") {
    if (esr < 0n || esr >= 1n << 64n) throw new RangeError(`ESR out of range: ${esr}`);
    return { value: esr, wide: esr > 0xffffffffn };
  }
  if (typeof esr === "number") {
    if (!Number.isSafeInteger(esr) || esr < 0) throw new RangeError(`ESR must be a non-negative safe integer, got ${esr}`);
    return { value: BigInt(esr), wide: esr > 0xffffffff };
  }
  const m = ESR_HEX_RE.exec(esr.trim());
  if (!m) throw new RangeError(`not an ESR value: "${esr}"`);
  const digits = m[1] ?? "0";
  const value = BigInt("0x" + digits);
  return { value, wide: digits.length > 8 || value > 0xffffffffn };
}

function bits(v: number, lo: number, width: number): number {
  return Math.floor(v / 2 ** lo) % 2 ** width;
}

/** Describe a BRK #imm16 as the arm64 kernel uses it (asm/brk-imm.h). */
export function describeBrkComment(comment: number): string {
  const c = comment & 0xffff;
  if (c === 0x004) return "kprobe breakpoint";
  if (c === 0x005) return "uprobe breakpoint";
  if (c === 0x006) return "kprobe single-step breakpoint";
  if (c === 0x100) return "deliberate fault (FAULT_BRK_IMM, e.g. invalid instruction from text patching)";
  if (c === 0x400) return "KGDB dynamic breakpoint";
  if (c === 0x401) return "KGDB compiled-in breakpoint";
  if (c >= 0x402 && c <= 0x7ff) return "KGDB breakpoint";
  if (c === 0x800) return "BUG()/WARN() trap (BUG_BRK_IMM)";
  if ((c & ~0xff) === 0x900) {
    const access = c & 0x10 ? "write" : "read";
    const size = (c & 0x0f) === 0x0f ? "access size not encoded" : `${1 << (c & 0x0f)}-byte access`;
    const rec = c & 0x20 ? "recoverable" : "not recoverable";
    return `tag-based KASAN report: ${access}, ${size}, ${rec}`;
  }
  if ((c & ~0xff) === 0x5500) {
    return `UBSAN trap (check type 0x${(c & 0xff).toString(16).padStart(2, "0")})`;
  }
  if ((c & ~0x3ff) === 0x8000) {
    return `kCFI check failure (target register x${c & 0x1f}, type register x${(c >> 5) & 0x1f})`;
  }
  return "BRK immediate with no kernel meaning";
}

const EC_PHRASES: Readonly<Record<number, string>> = {
  0x00: "unknown reason (typically an undefined or unallocated instruction)",
  0x0d: "branch target identification (BTI) violation",
  0x0e: "illegal execution state (PSTATE.IL)",
  0x15: "system call (SVC) from AArch64",
  0x18: "trapped MSR/MRS/system instruction",
  0x1c: "pointer authentication failure (FPAC)",
  0x22: "misaligned program counter",
  0x26: "misaligned stack pointer",
  0x2d: "Guarded Control Stack exception",
  0x2f: "SError interrupt (asynchronous external abort)",
};

/**
 * Decode an arm64 ESR_ELx value (number, bigint, or hex string as printed,
 * e.g. "0000000096000045" or "0x96000045"). Throws RangeError on garbage.
 * 0x96000045 → summary "data abort from current EL: write, level 1 translation fault".
 */
export function decodeEsr(esr: bigint | number | string): EsrDecode {
  const { value, wide } = toBigInt(esr);
  const low = Number(value & 0xffffffffn);
  const iss2 = Number((value >> 32n) & 0xffffffn);
  const ec = bits(low, 26, 6);
  const il: 16 | 32 = bits(low, 25, 1) === 1 ? 32 : 16;
  const iss = low % 2 ** 25;
  const ecName = esrClassName(ec);
  const out: EsrDecode = {
    esr: "0x" + value.toString(16).padStart(wide ? 16 : 8, "0"),
    value,
    ec,
    ecName,
    il,
    iss,
    summary: "",
  };
  const withIss2 = wide || iss2 !== 0;
  if (withIss2) out.iss2 = iss2;

  const fsc = bits(low, 0, 6);
  const common = {
    set: bits(low, 11, 2),
    fnv: bits(low, 10, 1),
    ea: bits(low, 9, 1),
    s1ptw: bits(low, 7, 1),
    fsc,
    fscName: fscName(fsc),
  };
  const el = ec & 1 ? "current EL" : "lower EL";

  if (ec === 0x24 || ec === 0x25) {
    const da: DataAbortInfo = {
      isv: bits(low, 24, 1),
      vncr: bits(low, 13, 1),
      set: common.set,
      fnv: common.fnv,
      ea: common.ea,
      cm: bits(low, 8, 1),
      s1ptw: common.s1ptw,
      wnr: bits(low, 6, 1),
      fsc,
      fscName: common.fscName,
    };
    if (da.isv) {
      da.sas = bits(low, 22, 2);
      da.accessSize = 1 << da.sas;
      da.sse = bits(low, 21, 1);
      da.srt = bits(low, 16, 5);
      da.sf = bits(low, 15, 1);
      da.ar = bits(low, 14, 1);
    }
    if (withIss2) {
      da.tnd = bits(iss2, 10, 1);
      da.tagAccess = bits(iss2, 9, 1);
      da.gcs = bits(iss2, 8, 1);
      da.overlay = bits(iss2, 6, 1);
      da.dirtyBit = bits(iss2, 5, 1);
      da.xs = bits(iss2, 0, 5);
    }
    out.dataAbort = da;
    const parts: string[] = [da.cm ? "cache maintenance" : da.wnr ? "write" : "read", da.fscName];
    if (da.isv && da.accessSize !== undefined) {
      parts.push(`${da.accessSize}-byte access via ${da.sf ? "x" : "w"}${da.srt ?? 0}`);
    }
    if (da.ea) parts.push("external abort");
    if (da.s1ptw) parts.push("during stage-1 translation table walk");
    if (da.fnv) parts.push("FAR not valid");
    if (da.gcs) parts.push("Guarded Control Stack access");
    if (da.overlay) parts.push("permission overlay fault");
    if (da.dirtyBit) parts.push("dirty-state fault");
    if (da.tagAccess) parts.push("tag access");
    out.summary = `data abort from ${el}: ${parts.join(", ")}`;
  } else if (ec === 0x20 || ec === 0x21) {
    const ia: InstructionAbortInfo = { ...common };
    out.instructionAbort = ia;
    const parts: string[] = [ia.fscName];
    if (ia.ea) parts.push("external abort");
    if (ia.s1ptw) parts.push("during stage-1 translation table walk");
    if (ia.fnv) parts.push("FAR not valid");
    out.summary = `instruction abort from ${el}: ${parts.join(", ")}`;
  } else if (ec === 0x3c) {
    const comment = iss & 0xffff;
    out.brk = { comment, meaning: describeBrkComment(comment) };
    out.summary = `BRK #0x${comment.toString(16)} (AArch64): ${out.brk.meaning}`;
  } else {
    const phrase = EC_PHRASES[ec];
    out.summary = `${ecName} (EC 0x${ec.toString(16).padStart(2, "0")})${phrase ? `: ${phrase}` : ""}`;
  }
  return out;
}

/** Values read from one line of a "Mem abort info:" / "Data abort info:" block. */
export type MemAbortFields = Partial<Record<string, number | string>>;

const TIMESTAMP_RE = /^\[\s{0,12}\d{1,10}\.\d{1,9}\]\s?/;
const EC_LINE_RE = /^EC = 0x([0-9a-fA-F]{1,2}): (.{1,60}), IL = (\d{1,2}) bits$/;
const EC_OLD_LINE_RE = /^Exception class = (.{1,60}), IL = (\d{1,2}) bits$/;
const FSC_LINE_RE = /^FSC = 0x([0-9a-fA-F]{1,2}): (.{1,100})$/;
const ESR_LINE_RE = /^ESR = (0x[0-9a-fA-F]{1,16})$/;
const ACCESS_SIZE_RE = /^Access size = (\d{1,2}) byte\(s\)$/;
const VALUE_RE = /^(?:0x([0-9a-fA-F]{1,16})|(\d{1,10}))$/;
const FIELD_KEYS = new Set([
  "SET", "FnV", "EA", "S1PTW", "ISV", "ISS", "ISS2", "CM", "WnR", "TnD", "TagAccess",
  "GCS", "Overlay", "DirtyBit", "Xs", "SSE", "SRT", "SF", "AR",
]);

/**
 * Parse one line of the kernel's memory-abort decode (mem_abort_decode() /
 * data_abort_decode()), e.g. "  ESR = 0x0000000096000045", "  EC = 0x25:
 * DABT (current EL), IL = 32 bits", "  FSC = 0x05: level 1 translation
 * fault", "  ISV = 0, ISS = 0x00000045, ISS2 = 0x00000000", "  CM = 0, WnR =
 * 1, TnD = 0, TagAccess = 0". Keys are the kernel's (ESR as a hex string,
 * ecName, fscName, "Access size"); headers give { section }. Returns null for
 * any other line.
 */
export function parseMemAbortLine(line: string): MemAbortFields | null {
  const text = line.trim().replace(TIMESTAMP_RE, "").trim();
  if (text === "Mem abort info:") return { section: "Mem abort info" };
  if (text === "Data abort info:") return { section: "Data abort info" };
  let m = ESR_LINE_RE.exec(text);
  if (m) return { ESR: m[1] ?? "" };
  m = EC_LINE_RE.exec(text);
  if (m) {
    return {
      EC: Number.parseInt(m[1] ?? "", 16),
      ecName: m[2] ?? "",
      IL: Number.parseInt(m[3] ?? "", 10),
    };
  }
  m = EC_OLD_LINE_RE.exec(text);
  if (m) return { ecName: m[1] ?? "", IL: Number.parseInt(m[2] ?? "", 10) };
  m = FSC_LINE_RE.exec(text);
  if (m) return { FSC: Number.parseInt(m[1] ?? "", 16), fscName: m[2] ?? "" };
  m = ACCESS_SIZE_RE.exec(text);
  if (m) return { "Access size": Number.parseInt(m[1] ?? "", 10) };

  const out: MemAbortFields = {};
  const parts = text.split(", ");
  for (const part of parts) {
    const eq = part.indexOf(" = ");
    if (eq <= 0) return null;
    const key = part.slice(0, eq);
    if (!FIELD_KEYS.has(key)) return null;
    const vm = VALUE_RE.exec(part.slice(eq + 3));
    if (!vm) return null;
    out[key] = vm[1] !== undefined ? Number.parseInt(vm[1], 16) : Number.parseInt(vm[2] ?? "", 10);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** Parse every memory-abort line in `lines` and merge the fields (later lines win). */
export function parseMemAbortLines(lines: readonly string[]): MemAbortFields {
  const out: MemAbortFields = {};
  for (const l of lines) {
    const p = parseMemAbortLine(l);
    if (!p) continue;
    for (const [k, v] of Object.entries(p)) if (k !== "section" && v !== undefined) out[k] = v;
  }
  return out;
}

/** The values the kernel would print in the memory-abort block for this ESR. */
export function expectedMemAbortFields(esr: bigint | number | string): MemAbortFields {
  const d = decodeEsr(esr);
  const low = Number(d.value & 0xffffffffn);
  const iss2 = d.iss2 ?? 0;
  const out: MemAbortFields = {
    ESR: d.esr,
    EC: d.ec,
    ecName: d.ecName,
    IL: d.il,
    SET: bits(low, 11, 2),
    FnV: bits(low, 10, 1),
    EA: bits(low, 9, 1),
    S1PTW: bits(low, 7, 1),
    FSC: bits(low, 0, 6),
    fscName: fscName(bits(low, 0, 6)),
    ISV: bits(low, 24, 1),
    ISS: d.iss,
    ISS2: iss2,
    CM: bits(low, 8, 1),
    WnR: bits(low, 6, 1),
    TnD: bits(iss2, 10, 1),
    TagAccess: bits(iss2, 9, 1),
    GCS: bits(iss2, 8, 1),
    Overlay: bits(iss2, 6, 1),
    DirtyBit: bits(iss2, 5, 1),
    Xs: bits(iss2, 0, 5),
    "Access size": 1 << bits(low, 22, 2),
    SSE: bits(low, 21, 1),
    SRT: bits(low, 16, 5),
    SF: bits(low, 15, 1),
    AR: bits(low, 14, 1),
  };
  return out;
}

function fmt(key: string, v: number | string): string {
  if (typeof v === "string") return `"${v}"`;
  if (key === "EC" || key === "FSC") return "0x" + v.toString(16).padStart(2, "0");
  if (key === "ISS" || key === "ISS2") return "0x" + v.toString(16).padStart(8, "0");
  return String(v);
}

/**
 * Compare an ESR with the "Mem abort info:" / "Data abort info:" lines the
 * kernel printed for it; one message per disagreement (empty when
 * consistent). Names printed by older kernels ("unknown 8", "UNRECOGNIZED
 * EC", 4.x FSC names) are accepted.
 */
export function crossCheckEsr(esr: bigint | number | string, lines: readonly string[]): string[] {
  const d = decodeEsr(esr);
  const expected = expectedMemAbortFields(esr);
  const problems: string[] = [];
  for (const raw of lines) {
    const fields = parseMemAbortLine(raw);
    if (!fields) continue;
    for (const [key, got] of Object.entries(fields)) {
      if (key === "section" || got === undefined) continue;
      const exp = expected[key];
      if (exp === undefined) continue;
      let ok: boolean;
      if (key === "ESR") ok = typeof got === "string" && BigInt(got) === d.value;
      else if (key === "ecName") ok = got === exp || got === UNRECOGNIZED_EC;
      else if (key === "fscName") ok = typeof got === "string" && isKnownFscName(Number(d.value & 0x3fn), got);
      else ok = got === exp;
      if (!ok) {
        problems.push(`log says ${key} = ${fmt(key, got)} but ESR ${d.esr} encodes ${fmt(key, exp)}`);
      }
    }
  }
  return problems;
}
