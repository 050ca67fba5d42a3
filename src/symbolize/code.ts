/**
 * Decodes the `Code:` bytes an Oops prints, like the kernel's
 * scripts/decodecode, with the Capstone disassembler (WebAssembly).
 *
 * Formats understood (one line each, the faulting unit marked):
 *  - x86_64 / i386 (`show_opcodes`): hex bytes, `<..>` around the byte at the IP.
 *  - arm64 (`dump_kernel_instr`) and 32-bit ARM mode (`dump_instr`): 8-digit
 *    words, `(..)` around the faulting one.
 *  - Thumb (`dump_instr` in Thumb state) and RISC-V (`dump_kernel_instr`):
 *    4-digit halfwords, `(..)` around the faulting one.
 * powerpc's multi-line `Instruction dump:` is not handled.
 *
 * Printed words are instruction values; they are laid out little-endian,
 * which is how all of these architectures store instructions.
 */
import { createRequire } from "node:module";

export type CodeArch = "x86_64" | "i386" | "arm64" | "arm" | "thumb" | "riscv";

export interface CodeInstruction {
  /** Byte offset of the instruction relative to the faulting instruction (negative before it, 0 = faulting). */
  offset: number;
  /** The instruction's bytes as lowercase hex pairs separated by spaces, in memory order. */
  bytes: string;
  /** Mnemonic and operands, e.g. "movq 0x0, %rbx" (x86 in AT&T syntax, numbers in hex like objdump). */
  text: string;
  faulting: boolean;
}

export interface DecodedCode {
  arch: CodeArch;
  instructions: CodeInstruction[];
}

/** Lazy-initialised disassembler handle (one capstone instance per arch, reused). */
export interface Disassembler {
  /**
   * Disassemble a dump whose faulting instruction starts at `faultOffset`.
   * Addresses (and so branch targets) count from 0 at the first dumped byte,
   * as decodecode does, unless `ip`, the faulting instruction's address, is given.
   * Never throws; an out-of-range `faultOffset` gives no instructions.
   */
  decode(bytes: Uint8Array, faultOffset: number, arch: CodeArch, ip?: bigint): DecodedCode;
}

// ---------------------------------------------------------------------------
// Parsing a Code: line

interface LineFormat {
  /** Hex digits per printed unit. */
  digits: number;
  /** Marker around the faulting unit. */
  open: string;
  close: string;
}

const FORMATS: Record<CodeArch, LineFormat> = {
  x86_64: { digits: 2, open: "<", close: ">" },
  i386: { digits: 2, open: "<", close: ">" },
  arm64: { digits: 8, open: "(", close: ")" },
  arm: { digits: 8, open: "(", close: ")" },
  thumb: { digits: 4, open: "(", close: ")" },
  riscv: { digits: 4, open: "(", close: ")" },
};

const HEX_TOKEN = /^[<(]?([0-9a-fA-F]+)[>)]?$/;
const CODE_PREFIX = /^\s*Code:\s*/;
/** arm prints this (instead of the rest) when a word cannot be read. */
const BAD_PC = "bad PC value";

/** Hex digits of the first unit of a Code: line (2, 4 or 8), or 0 when it has none. */
function unitDigits(text: string): number {
  const rest = text.replace(CODE_PREFIX, "");
  const first = rest.trim().split(/\s+/, 1)[0] ?? "";
  const m = HEX_TOKEN.exec(first);
  return m?.[1] ? m[1].length : 0;
}

/**
 * Parse one `Code:` message text (without timestamp; starts with "Code:").
 * Returns the bytes in memory order and the byte offset of the faulting
 * instruction, or null when the line holds no well-formed dump (no bytes,
 * "Unable to access opcode bytes", "Bad RIP value", garbage, no or several
 * fault markers, units of the wrong width for `arch`).
 *
 * When `arch` is omitted the width of the first unit (2, 4 or 8 hex digits)
 * is taken as the format, with `<..>` marking bytes and `(..)` words; arm vs
 * thumb vs riscv only matters for decoding, see findCodeLine.
 */
export function parseCodeLine(text: string, arch?: CodeArch): { bytes: Uint8Array; faultOffset: number } | null {
  if (typeof text !== "string" || !CODE_PREFIX.test(text)) return null;
  let rest = text.replace(CODE_PREFIX, "").trim();
  if (rest.endsWith(BAD_PC)) rest = rest.slice(0, -BAD_PC.length).trim();
  if (rest === "") return null;
  const tokens = rest.split(/\s+/);
  const digits = arch ? FORMATS[arch].digits : unitDigits(text);
  if (digits !== 2 && digits !== 4 && digits !== 8) return null;
  const open = arch ? FORMATS[arch].open : digits === 2 ? "<" : "(";
  const close = open === "<" ? ">" : ")";
  const unitBytes = digits / 2;
  const bytes = new Uint8Array(tokens.length * unitBytes);
  let fault = -1;
  for (let i = 0; i < tokens.length; i++) {
    let tok = tokens[i] ?? "";
    if (tok.startsWith(open) && tok.endsWith(close)) {
      if (fault >= 0) return null;
      fault = i;
      tok = tok.slice(1, -1);
    }
    if (tok.length !== digits) return null;
    let value = 0;
    for (let k = 0; k < digits; k++) {
      const d = parseInt(tok.charAt(k), 16);
      if (Number.isNaN(d)) return null;
      value = value * 16 + d;
    }
    // Instruction values are stored little-endian.
    for (let b = 0; b < unitBytes; b++) bytes[i * unitBytes + b] = Math.floor(value / 256 ** b) % 256;
  }
  if (fault < 0) return null;
  return { bytes, faultOffset: fault * unitBytes };
}

// ---------------------------------------------------------------------------
// Finding the Code: line of the faulting kernel context

/** printk prefixes: `<4>` level, `[    4.305492]` time, `[  T123]`/`[ C1]` caller. */
const LINE_PREFIX = /^\s*(?:<\d{1,3}>|\[\s*\d+\.\d+\]|\[\s*[TC]\d+\])/;
const SYSLOG_KERNEL = " kernel: ";
/** Messages findCodeLine looks at (so that a syslog prefix is only looked for on other lines). */
const INTERESTING = /^(?:Code:|RIP: |EIP: |pc : |PC is at |epc ?: )/;

/** The printk message of a raw log line, without level, timestamp, caller id or syslog prefix. */
function messageOf(line: string): string {
  const strip = (text: string): string => {
    let s = text;
    for (let m = LINE_PREFIX.exec(s), n = 0; m && n < 4; m = LINE_PREFIX.exec(s), n++) s = s.slice(m[0].length);
    return s.trimStart();
  };
  const s = strip(line);
  if (INTERESTING.test(s)) return s;
  const at = s.indexOf(SYSLOG_KERNEL);
  return at >= 0 && at < 200 ? strip(s.slice(at + SYSLOG_KERNEL.length)) : s;
}

type Family = "x86_64" | "i386" | "arm64" | "arm" | "arm-any" | "riscv";

interface IpLine {
  family: Family;
  user: boolean;
  ip?: bigint;
}

const RIP_LINE = /^RIP: ([0-9a-fA-F]{4}):(\S*)/;
const EIP_LINE = /^EIP: (\S*)/;
const SEL_ADDR = /^([0-9a-fA-F]{4}):\[<([0-9a-fA-F]{1,16})>\]/;
const BRACKET_ADDR = /^\[<([0-9a-fA-F]{1,16})>\]/;
const HEX_ADDR = /^0x([0-9a-fA-F]{1,16})$/;
const PC_LINE = /^pc : (\S*)/;
const PSR = /\bpsr: ([0-9a-fA-F]{8})/;
const PLAIN_ADDR = /^([0-9a-fA-F]{8,16})$/;
const EPC_LINE = /^epc\s?: (\S*)/;
const PC_IS_AT = /^PC is at /;
const CONTEXT_END = /^---\[ end trace|segfault at /;

const USER_SELECTORS = new Set(["0033", "0023", "002b", "0073"]);

function hexBig(s: string): bigint {
  return BigInt("0x" + s);
}

/** Is `v` (printed with `digits` hex digits) in the upper half of the address space? */
function highHalf(v: bigint, digits: number): boolean {
  return digits > 8 ? v >= 1n << 63n : v >= 1n << 31n;
}

/** Recognise the line of a register dump that names the interrupted instruction. */
function ipLine(msg: string): IpLine | null {
  let m = RIP_LINE.exec(msg);
  if (m) {
    const sel = (m[1] ?? "").toLowerCase();
    const rest = m[2] ?? "";
    const a = BRACKET_ADDR.exec(rest) ?? HEX_ADDR.exec(rest);
    const ip = a?.[1] ? hexBig(a[1]) : undefined;
    return { family: "x86_64", user: USER_SELECTORS.has(sel), ...(ip !== undefined ? { ip } : {}) };
  }
  m = EIP_LINE.exec(msg);
  if (m) {
    const rest = m[1] ?? "";
    const sa = SEL_ADDR.exec(rest);
    if (sa?.[2]) return { family: "i386", user: USER_SELECTORS.has((sa[1] ?? "").toLowerCase()), ip: hexBig(sa[2]) };
    const a = HEX_ADDR.exec(rest);
    // A raw (unsymbolised) EIP below the default 3G/1G split is user space.
    if (a?.[1]) return { family: "i386", user: hexBig(a[1]) < 0xc0000000n, ip: hexBig(a[1]) };
    return { family: "i386", user: false };
  }
  m = PC_LINE.exec(msg);
  if (m) {
    const rest = m[1] ?? "";
    const b = BRACKET_ADDR.exec(rest);
    if (b?.[1]) {
      const psr = PSR.exec(msg);
      if (b[1].length <= 8 || psr) {
        // 32-bit ARM: "pc : [<c0123456>]    lr : [<...>]    psr: 600f0013"; mode 0x10 is USR.
        const user = psr?.[1] ? (parseInt(psr[1], 16) & 0x1f) === 0x10 : false;
        return { family: "arm", user, ip: hexBig(b[1]) };
      }
      return { family: "arm64", user: !highHalf(hexBig(b[1]), b[1].length), ip: hexBig(b[1]) };
    }
    const p = PLAIN_ADDR.exec(rest) ?? HEX_ADDR.exec(rest);
    if (p?.[1]) return { family: "arm64", user: !highHalf(hexBig(p[1]), 16), ip: hexBig(p[1]) };
    return { family: "arm64", user: false };
  }
  if (PC_IS_AT.test(msg)) return { family: "arm-any", user: false };
  m = EPC_LINE.exec(msg);
  if (m) {
    const rest = m[1] ?? "";
    const p = PLAIN_ADDR.exec(rest) ?? HEX_ADDR.exec(rest);
    if (p?.[1]) return { family: "riscv", user: !highHalf(hexBig(p[1]), p[1].length > 8 ? 16 : 8), ip: hexBig(p[1]) };
    return { family: "riscv", user: false };
  }
  return null;
}

function sameFamily(a: Family, b: Family): boolean {
  const arm = (f: Family): boolean => f === "arm" || f === "arm64" || f === "arm-any";
  return a === b || (arm(a) && arm(b));
}

/**
 * From an incident's raw lines, find the Code: line of the faulting kernel
 * context: the first `Code:` after a kernel-mode ip line (`RIP: <sel>:` with a
 * kernel selector, `EIP:`, `pc : `, `PC is at`, `epc :`). A user-mode ip line
 * (`RIP: 0033:`, a user `pc`/`epc` address, ARM USR psr), `---[ end trace` or
 * `segfault at` cancels the context, so user-space Code: lines are skipped.
 *
 * The arch comes from the ip line, refined by the Code: line for 32-bit ARM:
 * 4-digit halfwords mean Thumb, 8-digit words ARM. `ip` is the faulting
 * address when the register dump prints it as a number.
 */
export function findCodeLine(lines: readonly string[]): { text: string; arch: CodeArch; index: number; ip?: bigint } | null {
  let ctx: IpLine | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (typeof raw !== "string") continue;
    const msg = messageOf(raw);
    if (msg.startsWith("Code:")) {
      if (!ctx) continue;
      const text = msg.trimEnd();
      const digits = unitDigits(text);
      let arch: CodeArch;
      switch (ctx.family) {
        case "arm":
          arch = digits === 4 ? "thumb" : "arm";
          break;
        case "arm-any":
          arch = digits === 4 ? "thumb" : "arm64";
          break;
        default:
          arch = ctx.family;
      }
      return { text, arch, index: i, ...(ctx.ip !== undefined ? { ip: ctx.ip } : {}) };
    }
    const ip = ipLine(msg);
    if (ip) {
      if (ip.user) ctx = null;
      else if (ctx && sameFamily(ctx.family, ip.family)) {
        // A later line of the same dump (pc : after PC is at, numeric epc after the symbolic one).
        const family: Family = ip.family === "arm-any" ? ctx.family : ip.family;
        const addr: bigint | undefined = ip.ip ?? ctx.ip;
        ctx = { family, user: false, ...(addr !== undefined ? { ip: addr } : {}) };
      } else ctx = ip;
    } else if (CONTEXT_END.test(msg)) ctx = null;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Capstone

/** The parts of capstone-js used here. */
interface CsInsn {
  size: number;
  mnemonic: string;
  op_str: string;
}
interface CsHandle {
  option(option: number, value: number): void;
  disasm(buffer: Uint8Array, address: bigint, max?: number): CsInsn[];
}
type CsModule = Record<string, unknown> & { Capstone: new (arch: number, mode: number) => CsHandle };

interface ArchSpec {
  arch: string;
  modes: string[];
  /** Instruction alignment in bytes. */
  step: number;
  /** Every instruction is `step` bytes: no need to find where instructions start. */
  fixed: boolean;
  addrBits: number;
}

const SPECS: Record<CodeArch, ArchSpec> = {
  x86_64: { arch: "ARCH_X86", modes: ["MODE_64"], step: 1, fixed: false, addrBits: 64 },
  i386: { arch: "ARCH_X86", modes: ["MODE_32"], step: 1, fixed: false, addrBits: 32 },
  arm64: { arch: "ARCH_ARM64", modes: ["MODE_LITTLE_ENDIAN"], step: 4, fixed: true, addrBits: 64 },
  arm: { arch: "ARCH_ARM", modes: ["MODE_ARM"], step: 4, fixed: true, addrBits: 32 },
  thumb: { arch: "ARCH_ARM", modes: ["MODE_THUMB"], step: 2, fixed: false, addrBits: 32 },
  // RV64GC: the Code: line does not say RV32 vs RV64; RV64 is by far the common kernel.
  riscv: { arch: "ARCH_RISCV", modes: ["MODE_RISCV64", "MODE_RISCVC"], step: 2, fixed: false, addrBits: 64 },
};

/** At most this many bytes either side of the faulting one are decoded (kernels print ≤ 64 in all). */
const MAX_BEFORE = 128;
const MAX_AFTER = 128;
/** Longest instruction of any supported arch (x86: 15). */
const MAX_INSN = 16;

interface Decoded {
  pos: number;
  size: number;
  text: string;
}

const SUFFIX_BITS: Record<string, number> = { b: 8, w: 16, l: 32, q: 64 };
const IMMEDIATE = /^\$(-?)(0x[0-9a-fA-F]+|\d+)$/;
const DISPLACEMENT = /^(\*?)((?:%[a-z]{2}:)?)(-?)(0x[0-9a-fA-F]+|\d+)(\(.*\))?$/;

function hexOf(v: bigint): string {
  return v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16);
}

/** Split AT&T operands at top-level commas (not those inside `(base, index, scale)`). */
function splitOperands(ops: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < ops.length; i++) {
    const c = ops[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(ops.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(ops.slice(start).trim());
  return out;
}

/**
 * objdump-style numbers for capstone's AT&T output: immediates, displacements
 * and absolute addresses in hex (`$18446744072640880720` → `$0xffffffffc04d6050`,
 * `-8(%rbp)` → `-0x8(%rbp)`, `movq 0, %rbx` → `movq 0x0, %rbx`); negative
 * immediates as two's complement of the operand size given by the mnemonic's
 * b/w/l/q suffix (`addl $-5` → `$0xfffffffb`). Scales and `%st(1)` are untouched.
 */
export function x86Text(mnemonic: string, ops: string): string {
  if (ops.trim() === "") return mnemonic.trim();
  const bits = SUFFIX_BITS[mnemonic.trim().slice(-1)];
  const fixed = splitOperands(ops).map((op) => {
    const imm = IMMEDIATE.exec(op);
    if (imm?.[2]) {
      let v = BigInt(imm[2]);
      if (imm[1]) v = bits ? BigInt.asUintN(bits, -v) : -v;
      return "$" + hexOf(v);
    }
    const d = DISPLACEMENT.exec(op);
    if (d?.[4]) return `${d[1] ?? ""}${d[2] ?? ""}${d[3] ?? ""}${hexOf(BigInt(d[4]))}${d[5] ?? ""}`;
    return op;
  });
  return `${mnemonic.trim()} ${fixed.join(", ")}`;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

class CapstoneDisassembler implements Disassembler {
  private readonly handles = new Map<CodeArch, CsHandle>();

  constructor(private readonly cs: CsModule) {}

  private handle(arch: CodeArch): CsHandle {
    let h = this.handles.get(arch);
    if (!h) {
      const spec = SPECS[arch];
      const num = (name: string): number => {
        const v = this.cs[name];
        if (typeof v !== "number") throw new Error(`capstone: no ${name}`);
        return v;
      };
      const mode = spec.modes.reduce((acc, m) => acc | num(m), 0);
      h = new this.cs.Capstone(num(spec.arch), mode);
      if (arch === "x86_64" || arch === "i386") h.option(num("OPT_SYNTAX"), num("OPT_SYNTAX_ATT"));
      this.handles.set(arch, h);
    }
    return h;
  }

  decode(bytes: Uint8Array, faultOffset: number, arch: CodeArch, ip?: bigint): DecodedCode {
    try {
      return { arch, instructions: this.decodeUnsafe(bytes, faultOffset, arch, ip) };
    } catch {
      return { arch, instructions: [] };
    }
  }

  private decodeUnsafe(bytes: Uint8Array, f: number, arch: CodeArch, ip: bigint | undefined): CodeInstruction[] {
    const spec = SPECS[arch];
    if (!spec || !(bytes instanceof Uint8Array) || !Number.isSafeInteger(f) || f < 0 || f >= bytes.length) return [];
    const h = this.handle(arch);
    const base = ip !== undefined ? ip - BigInt(f) : 0n;
    const addr = (pos: number): bigint => BigInt.asUintN(spec.addrBits, base + BigInt(pos));
    const lo = f - Math.floor(Math.min(f, MAX_BEFORE) / spec.step) * spec.step;
    const hi = Math.min(bytes.length, f + MAX_AFTER);
    const start = spec.fixed ? lo : (this.syncStart(h, spec, arch, bytes, lo, f, addr) ?? f);
    const found = [...this.linear(h, arch, bytes, start, f, addr), ...this.linear(h, arch, bytes, f, hi, addr)];
    return found.map((d) => ({
      offset: d.pos - f,
      bytes: Array.from(bytes.subarray(d.pos, d.pos + d.size), hex2).join(" "),
      text: d.text,
      faulting: d.pos === f,
    }));
  }

  /** Decode one instruction at the start of `buf`, or null when invalid/truncated. */
  private one(h: CsHandle, arch: CodeArch, buf: Uint8Array, address: bigint): Decoded | null {
    if (buf.length === 0) return null;
    let insns: CsInsn[];
    try {
      insns = h.disasm(buf, address, 1);
    } catch {
      return null;
    }
    const i = insns[0];
    if (!i || !(i.size > 0) || i.size > buf.length) return null;
    return { pos: 0, size: i.size, text: this.format(arch, i) };
  }

  private format(arch: CodeArch, i: CsInsn): string {
    if (arch === "x86_64" || arch === "i386") return x86Text(i.mnemonic, i.op_str);
    return `${i.mnemonic} ${i.op_str}`.trim();
  }

  /**
   * Variable-length code: the smallest start in [lo, f) (on the instruction
   * alignment) from which linear decoding meets f exactly with no invalid
   * instruction, or null. One decode per offset, chained right to left.
   */
  private syncStart(
    h: CsHandle,
    spec: ArchSpec,
    arch: CodeArch,
    bytes: Uint8Array,
    lo: number,
    f: number,
    addr: (pos: number) => bigint,
  ): number | null {
    const reaches = new Set<number>([f]);
    let best: number | null = null;
    for (let p = f - spec.step; p >= lo; p -= spec.step) {
      const d = this.one(h, arch, bytes.subarray(p, Math.min(f, p + MAX_INSN)), addr(p));
      if (d && reaches.has(p + d.size)) {
        reaches.add(p);
        best = p;
      }
    }
    return best;
  }

  /** Decode [from, to) linearly; invalid units become `(bad)`/`.word`/`.short`; a last instruction cut off by `to` is dropped. */
  private linear(h: CsHandle, arch: CodeArch, bytes: Uint8Array, from: number, to: number, addr: (pos: number) => bigint): Decoded[] {
    const out: Decoded[] = [];
    let pos = from;
    while (pos < to) {
      let insns: CsInsn[] = [];
      try {
        insns = h.disasm(bytes.subarray(pos, to), addr(pos));
      } catch {
        insns = [];
      }
      for (const i of insns) {
        if (!(i.size > 0) || pos + i.size > to) break;
        out.push({ pos, size: i.size, text: this.format(arch, i) });
        pos += i.size;
      }
      if (pos >= to) break;
      // Capstone stopped at pos: a truncated instruction or invalid bytes.
      const padded = new Uint8Array(MAX_INSN);
      padded.set(bytes.subarray(pos, Math.min(to, pos + MAX_INSN)));
      const probe = this.one(h, arch, padded, addr(pos));
      if (probe && probe.size > to - pos) break;
      if (probe) {
        out.push({ ...probe, pos });
        pos += probe.size;
        continue;
      }
      const bad = badUnit(arch, bytes, pos, to);
      if (!bad) break;
      out.push(bad);
      pos += bad.size;
    }
    return out;
  }
}

/** The placeholder for undecodable bytes at `pos`, or null when they are an instruction cut off at `to`. */
function badUnit(arch: CodeArch, bytes: Uint8Array, pos: number, to: number): Decoded | null {
  const b = (k: number): number => bytes[pos + k] ?? 0;
  const left = to - pos;
  const half = (k: number): number => b(k) | (b(k + 1) << 8);
  const word = (v: number, digits: number): string => "0x" + v.toString(16).padStart(digits, "0");
  switch (arch) {
    case "x86_64":
    case "i386":
      return { pos, size: 1, text: "(bad)" };
    case "arm64":
    case "arm":
      return left >= 4 ? { pos, size: 4, text: `.word ${word((half(0) + half(2) * 0x10000) >>> 0, 8)}` } : null;
    case "thumb": {
      if (left < 2) return null;
      const hw = half(0);
      const wide = hw >>> 11 >= 0x1d;
      if (wide && left < 4) return null; // first half of a cut-off 32-bit instruction
      if (wide) return { pos, size: 4, text: `.word ${word((hw * 0x10000 + half(2)) >>> 0, 8)}` };
      return { pos, size: 2, text: `.short ${word(hw, 4)}` };
    }
    case "riscv": {
      if (left < 2) return null;
      const lowHalf = half(0);
      if ((lowHalf & 3) === 3 && left < 4) return null; // cut-off 32-bit instruction
      if ((lowHalf & 3) === 3) return { pos, size: 4, text: `.word ${word((lowHalf + half(2) * 0x10000) >>> 0, 8)}` };
      return { pos, size: 2, text: `.short ${word(lowHalf, 4)}` };
    }
  }
}

let loading: Promise<Disassembler> | null = null;

/** Load capstone (~35 ms, once) and return the shared disassembler. Rejects only if capstone cannot load. */
export function loadDisassembler(): Promise<Disassembler> {
  if (!loading) {
    loading = (async () => {
      const require = createRequire(import.meta.url);
      const factory = require("@alexaltea/capstone-js") as () => Promise<CsModule>;
      return new CapstoneDisassembler(await factory());
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** findCodeLine + parseCodeLine + decode; null when there is nothing to decode. Never throws. */
export async function decodeIncidentCode(lines: readonly string[]): Promise<DecodedCode | null> {
  try {
    const found = findCodeLine(lines);
    if (!found) return null;
    const parsed = parseCodeLine(found.text, found.arch);
    if (!parsed) return null;
    const d = await loadDisassembler();
    const decoded = d.decode(parsed.bytes, parsed.faultOffset, found.arch, found.ip);
    return decoded.instructions.length > 0 ? decoded : null;
  } catch {
    return null;
  }
}
