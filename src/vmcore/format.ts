/**
 * Output formats for log records: makedumpfile --dump-dmesg's, byte for byte
 * (printk.c dump_record: "[%5lld.%06ld] " prefix; '\n' inside a record is
 * followed by the prefix's width of spaces; printable or space bytes as is,
 * anything else as "\x%02x" of a *signed* char, so bytes >= 0x80 print as
 * \xffffffNN), and one JSON object per record.
 */
import type { LogRecord } from "./printk.js";

const BILLION = 1_000_000_000n;
/** Below this (2^52 ns, 52 days) seconds and microseconds are computed exactly in doubles, without BigInt division. */
const EXACT_IN_DOUBLES = 2n ** 52n;

export function timestamp(tsNsec: bigint): string {
  let secs: number | bigint;
  let micros: number | bigint;
  if (tsNsec >= 0n && tsNsec < EXACT_IN_DOUBLES) {
    const n = Number(tsNsec);
    let s = Math.floor(n / 1e9);
    // The quotient is rounded: the remainder (exact, all values below 2^53) corrects it by one either way.
    let r = n - s * 1e9;
    if (r < 0) {
      s -= 1;
      r += 1e9;
    } else if (r >= 1e9) {
      s += 1;
      r -= 1e9;
    }
    secs = s;
    micros = Math.floor(r / 1000);
  } else {
    secs = tsNsec / BILLION;
    micros = (tsNsec % BILLION) / 1000n;
  }
  return `[${secs.toString().padStart(5, " ")}.${micros.toString().padStart(6, "0")}] `;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** One record as makedumpfile writes it, newline included. Pure ASCII. */
export function formatMakedumpfile(r: LogRecord): string {
  return formatRecord(r, timestamp(r.tsNsec));
}

/**
 * One record with its caller id after the time, as the console prints it with
 * CONFIG_PRINTK_CALLER ("[   12.345678][  T123] text"); makedumpfile's format
 * otherwise (continuation lines, escapes). Without a caller id, makedumpfile's.
 */
export function formatWithCaller(r: LogRecord): string {
  const c = callerString(r.callerId);
  return formatRecord(r, c === undefined ? timestamp(r.tsNsec) : `${timestamp(r.tsNsec).slice(0, -1)}[${c.padStart(6, " ")}] `);
}

/** A byte makedumpfile does not print as is: a newline (continued with an indent) or one it escapes. */
const SPECIAL = /[^\t\v\f\r\x20-\x7e]/;

function formatRecord(r: LogRecord, prefix: string): string {
  const t = r.text;
  const whole = latin1(t, 0, t.length);
  // Most records are one line of printable ASCII: printed as they are.
  if (!SPECIAL.test(whole)) return prefix + whole + "\n";
  const indent = " ".repeat(prefix.length);
  let s = prefix;
  let run = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === 0x0a) {
      s += flush(t, run, i) + "\n" + indent;
      run = i + 1;
    } else if ((c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d)) {
      continue;
    } else {
      s += flush(t, run, i) + (c >= 0x80 ? `\\xffffff${hex2(c)}` : `\\x${hex2(c)}`);
      run = i + 1;
    }
  }
  return s + flush(t, run, t.length) + "\n";
}

function flush(t: Uint8Array, from: number, to: number): string {
  return to > from ? latin1(t, from, to) : "";
}

function latin1(t: Uint8Array, from: number, to: number): string {
  return Buffer.from(t.buffer, t.byteOffset + from, to - from).toString("latin1");
}

/** "T123" (task id) or "C1" (CPU), as printk's caller_id prints them. */
export function callerString(id: number | undefined): string | undefined {
  if (id === undefined) return undefined;
  return id & 0x80000000 ? `C${(id & 0x7fffffff) >>> 0}` : `T${id >>> 0}`;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** One JSON line: seq, ts (seconds, as makedumpfile prints them), ts_nsec, caller, text (UTF-8, lossy). */
export function formatJson(r: LogRecord): string {
  const ts = timestamp(r.tsNsec).slice(1, -2).trim();
  const o: Record<string, unknown> = { seq: Number(r.seq), ts: Number(ts), ts_nsec: r.tsNsec.toString() };
  const c = callerString(r.callerId);
  if (c !== undefined) o["caller"] = c;
  o["text"] = decoder.decode(r.text);
  return JSON.stringify(o) + "\n";
}
