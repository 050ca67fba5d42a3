/**
 * Sizes: the user's (`512M`, `1.5G`, `2T`, plain bytes) and the kernel's
 * memparse() (integer, C base-0 prefixes, K/M/G/T/P/E suffix). All units are
 * binary: 1K = 1024 bytes, 1M = 2^20, 1G = 2^30, 1T = 2^40.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

const UNITS: Record<string, number> = { "": 1, K: KiB, M: MiB, G: GiB, T: TiB, P: TiB * 1024, E: TiB * 1024 * 1024 };

/** A size typed by a user: `512M`, `2T`, `1.5G`, `4096`, `16GiB`, `16GB` (binary units). Returns bytes, or null. */
export function parseUserSize(text: string): number | null {
  const m = /^(\d{1,15})(?:\.(\d{1,9}))?\s?([kmgtpe]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = UNITS[(m[3] ?? "").toUpperCase()];
  if (unit === undefined) return null;
  const n = Number(`${m[1]}.${m[2] ?? "0"}`) * unit;
  if (!Number.isFinite(n) || n <= 0) return null;
  return Math.round(n);
}

export interface MemparseResult {
  /** Bytes (a JS number: exact up to 2^53, plenty for memory sizes). */
  value: number;
  /** Index just after what was consumed. */
  end: number;
  /** The number was written in octal (leading 0), as C's base 0 reads it. */
  octal: boolean;
  /** The number had no K/M/G/T/P/E suffix, i.e. it is bytes. */
  unitless: boolean;
}

const isDigit = (c: string | undefined, base: number): boolean => {
  if (c === undefined) return false;
  const d = parseInt(c, 16);
  return !Number.isNaN(d) && d < base && (base === 16 || (c >= "0" && c <= "9"));
};

/**
 * The kernel's memparse(s + start): simple_strtoull(base 0) then an optional
 * K/M/G/T/P/E suffix (either case). Returns null when no digit is there
 * (the kernel's "Memory value expected").
 */
export function memparse(s: string, start: number): MemparseResult | null {
  let i = start;
  let base = 10;
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && isDigit(s[i + 2], 16)) {
    base = 16;
    i += 2;
  } else if (s[i] === "0") {
    base = 8; // C's base 0: a leading 0 means octal ("0" itself is an octal digit)
  }
  const digitsStart = i;
  let value = 0;
  while (isDigit(s[i], base)) {
    value = value * base + parseInt(s[i]!, base);
    i++;
  }
  if (i === digitsStart) return null;
  const octal = base === 8 && i - digitsStart > 1;
  const c = s[i];
  const unit = c === undefined ? undefined : UNITS[c.toUpperCase()];
  if (c !== undefined && unit !== undefined && unit !== 1) return { value: value * unit, end: i + 1, octal, unitless: false };
  return { value, end: i, octal, unitless: true };
}

/** 1825 MB → "1825 MB"; 2048 MB → "2048 MB (2 GB)"; bytes below 1 MB as bytes. */
export function formatMB(bytes: number): string {
  const mb = bytes / MiB;
  if (!Number.isInteger(mb)) return `${bytes} bytes${mb >= 1 ? ` (${mb.toFixed(1)} MB)` : ""}`;
  if (mb >= 1024 && mb % 256 === 0) return `${mb} MB (${trim(mb / 1024)} GB)`;
  return `${mb} MB`;
}

/** A size the way the kernel's memparse would read it back, as short as it is exact: 2048M → "2G", 1825M → "1825M". */
export function kernelSize(bytes: number): string {
  for (const [u, f] of [["T", TiB], ["G", GiB], ["M", MiB], ["K", KiB]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  return String(bytes);
}

/** Human size with a binary unit, one decimal: 1.5 GB, 2 TB, 977 MB. */
export function human(bytes: number): string {
  for (const [u, f] of [["TB", TiB], ["GB", GiB], ["MB", MiB], ["kB", KiB]] as const) {
    if (bytes >= f) return `${trim(bytes / f)} ${u}`;
  }
  return `${bytes} bytes`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1).replace(/0{1,2}$/, "").replace(/\.$/, "");
}
