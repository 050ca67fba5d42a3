/**
 * x86 page-fault error code decoding (the value the CPU pushes for #PF and the
 * kernel prints as `Oops: 0002 [#1]` and `#PF: error_code(0x0002) - ...`).
 *
 * Bit layout from arch/x86/include/asm/trap_pf.h (enum x86_pf_error_code):
 *   bit 0  X86_PF_PROT   0: no page found          1: protection fault
 *   bit 1  X86_PF_WRITE  0: read access            1: write access
 *   bit 2  X86_PF_USER   0: kernel-mode access     1: user-mode access
 *   bit 3  X86_PF_RSVD   1: use of reserved bit detected
 *   bit 4  X86_PF_INSTR  1: fault was an instruction fetch
 *   bit 5  X86_PF_PK     1: protection keys block access
 *   bit 6  X86_PF_SHSTK  1: shadow stack access fault
 *   bit 15 X86_PF_SGX    1: SGX MMU page-fault
 *   bit 31 X86_PF_RMP    1: fault was due to RMP violation (SEV-SNP)
 *
 * Note: bit 3 is RSVD, not "instruction fetch" (a widely copied table gets
 * this wrong); instruction fetch is bit 4.
 *
 * The kernel's own lines (show_fault_oops() in arch/x86/mm/fault.c, 5.1+):
 *   #PF: %s %s in %s mode
 *        user|supervisor (X86_PF_USER), instruction fetch (INSTR) |
 *        write access (WRITE) | read access, user|kernel (user_mode(regs))
 *   #PF: error_code(0x%04lx) - %s
 *        !PROT: "not-present page"; RSVD: "reserved bit violation";
 *        PK: "protection keys violation"; RMP: "RMP violation" (6.11+);
 *        else "permissions violation"
 * and in 4.20-5.0: `#PF error: [PROT] [WRITE] [USER] [RSVD] [INSTR] [PK]`
 * (only set bits listed) or `#PF error: [normal kernel read fault]` for 0.
 */

/** Named bits of the x86 page-fault error code. */
export interface PageFaultBits {
  /** bit 0 (X86_PF_PROT): the page was present; this is a protection violation. */
  present: boolean;
  /** bit 1 (X86_PF_WRITE): the access was a write. */
  write: boolean;
  /** bit 2 (X86_PF_USER): the access was a user-mode (CPL 3) access. */
  user: boolean;
  /** bit 3 (X86_PF_RSVD): a reserved bit was set in a paging-structure entry. */
  reservedBit: boolean;
  /** bit 4 (X86_PF_INSTR): the access was an instruction fetch. */
  instructionFetch: boolean;
  /** bit 5 (X86_PF_PK): a protection key blocked the access. */
  protectionKey: boolean;
  /** bit 6 (X86_PF_SHSTK): shadow-stack access. */
  shadowStack: boolean;
  /** bit 15 (X86_PF_SGX): SGX EPCM violation. */
  sgx: boolean;
  /** bit 31 (X86_PF_RMP): SEV-SNP RMP violation. */
  rmp: boolean;
}

/** Result of {@link decodePageFault}. */
export interface PageFaultDecode {
  bits: PageFaultBits;
  /** Plain-words summary, e.g. "write to a not-present page in kernel mode". */
  summary: string;
  /** Bits set in the code that trap_pf.h does not define (0 when none). */
  unknownBits: number;
}

/** Bit positions of the x86 page-fault error code, keyed by field name. */
export const PF_BITS: Readonly<Record<keyof PageFaultBits, number>> = {
  present: 0,
  write: 1,
  user: 2,
  reservedBit: 3,
  instructionFetch: 4,
  protectionKey: 5,
  shadowStack: 6,
  sgx: 15,
  rmp: 31,
};

const PF_KEYS = Object.keys(PF_BITS) as (keyof PageFaultBits)[];
const TWO32 = 0x1_0000_0000;

/** Mask of every bit trap_pf.h defines (0x8000807f). */
export const PF_KNOWN_MASK = PF_KEYS.reduce((m, k) => (m | (1 << PF_BITS[k])) >>> 0, 0);

function bitSet(code: number, bit: number): boolean {
  const low = code % TWO32;
  return ((low >>> bit) & 1) === 1;
}

function checkCode(code: number): void {
  if (!Number.isSafeInteger(code) || code < 0) {
    throw new RangeError(`page-fault error code must be a non-negative safe integer, got ${code}`);
  }
}

/** Split an error code into its named bits. */
export function pageFaultBits(code: number): PageFaultBits {
  checkCode(code);
  return {
    present: bitSet(code, 0),
    write: bitSet(code, 1),
    user: bitSet(code, 2),
    reservedBit: bitSet(code, 3),
    instructionFetch: bitSet(code, 4),
    protectionKey: bitSet(code, 5),
    shadowStack: bitSet(code, 6),
    sgx: bitSet(code, 15),
    rmp: bitSet(code, 31),
  };
}

function hex(n: number, width = 4): string {
  return "0x" + n.toString(16).padStart(width, "0");
}

/**
 * Decode an x86 page-fault error code into named bits and a sentence.
 * 0x0002 → "write to a not-present page in kernel mode";
 * 0x0011 → "instruction fetch from a present page (protection violation) in kernel mode".
 * "kernel mode"/"user mode" reflects bit 2 (the privilege of the access).
 */
export function decodePageFault(code: number): PageFaultDecode {
  const bits = pageFaultBits(code);
  const low = code % TWO32;
  const high = Math.floor(code / TWO32);
  const unknownBits = ((low & ~PF_KNOWN_MASK) >>> 0) + high * TWO32;

  const access = bits.instructionFetch
    ? "instruction fetch from"
    : bits.write
      ? "write to"
      : "read from";
  // With RSVD the CPU also sets PROT, but the cause is the corrupt entry, not
  // the page's permissions, so the "protection violation" wording is dropped.
  const page = !bits.present
    ? "a not-present page"
    : bits.reservedBit
      ? "a present page"
      : "a present page (protection violation)";
  const mode = bits.user ? "user mode" : "kernel mode";
  let summary = `${access} ${page} in ${mode}`;
  if (bits.instructionFetch && bits.write) summary += ", write bit also set";
  if (bits.reservedBit) summary += ", reserved bit set in a page-table entry";
  if (bits.protectionKey) summary += ", protection-key violation";
  if (bits.shadowStack) summary += ", shadow-stack access";
  if (bits.sgx) summary += ", SGX EPCM violation";
  if (bits.rmp) summary += ", RMP violation (SEV-SNP)";
  if (unknownBits !== 0) summary += `, undefined bits ${hex(unknownBits)} set`;
  return { bits, summary, unknownBits };
}

/** What one `#PF` line says about the error code. */
export interface PfLineInfo {
  /** `access`: "#PF: supervisor read access in kernel mode"; `error_code`:
   * "#PF: error_code(0x0000) - not-present page"; `legacy`: 4.20-5.0
   * "#PF error: [PROT] [WRITE]" / "[normal kernel read fault]". */
  kind: "access" | "error_code" | "legacy";
  /** Bits the line pins down (others are unknown from this line alone). */
  implied: Partial<PageFaultBits>;
  /** Full error code printed by an `error_code(...)` line. */
  code?: number;
  /** The context the fault happened in (user_mode(regs)), from an `access` line. */
  mode?: "user" | "kernel";
}

// Each pattern is anchored, has no nested quantifiers and covers one line.
const PF_ACCESS_RE =
  /^#PF: (user|supervisor)(?:-privileged)? (instruction fetch|write access|read access) (?:in|from) (user|kernel) (?:mode|code)$/;
const PF_ERRCODE_RE = /^#PF: error_code\(0x([0-9a-fA-F]{1,16})\) - ([a-zA-Z -]+)$/;
const PF_LEGACY_RE = /^#PF error: (.{1,200})$/;
const PF_LEGACY_TOKEN_RE = /\[([A-Za-z ]{1,40})\]/g;
const TIMESTAMP_RE = /^\[\s{0,12}\d{1,10}\.\d{1,9}\]\s?/;

const LEGACY_TOKENS: Readonly<Record<string, keyof PageFaultBits>> = {
  PROT: "present",
  WRITE: "write",
  USER: "user",
  RSVD: "reservedBit",
  INSTR: "instructionFetch",
  PK: "protectionKey",
};

/** Strip an optional dmesg timestamp and surrounding blanks from a log line. */
function clean(line: string): string {
  return line.trim().replace(TIMESTAMP_RE, "").trim();
}

/**
 * Parse one of the kernel's `#PF` lines (any of the formats above) into the
 * bits it implies. Returns null for any other line. A leading dmesg
 * timestamp is tolerated.
 */
export function parsePfLine(line: string): PfLineInfo | null {
  const text = clean(line);
  let m = PF_ACCESS_RE.exec(text);
  if (m) {
    const implied: Partial<PageFaultBits> = { user: m[1] === "user" };
    if (m[2] === "instruction fetch") implied.instructionFetch = true;
    else {
      implied.instructionFetch = false;
      implied.write = m[2] === "write access";
    }
    return { kind: "access", implied, mode: m[3] === "user" ? "user" : "kernel" };
  }
  m = PF_ERRCODE_RE.exec(text);
  if (m) {
    const code = Number.parseInt(m[1] ?? "", 16);
    const reason = (m[2] ?? "").trim();
    let implied: Partial<PageFaultBits>;
    switch (reason) {
      case "not-present page":
        implied = { present: false };
        break;
      case "reserved bit violation":
        implied = { present: true, reservedBit: true };
        break;
      case "protection keys violation":
        implied = { present: true, reservedBit: false, protectionKey: true };
        break;
      case "RMP violation":
        implied = { present: true, reservedBit: false, protectionKey: false, rmp: true };
        break;
      case "permissions violation":
        // Kernels before 6.11 had no RMP case, so rmp is not pinned here.
        implied = { present: true, reservedBit: false, protectionKey: false };
        break;
      default:
        return null;
    }
    return { kind: "error_code", implied, code };
  }
  m = PF_LEGACY_RE.exec(text);
  if (m) {
    const rest = (m[1] ?? "").trim();
    if (rest === "[normal kernel read fault]") {
      return { kind: "legacy", implied: legacyImplied(new Set()), code: 0 };
    }
    const seen = new Set<keyof PageFaultBits>();
    PF_LEGACY_TOKEN_RE.lastIndex = 0;
    let t: RegExpExecArray | null;
    while ((t = PF_LEGACY_TOKEN_RE.exec(rest)) !== null) {
      const key = LEGACY_TOKENS[t[1] ?? ""];
      if (key === undefined) return null;
      seen.add(key);
    }
    if (seen.size === 0) return null;
    let code = 0;
    for (const k of seen) code |= 1 << PF_BITS[k];
    return { kind: "legacy", implied: legacyImplied(seen), code };
  }
  return null;
}

function legacyImplied(set: Set<keyof PageFaultBits>): Partial<PageFaultBits> {
  const out: Partial<PageFaultBits> = {};
  for (const key of Object.values(LEGACY_TOKENS)) out[key] = set.has(key);
  return out;
}

/** Parse every `#PF` line in `lines`, skipping lines that are not `#PF` lines. */
export function parsePfLines(lines: readonly string[]): PfLineInfo[] {
  const out: PfLineInfo[] = [];
  for (const l of lines) {
    const p = parsePfLine(l);
    if (p) out.push(p);
  }
  return out;
}

const PF_WORDS: Readonly<Record<keyof PageFaultBits, [string, string]>> = {
  present: ["protection violation on a present page (PROT=1)", "not-present page (PROT=0)"],
  write: ["write (WRITE=1)", "no write (WRITE=0)"],
  user: ["user access (USER=1)", "supervisor access (USER=0)"],
  reservedBit: ["reserved bit (RSVD=1)", "no reserved bit (RSVD=0)"],
  instructionFetch: ["instruction fetch (INSTR=1)", "no instruction fetch (INSTR=0)"],
  protectionKey: ["protection key (PK=1)", "no protection key (PK=0)"],
  shadowStack: ["shadow stack (SHSTK=1)", "no shadow stack (SHSTK=0)"],
  sgx: ["SGX (SGX=1)", "no SGX (SGX=0)"],
  rmp: ["RMP violation (RMP=1)", "no RMP violation (RMP=0)"],
};

/**
 * Compare an error code (typically from `Oops: 0002 [#1]`, which the kernel
 * masks to 16 bits) with the `#PF` lines printed for the same fault, and
 * return one human-readable message per disagreement (empty when consistent).
 */
export function crossCheckPf(code: number, pfLines: readonly string[]): string[] {
  checkCode(code);
  const expected = pageFaultBits(code);
  // `Oops: %04lx` prints err & 0xffff, so a 16-bit code says nothing about bit 31.
  const truncated = code <= 0xffff;
  const problems: string[] = [];
  for (const raw of pfLines) {
    const info = parsePfLine(raw);
    if (!info) continue;
    const line = clean(raw);
    if (info.code !== undefined && info.code !== code) {
      const same16 = truncated && (info.code & 0xffff) === code;
      if (!same16) {
        problems.push(
          `"${line}" prints error code ${hex(info.code)} but the error code is ${hex(code)}`,
        );
        continue;
      }
    }
    for (const key of PF_KEYS) {
      const said = info.implied[key];
      if (said === undefined) continue;
      if (truncated && PF_BITS[key] > 15) continue;
      if (said !== expected[key]) {
        const [on, off] = PF_WORDS[key];
        problems.push(
          `"${line}" implies ${said ? on : off} but error code ${hex(code)} has ${expected[key] ? on : off}`,
        );
      }
    }
  }
  return problems;
}
