/**
 * Plain dmesg line normalisation: `<N>` levels, `[   90.192379]` timestamps,
 * `[T123]`/`[  C1]` caller ids, CR and ANSI escapes. Hand-written scanning
 * (no regex) because it runs on every line of an open incident.
 */
import type { LogRecord } from "../types.js";

const CH_LT = 60; // <
const CH_GT = 62; // >
const CH_LB = 91; // [
const CH_RB = 93; // ]
const CH_SP = 32;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_T = 84;
const CH_C = 67;

/** How far into a line a timestamp may start after console noise (`login: [  1.2] ...`). */
const TIMESTAMP_SEARCH = 48;

/** Removes ANSI/VT100 escape sequences (CSI, OSC, two-byte ESC x) and other C0 controls except TAB. */
export function stripControls(s: string): string {
  let out = "";
  let last = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 || c === 9) continue;
    out += s.slice(last, i);
    if (c === 27 && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d === CH_LB) {
        // CSI: parameters and intermediates, then one final byte 0x40-0x7e.
        let j = i + 2;
        while (j < n) {
          const e = s.charCodeAt(j);
          if (e >= 0x40 && e <= 0x7e) break;
          j++;
        }
        i = j;
      } else if (d === 93) {
        // OSC: up to BEL or ESC \
        let j = i + 2;
        while (j < n && s.charCodeAt(j) !== 7 && s.charCodeAt(j) !== 27) j++;
        if (j < n && s.charCodeAt(j) === 27) j++;
        i = j;
      } else if (d === 40 || d === 41) {
        i += 2; // ESC ( B - charset selection
      } else {
        i += 1; // ESC c, ESC 7, ...
      }
    }
    last = i + 1;
  }
  if (last === 0) return s;
  return out + s.slice(last);
}

function needsCleaning(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 && c !== 9) return true;
  }
  return false;
}

/** Parses `[  123.456789]` at `i`; returns the index after `]` and the seconds, or -1. */
function parseTimestamp(s: string, i: number): { end: number; seconds: number } | null {
  if (s.charCodeAt(i) !== CH_LB) return null;
  let j = i + 1;
  const n = s.length;
  while (j < n && s.charCodeAt(j) === CH_SP) j++;
  const startDigits = j;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c < CH_0 || c > CH_9) break;
    j++;
  }
  if (j === startDigits || j - startDigits > 12 || s.charCodeAt(j) !== CH_DOT) return null;
  j++;
  const startFrac = j;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c < CH_0 || c > CH_9) break;
    j++;
  }
  if (j === startFrac || j - startFrac > 9 || s.charCodeAt(j) !== CH_RB) return null;
  return { end: j + 1, seconds: Number(s.slice(startDigits, j)) };
}

/** Parses a caller id `[T123]`, `[  C1]`, `[ T23686]` at `i`. */
function parseCaller(s: string, i: number): { end: number; caller: string } | null {
  if (s.charCodeAt(i) !== CH_LB) return null;
  let j = i + 1;
  const n = s.length;
  while (j < n && j - i < 8 && s.charCodeAt(j) === CH_SP) j++;
  const t = s.charCodeAt(j);
  if (t !== CH_T && t !== CH_C) return null;
  const start = j;
  j++;
  const startDigits = j;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c < CH_0 || c > CH_9) break;
    j++;
  }
  if (j === startDigits || j - startDigits > 10 || s.charCodeAt(j) !== CH_RB) return null;
  return { end: j + 1, caller: s.slice(start, j) };
}

/**
 * Turns one raw dmesg/console line into a record. Never throws.
 * @example normalizeLine("[   90.192379] BUG: x", 7).text === "BUG: x"
 */
export function normalizeLine(rawLine: string, line: number): LogRecord {
  let raw = rawLine;
  if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
  const s = needsCleaning(raw) ? stripControls(raw) : raw;
  let i = 0;
  let level: number | null = null;
  let facility: number | null = null;
  let time: number | null = null;
  let caller: string | null = null;

  // <N> syslog prefix (dmesg -r, console with printk level).
  if (s.charCodeAt(0) === CH_LT) {
    let j = 1;
    while (j < s.length && j < 5) {
      const c = s.charCodeAt(j);
      if (c < CH_0 || c > CH_9) break;
      j++;
    }
    if (j > 1 && s.charCodeAt(j) === CH_GT) {
      const v = Number(s.slice(1, j));
      level = v & 7;
      facility = v >> 3;
      i = j + 1;
    }
  }

  let ts = parseTimestamp(s, i);
  if (!ts && i === 0) {
    // Console noise glued in front of a kernel line: search a short window.
    const limit = Math.min(s.length, TIMESTAMP_SEARCH);
    for (let k = s.indexOf("[", 1); k > 0 && k < limit; k = s.indexOf("[", k + 1)) {
      ts = parseTimestamp(s, k);
      if (ts) break;
    }
  }
  if (ts) {
    time = ts.seconds;
    i = ts.end;
    const c = parseCaller(s, i);
    if (c) {
      caller = c.caller;
      i = c.end;
    }
    if (s.charCodeAt(i) === CH_SP) i++;
    // crash's `log -m`: the level after the timestamp, "[    8.663679] <0>Kernel panic ...".
    if (level === null && s.charCodeAt(i) === CH_LT) {
      let j = i + 1;
      while (j < s.length && j < i + 4 && s.charCodeAt(j) >= CH_0 && s.charCodeAt(j) <= CH_9) j++;
      if (j > i + 1 && s.charCodeAt(j) === CH_GT) {
        const v = Number(s.slice(i + 1, j));
        level = v & 7;
        facility = v >> 3;
        i = j + 1;
      }
    }
  }
  const text = i === 0 ? s : s.slice(i);
  return { line, text, time, level, facility, caller, raw };
}
