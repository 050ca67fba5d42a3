/**
 * The die ("Oops") header line and the build/config flags printed after its
 * die counter.
 *
 * Formats (per arch die()/__die()):
 *  x86     "%s: %04lx [#%d]%s%s%s%s%s" (arch/x86/kernel/dumpstack.c
 *          __die_header): str, err & 0xffff, counter, then " PREEMPT" or
 *          " PREEMPT_RT" (dropped again in 6.15 when preempt_model_str()
 *          moved to the CPU: line), " SMP", " DEBUG_PAGEALLOC", " KASAN",
 *          " PTI"/" NOPTI". Since 6.9 the line starts "Oops: " so a page fault
 *          reads "Oops: Oops: 0002 [#1] ...".
 *  arm64   "Internal error: %s: %016lx [#%d]" + " PREEMPT"/" PREEMPT_RT" +
 *          " SMP" (older kernels print the ESR with "%x": "96000045").
 *  arm     "Internal error: %s: %x [#%d]" + PREEMPT + SMP + " ARM"/" THUMB2".
 *  powerpc "Oops: %s, sig: %ld [#%d]" then on the next line
 *          "%s PAGE_SIZE=%luK%s%s%s%s%s %s": LE/BE, MMU=Radix/Hash, PREEMPT,
 *          SMP, NR_CPUS=n, DEBUG_PAGEALLOC, NUMA, platform name.
 *  s390    "%s: %04x ilc:%d [#%d] " + "PREEMPT " + "SMP " + "DEBUG_PAGEALLOC".
 *  riscv   "%s [#%d]"; mips/loongarch "%s[#%d]:"; xtensa "%s: sig: %ld [#%d]".
 */

const FLAG_WORDS: Readonly<Record<string, string>> = {
  PREEMPT: "preemptible kernel (CONFIG_PREEMPTION: full or dynamic preemption)",
  PREEMPT_RT: "real-time kernel (CONFIG_PREEMPT_RT)",
  PREEMPT_LAZY: "lazy preemption model (CONFIG_PREEMPT_LAZY)",
  PREEMPTLAZY: "lazy preemption model (CONFIG_PREEMPT_LAZY)",
  VOLUNTARY: "voluntary preemption model (CONFIG_PREEMPT_VOLUNTARY)",
  NONE: "no forced preemption (CONFIG_PREEMPT_NONE)",
  SMP: "kernel built for multiprocessor systems (CONFIG_SMP)",
  DEBUG_PAGEALLOC: "page-allocation debugging active (freed pages are unmapped, so use-after-free faults at once)",
  KASAN: "Kernel Address Sanitizer built in (CONFIG_KASAN)",
  PTI: "page-table isolation (Meltdown mitigation) active",
  NOPTI: "page-table isolation built in but disabled (Meltdown mitigation off)",
  ARM: "32-bit ARM kernel built in ARM (A32) instruction set",
  THUMB2: "32-bit ARM kernel built in Thumb-2 instruction set",
  LE: "little-endian kernel",
  BE: "big-endian kernel",
  NUMA: "kernel built with NUMA support (CONFIG_NUMA)",
  "MMU=Radix": "POWER radix MMU in use",
  "MMU=Hash": "POWER hash page table MMU in use",
};

const PREEMPT_MODES: Readonly<Record<string, string>> = {
  none: "no forced preemption",
  voluntary: "voluntary preemption",
  full: "full preemption",
  lazy: "lazy preemption",
  undef: "undefined preemption mode",
};

/** Known powerpc platform names printed at the end of the ppc die header. */
const PPC_PLATFORMS = new Set([
  "pSeries",
  "PowerNV",
  "PowerMac",
  "CHRP",
  "PS3",
  "Maple",
]);

const PAGE_SIZE_RE = /^PAGE_SIZE=(\d{1,7})K$/;
const NR_CPUS_RE = /^NR_CPUS=(\d{1,7})$/;
// preempt_model_str(): PREEMPT, PREEMPT_RT, PREEMPT(full), PREEMPT_{RT,(full)},
// PREEMPT_{RT,LAZY}, PREEMPTLAZY ...
const PREEMPT_DYN_RE = /^PREEMPT(_RT|_\{RT,)?\((none|voluntary|full|lazy|undef)\)\}?$/;
const PREEMPT_RT_LAZY_RE = /^PREEMPT_\{RT,LAZY\}$/;

/**
 * Describe one flag from a die header (e.g. "SMP", "NOPTI", "KASAN",
 * "PREEMPT_RT", "PREEMPT(voluntary)", "PAGE_SIZE=64K", "NR_CPUS=2048").
 * Returns null for a flag it does not know.
 */
export function describeOopsFlag(flag: string): string | null {
  const f = flag.trim();
  const direct = FLAG_WORDS[f];
  if (direct !== undefined) return direct;
  let m = PAGE_SIZE_RE.exec(f);
  if (m) return `${m[1] ?? ""} KiB pages`;
  m = NR_CPUS_RE.exec(f);
  if (m) return `kernel built for at most ${m[1] ?? ""} CPUs (CONFIG_NR_CPUS)`;
  m = PREEMPT_DYN_RE.exec(f);
  if (m) {
    const mode = PREEMPT_MODES[m[2] ?? ""] ?? "unknown preemption mode";
    const rt = m[1] ? "real-time kernel (PREEMPT_RT), " : "";
    return `${rt}dynamic preemption (CONFIG_PREEMPT_DYNAMIC), currently ${mode}`;
  }
  if (PREEMPT_RT_LAZY_RE.test(f)) return "real-time kernel (PREEMPT_RT) with lazy preemption";
  if (PPC_PLATFORMS.has(f)) return `powerpc platform ${f}`;
  return null;
}

/** A parsed die header line. */
export interface DieLine {
  /** The error code as printed (hex digits), e.g. "0002", "0000000096000045"; null when the arch prints none. */
  code: string | null;
  /** The die counter N of "[#N]" (1 for the first oops since boot). */
  counter: number | null;
  /** Flags after the counter, e.g. ["PREEMPT", "SMP", "PTI"]. */
  flags: string[];
  /** The text before the code, e.g. "general protection fault", "Oops - BUG"; null when empty. */
  message: string | null;
  /** powerpc/xtensa: the signal number of ", sig: 11". */
  sig: number | null;
  /** s390: the instruction length code of "ilc:3". */
  ilc: number | null;
}

const TIMESTAMP_RE = /^\[\s{0,12}\d{1,10}\.\d{1,9}\]\s?/;
const COUNTER_RE = /\[#(\d{1,9})\]/;
const HEX_RE = /^[0-9a-fA-F]{1,16}$/;
const SIG_RE = /(?:,|:) sig: (\d{1,3})$/;
const ILC_RE = / ilc:(\d)$/;
const FLAG_TOKEN_RE = /^[A-Za-z0-9_=(){},+.-]{1,40}$/;

function stripPrefix(s: string, prefix: string): string {
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

/**
 * Parse a die header line (the text after any timestamp; a leading dmesg
 * `[  12.345678] ` is tolerated), e.g. `Oops: 0002 [#1] PREEMPT SMP PTI`,
 * `Oops: general protection fault, probably for non-canonical address
 * 0xdffffc0000000000: 0000 [#1] PREEMPT SMP KASAN`, `Internal error: Oops:
 * 0000000096000045 [#1] PREEMPT SMP`, `Internal error: : 1b [#1] SMP ARM`,
 * `Oops: Kernel access of bad area, sig: 11 [#1]`, `Oops: 0004 ilc:3 [#1] SMP`.
 * The "Internal error: " prefix and the 6.9+ x86 "Oops: " prefix are not
 * part of the message. Returns null when the line is not a die header.
 */
const KASAN_GPF_HINT = "kasan: GPF could be caused by NULL-ptr deref or user memory access";

export function parseDieLine(line: string): DieLine | null {
  const text = line.trim().replace(TIMESTAMP_RE, "");
  if (text.length > 1000) return null;
  const cm = COUNTER_RE.exec(text);
  if (!cm) return null;
  const counter = Number.parseInt(cm[1] ?? "", 10);
  let before = text.slice(0, cm.index);
  const after = text.slice(cm.index + cm[0].length);

  // Flags: mips/loongarch put a ':' right after the counter.
  const flagText = after.startsWith(":") ? after.slice(1) : after;
  const flags = flagText.split(/\s+/).filter((t) => t !== "");
  if (!flags.every((t) => FLAG_TOKEN_RE.test(t))) return null;

  let code: string | null = null;
  let sig: number | null = null;
  let ilc: number | null = null;
  let message: string;

  before = before.trimEnd();
  const sm = SIG_RE.exec(before);
  if (sm) {
    sig = Number.parseInt(sm[1] ?? "", 10);
    message = before.slice(0, sm.index);
  } else {
    const im = ILC_RE.exec(before);
    if (im) {
      ilc = Number.parseInt(im[1] ?? "", 10);
      before = before.slice(0, im.index);
    }
    const colon = before.lastIndexOf(": ");
    const tail = colon >= 0 ? before.slice(colon + 2) : "";
    if (colon >= 0 && HEX_RE.test(tail)) {
      code = tail;
      message = before.slice(0, colon);
    } else if (ilc !== null) {
      return null;
    } else {
      // riscv "Oops [#1]", mips "Oops[#1]:": no code.
      if (before === "" || before.includes(": ")) return null;
      message = before;
    }
  }

  message = stripPrefix(message, "Internal error:").trim();
  // 4.4-4.16 KASAN: the hint line had no newline, so die()'s header continues it.
  message = stripPrefix(message, KASAN_GPF_HINT);
  if (message.startsWith("Oops: ") && message.length > "Oops: ".length) {
    message = message.slice("Oops: ".length);
  }
  if (message === "Oops:") message = "Oops";
  message = message.trim();
  return {
    code,
    counter: Number.isFinite(counter) ? counter : null,
    flags,
    message: message === "" ? null : message,
    sig,
    ilc,
  };
}

const PPC_HEAD_RE = /^(?:LE|BE)$/;
const PPC_PAGE_RE = /^PAGE_SIZE=\d{1,7}K$/;
const PPC_TOKEN_RE = /^[^\s]{1,40}$/;

/**
 * Parse the powerpc die header's second line, e.g.
 * `LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA pSeries`, into its
 * flags. Returns null for any other line.
 */
export function parsePpcFlagsLine(line: string): string[] | null {
  const tokens = line.trim().replace(TIMESTAMP_RE, "").split(/\s+/).filter((t) => t !== "");
  if (tokens.length < 2 || tokens.length > 14) return null;
  if (!PPC_HEAD_RE.test(tokens[0] ?? "") || !PPC_PAGE_RE.test(tokens[1] ?? "")) return null;
  if (!tokens.every((t) => PPC_TOKEN_RE.test(t))) return null;
  return tokens;
}
