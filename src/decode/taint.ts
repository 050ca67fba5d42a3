/**
 * Kernel taint flags (kernel/panic.c taint_flags[], include/linux/panic.h
 * TAINT_*, Documentation/admin-guide/tainted-kernels.rst).
 *
 * The kernel prints the taint state three ways:
 *  - `Not tainted` when the mask is 0;
 *  - `Tainted: ` + one character per bit 0..TAINT_FLAGS_COUNT-1, the flag
 *    letter when set and c_false otherwise. c_false is ' ' for every bit but
 *    bit 0, whose c_false is 'G' ("all modules GPL"), so `G` is NOT a flag;
 *  - since 6.12 a separate verbose line, `Tainted: [O]=OOT_MODULE,
 *    [E]=UNSIGNED_MODULE` (print_tainted_verbose(): "%s[%c]=%s" with ", "
 *    separators, the name being the TAINT_ suffix).
 */

/** One decoded taint flag. */
export interface TaintFlag {
  /** The letter the kernel prints, e.g. "W"; "?" for an unnamed bit from a mask. */
  letter: string;
  /** Bit number in the taint mask, or null when the letter is unknown. */
  bit: number | null;
  /** What the flag means in words. */
  meaning: string;
  /** TAINT_* name without the prefix, e.g. "OOT_MODULE", when known. */
  name?: string;
}

/** One row of the taint table. */
export interface TaintFlagInfo {
  bit: number;
  letter: string;
  name: string;
  meaning: string;
}

/** Taint flags of mainline 6.x (bits 0-19), from kernel/panic.c taint_flags[]. */
export const TAINT_FLAGS: readonly TaintFlagInfo[] = [
  { bit: 0, letter: "P", name: "PROPRIETARY_MODULE", meaning: "proprietary module was loaded" },
  { bit: 1, letter: "F", name: "FORCED_MODULE", meaning: "module was force loaded" },
  { bit: 2, letter: "S", name: "CPU_OUT_OF_SPEC", meaning: "kernel running on an out of specification system" },
  { bit: 3, letter: "R", name: "FORCED_RMMOD", meaning: "module was force unloaded" },
  { bit: 4, letter: "M", name: "MACHINE_CHECK", meaning: "processor reported a Machine Check Exception (MCE)" },
  { bit: 5, letter: "B", name: "BAD_PAGE", meaning: "bad page referenced or some unexpected page flags" },
  { bit: 6, letter: "U", name: "USER", meaning: "taint requested by userspace application" },
  { bit: 7, letter: "D", name: "DIE", meaning: "kernel died recently, i.e. there was an OOPS or BUG" },
  { bit: 8, letter: "A", name: "OVERRIDDEN_ACPI_TABLE", meaning: "ACPI table overridden by user" },
  { bit: 9, letter: "W", name: "WARN", meaning: "kernel issued warning" },
  { bit: 10, letter: "C", name: "CRAP", meaning: "staging driver was loaded" },
  { bit: 11, letter: "I", name: "FIRMWARE_WORKAROUND", meaning: "workaround for bug in platform firmware applied" },
  { bit: 12, letter: "O", name: "OOT_MODULE", meaning: 'externally-built ("out-of-tree") module was loaded' },
  { bit: 13, letter: "E", name: "UNSIGNED_MODULE", meaning: "unsigned module was loaded" },
  { bit: 14, letter: "L", name: "SOFTLOCKUP", meaning: "soft lockup occurred" },
  { bit: 15, letter: "K", name: "LIVEPATCH", meaning: "kernel has been live patched" },
  { bit: 16, letter: "X", name: "AUX", meaning: "auxiliary taint, defined for and used by distros" },
  { bit: 17, letter: "T", name: "RANDSTRUCT", meaning: "kernel was built with the struct randomization plugin" },
  { bit: 18, letter: "N", name: "TEST", meaning: "an in-kernel test has been run" },
  { bit: 19, letter: "J", name: "FWCTL", meaning: "fwctl's mutating debug interface was used" },
];

const BY_LETTER = new Map<string, TaintFlagInfo>(TAINT_FLAGS.map((f) => [f.letter, f]));
const BY_BIT = new Map<number, TaintFlagInfo>(TAINT_FLAGS.map((f) => [f.bit, f]));

function fromInfo(f: TaintFlagInfo): TaintFlag {
  return { letter: f.letter, bit: f.bit, meaning: f.meaning, name: f.name };
}

function unknownLetter(letter: string, name?: string): TaintFlag {
  const flag: TaintFlag = { letter, bit: null, meaning: `unknown taint flag '${letter}'` };
  if (name !== undefined) flag.name = name;
  return flag;
}

function sortFlags(flags: TaintFlag[]): TaintFlag[] {
  // Known flags by bit, unknown ones after them in order of appearance.
  return flags
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (a.f.bit ?? 1e9) - (b.f.bit ?? 1e9) || a.i - b.i)
    .map((x) => x.f);
}

const VERBOSE_RE = /\[(.)\]=([A-Za-z0-9_]{0,64})/g;
const LETTERS_TOKEN_RE = /^[A-Z]+$/;

/** Result of {@link decodeTaint}. */
export interface TaintDecode {
  tainted: boolean;
  flags: TaintFlag[];
}

/**
 * Decode the taint text the kernel prints: what follows `Tainted:` in a
 * `CPU: 1 PID: 113 Comm: sh Tainted: G      D W  OE      6.1.0 #1` line (the
 * fixed-width letter string; anything after it, such as the release, is
 * ignored), `Not tainted`, or the 6.12+ verbose list
 * `[O]=OOT_MODULE, [E]=UNSIGNED_MODULE`. A leading `Tainted:` is accepted.
 * `G` is not a flag. Unknown letters are kept with bit null.
 */
export function decodeTaint(text: string): TaintDecode {
  let s = text.trim();
  if (s.startsWith("Not tainted")) return { tainted: false, flags: [] };
  if (s.startsWith("Tainted:")) s = s.slice("Tainted:".length).trim();

  const flags: TaintFlag[] = [];
  const seen = new Set<string>();

  if (s.startsWith("[")) {
    VERBOSE_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = VERBOSE_RE.exec(s)) !== null) {
      const letter = m[1] ?? "";
      const name = m[2] ?? "";
      if (seen.has(letter)) continue;
      seen.add(letter);
      const info = BY_LETTER.get(letter);
      if (info) flags.push(fromInfo(info));
      else flags.push(unknownLetter(letter, name === "" ? undefined : name));
    }
    return { tainted: flags.length > 0, flags: sortFlags(flags) };
  }

  // Fixed-width form: letter tokens up to the first token that is not all
  // capital letters (the kernel release that follows, e.g. "6.1.0-13-amd64").
  for (const token of s.split(/\s+/)) {
    if (token === "") continue;
    if (!LETTERS_TOKEN_RE.test(token)) break;
    for (const letter of token) {
      if (letter === "G" || seen.has(letter)) continue;
      seen.add(letter);
      const info = BY_LETTER.get(letter);
      flags.push(info ? fromInfo(info) : unknownLetter(letter));
    }
  }
  return { tainted: flags.length > 0, flags: sortFlags(flags) };
}

/**
 * Decode a taint mask such as the value of /proc/sys/kernel/tainted.
 * Bits without a mainline letter come back with letter "?".
 */
export function taintFromMask(mask: bigint | number): TaintFlag[] {
  let m: bigint;
  if (typeof mask === "bigint") m = mask;
  else {
    if (!Number.isSafeInteger(mask)) throw new RangeError(`taint mask must be a safe integer, got ${mask}`);
    m = BigInt(mask);
  }
  if (m < 0n) throw new RangeError("taint mask must not be negative");
  const out: TaintFlag[] = [];
  for (let bit = 0; m > 0n; bit++, m >>= 1n) {
    if ((m & 1n) === 0n) continue;
    const info = BY_BIT.get(bit);
    out.push(info ? fromInfo(info) : { letter: "?", bit, meaning: `unknown taint bit ${bit}` });
  }
  return out;
}

/** Turn decoded flags back into the mask they stand for (unknown letters are skipped). */
export function taintMask(flags: readonly TaintFlag[]): bigint {
  let m = 0n;
  for (const f of flags) if (f.bit !== null) m |= 1n << BigInt(f.bit);
  return m;
}
