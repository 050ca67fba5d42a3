/**
 * Log formats other than plain dmesg: detected from a source's first lines
 * (or chosen with --input-format), each turning one raw line into a record
 * whose `text` is the kernel message, or null for a line that is not a kernel
 * message (another daemon's syslog line, a kmsg continuation line). A journald
 * entry is one line that may hold several message lines: it gives an array.
 */
import type { LogRecord } from "../types.js";
import { normalizeLine, stripControls } from "./normalize.js";

export type InputFormat =
  | "dmesg"
  | "dmesg-ctime"
  | "dmesg-iso"
  | "dmesg-decode"
  | "kmsg"
  | "syslog"
  | "journal-short"
  | "journal-json"
  | "journal-export"
  | "dmesg-json";

export const INPUT_FORMATS: readonly InputFormat[] = ["dmesg", "dmesg-ctime", "dmesg-iso", "dmesg-decode", "dmesg-json", "kmsg", "syslog", "journal-short", "journal-json", "journal-export"];

/** One raw line → its record, several records (a multi-line journald MESSAGE), or null (not a kernel message). */
export type LineNormalizer = (raw: string, line: number) => LogRecord | LogRecord[] | null;

export interface FormatOptions {
  /** syslog / journal-short: keep only this host's lines. */
  host?: string;
}

const LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];
const FACILITIES = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// `[Sun Nov 24 17:38:08 2024] msg` (dmesg -T / --ctime), `[Sat Nov 28 19:06:02 UTC 2026] msg` (crash's log -T)
const CTIME_RE = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?: ([A-Z]{2,5}))? (\d{4})\] ?/;
// `2024-11-24T17:38:08,123456+00:00 msg` (dmesg --time-format iso)
const ISO_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[,.](\d{1,9}))?([+-]\d{2}:?\d{2}|Z)? /;
// `kern  :err   : [   90.19] msg` (dmesg -x)
const DECODE_RE = /^([a-z]{2,8}) {0,6}:([a-z]{3,6}) {0,6}: /;
// `6,339,5140900,-;msg` (/dev/kmsg; also `6,339,5140900,-,caller=T123;msg`)
const KMSG_RE = /^(\d{1,4}),(\d{1,20}),(\d{1,20}),([-c+])(?:,[^;]{0,64})?;/;
// `Nov 24 17:38:08 host kernel: msg` (RFC 3164 syslog, journalctl -o short)
const BSD_RE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})? ([^ ]{1,255}) ([^ :[]{1,64})(?:\[\d{1,10}\])?: ?/;
// `2024-11-24T17:38:08.123456+01:00 host kernel: msg` (rsyslog high precision, journalctl -o short-iso)
const ISO_SYSLOG_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:[+-]\d{2}:?\d{2}|Z)?) ([^ ]{1,255}) ([^ :[]{1,64})(?:\[\d{1,10}\])?: ?/;
// `<4>1 2024-11-24T17:38:08.123Z host kernel - - - msg` (RFC 5424)
const RFC5424_RE = /^<(\d{1,3})>1 ([^ ]{1,64}) ([^ ]{1,255}) ([^ ]{1,48}) [^ ]{1,128} [^ ]{1,32} (?:-|\[[^\]]{0,2000}\]) ?/;
// util-linux dmesg --json: `"pri": 6,` / `"time":     0.000000,` / `"msg": "..."` one field a line
// (2.38), or `{"pri": 6, "time": 0.0, "msg": "..."},` one record a line.
const DMESG_JSON_RE = /^ {0,16}(?:\{ ?)?"pri": ?\d{1,4},/;
const DJ_PRI = /"pri": ?(\d{1,4})/;
const DJ_TIME = /"time": {0,16}(\d{1,12}(?:\.\d{1,9})?)/;
const DJ_CALLER = /"caller": ?"([TC]\d{1,10})"/;
const DJ_MSG = /"msg": ?("(?:[^"\\]|\\.){0,100000}")/;
// `[   90.192379] host kernel: msg` (journalctl -o short-monotonic)
const MONO_SYSLOG_RE = /^\[ {0,12}(\d{1,12}\.\d{1,9})\] ([^ ]{1,255}) ([^ :[]{1,64})(?:\[\d{1,10}\])?: ?/;

/** journald boot ids: 128-bit, written as 32 lower-case hex digits. */
export const BOOT_ID_RE = /^[0-9a-f]{32}$/;

function record(line: number, raw: string, text: string, extra: Partial<LogRecord> = {}): LogRecord {
  // The message itself may carry dmesg's own prefixes (kern.log keeps "[ 90.19] ").
  const inner = normalizeLine(text, line);
  return {
    line,
    raw,
    text: inner.text,
    time: extra.time ?? inner.time,
    level: extra.level ?? inner.level,
    facility: extra.facility ?? inner.facility,
    caller: extra.caller ?? inner.caller,
    ...(extra.wallTime !== undefined ? { wallTime: extra.wallTime } : {}),
    ...(extra.wallTimeApproximate ? { wallTimeApproximate: true } : {}),
    ...(extra.seq !== undefined ? { seq: extra.seq } : {}),
    ...(extra.host !== undefined ? { host: extra.host } : {}),
    ...(extra.bootId !== undefined ? { bootId: extra.bootId } : {}),
  };
}

function clean(raw: string): string {
  let s = raw;
  if (s.length > 0 && s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
  return stripControls(s);
}

const YEAR = new Date().getUTCFullYear();

function bsdTime(mon: string, day: string, hh: string, mm: string, ss: string): string {
  const m = MONTHS.indexOf(mon) + 1;
  return `${YEAR}-${String(m).padStart(2, "0")}-${day.padStart(2, "0")}T${hh}:${mm}:${ss}`;
}

/** "...+0000" (journalctl short-iso, dmesg) → "...+00:00": ISO 8601's extended form, as Date and JSON readers expect. */
function isoOffset(t: string): string {
  const n = t.length;
  if (n > 5 && (t[n - 5] === "+" || t[n - 5] === "-") && /^[0-9]{4}$/.test(t.slice(n - 4))) return `${t.slice(0, n - 2)}:${t.slice(n - 2)}`;
  return t;
}

/** The line parser for a format. */
export function normalizerFor(format: InputFormat, opts: FormatOptions = {}): LineNormalizer {
  const host = opts.host;
  switch (format) {
    case "dmesg":
      return normalizeLine;
    case "dmesg-ctime":
      return (raw, line) => {
        const s = clean(raw);
        const m = CTIME_RE.exec(s);
        if (!m) return normalizeLine(raw, line);
        const mon = String(MONTHS.indexOf(m[1]!) + 1).padStart(2, "0");
        // dmesg -T computes it from boot time and uptime: wrong after a suspend.
        const zone = m[6] === "UTC" || m[6] === "GMT" ? "Z" : "";
        return record(line, raw, s.slice(m[0].length), { wallTime: `${m[7]}-${mon}-${m[2]!.padStart(2, "0")}T${m[3]}:${m[4]}:${m[5]}${zone}`, wallTimeApproximate: true });
      };
    case "dmesg-iso":
      return (raw, line) => {
        const s = clean(raw);
        const m = ISO_RE.exec(s);
        if (!m) return normalizeLine(raw, line);
        // dmesg computes it from boot time and uptime, as for -T: wrong after a suspend.
        return record(line, raw, s.slice(m[0].length), { wallTime: isoOffset(`${m[1]}${m[2] ? "." + m[2] : ""}${m[3] ?? ""}`), wallTimeApproximate: true });
      };
    case "dmesg-decode":
      return (raw, line) => {
        const s = clean(raw);
        const m = DECODE_RE.exec(s);
        if (!m) return normalizeLine(raw, line);
        const fac = FACILITIES.indexOf(m[1]!);
        const lvl = LEVELS.indexOf(m[2]!);
        if (fac > 0) return null; // dmesg -x also shows user-space (facility user) messages
        return record(line, raw, s.slice(m[0].length), { ...(lvl >= 0 ? { level: lvl } : {}), facility: 0 });
      };
    case "kmsg":
      return (raw, line) => {
        const s = clean(raw);
        if (s.charCodeAt(0) === 32) return null; // " SUBSYSTEM=..." continuation
        const m = KMSG_RE.exec(s);
        if (!m) return normalizeLine(raw, line);
        const pri = Number(m[1]);
        const usec = Number(m[3]);
        const caller = /caller=([TC]\d{1,10})/.exec(m[0]);
        const text = s.slice(m[0].length).replace(/\\x([0-9a-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
        return record(line, raw, text, { level: pri & 7, facility: pri >> 3, time: usec / 1e6, seq: Number(m[2]), ...(caller ? { caller: caller[1]! } : {}) });
      };
    case "syslog":
    case "journal-short":
      return (raw, line) => {
        const s = clean(raw);
        let m = BSD_RE.exec(s);
        if (m) {
          if (m[7] !== "kernel" || (host !== undefined && m[6] !== host)) return null;
          // RFC 3164 stamps have no year (this year is assumed) and no zone: approximate.
          return record(line, raw, s.slice(m[0].length), { wallTime: bsdTime(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!), wallTimeApproximate: true, host: m[6]! });
        }
        m = ISO_SYSLOG_RE.exec(s);
        if (m) {
          if (m[3] !== "kernel" || (host !== undefined && m[2] !== host)) return null;
          return record(line, raw, s.slice(m[0].length), { wallTime: isoOffset(m[1]!.replace(",", ".")), host: m[2]! });
        }
        m = MONO_SYSLOG_RE.exec(s);
        if (m) {
          if (m[3] !== "kernel" || (host !== undefined && m[2] !== host)) return null;
          return record(line, raw, s.slice(m[0].length), { time: Number(m[1]), host: m[2]! });
        }
        m = RFC5424_RE.exec(s);
        if (m) {
          if (m[4] !== "kernel" || (host !== undefined && m[3] !== host)) return null;
          const pri = Number(m[1]);
          return record(line, raw, s.slice(m[0].length), { wallTime: m[2]!, host: m[3]!, level: pri & 7, facility: pri >> 3 });
        }
        return null; // not a syslog line at all (continuation, garbage): not a kernel message
      };
    case "dmesg-json": {
      // Fields arrive on separate lines: remember pri/time/caller until the msg line.
      let pri: number | null = null;
      let time: number | null = null;
      let caller: string | null = null;
      return (raw, line) => {
        const s = raw;
        let m = DJ_PRI.exec(s);
        if (m) {
          pri = Number(m[1]);
          time = null;
          caller = null;
        }
        m = DJ_TIME.exec(s);
        if (m) time = Number(m[1]);
        m = DJ_CALLER.exec(s);
        if (m) caller = m[1]!;
        m = DJ_MSG.exec(s);
        if (!m) return null;
        let msg: string;
        try {
          msg = JSON.parse(m[1]!) as string;
        } catch {
          return null;
        }
        const shown = time !== null ? `[${time.toFixed(6).padStart(12)}] ${msg}` : msg;
        return record(line, shown, msg, { ...(time !== null ? { time } : {}), ...(pri !== null ? { level: pri & 7, facility: pri >> 3 } : {}), ...(caller ? { caller } : {}) });
      };
    }
    // journal-export is decoded from bytes to journal-json lines first (records/journal-export.ts).
    case "journal-json":
    case "journal-export":
      return (raw, line) => {
        const s = raw.trim();
        if (!s.startsWith("{")) return null;
        let e: unknown;
        try {
          e = JSON.parse(s);
        } catch {
          return null;
        }
        if (typeof e !== "object" || e === null) return null;
        const recs = journalEntryRecords(e as JournalEntry, line, opts);
        return recs.length === 0 ? null : recs.length === 1 ? recs[0]! : recs;
      };
  }
}

/**
 * A journald entry as `journalctl -o json` prints it: each value a string, a
 * byte array (not UTF-8, or control characters), null (over the size limit),
 * or an array of those when the field is repeated.
 */
export type JournalEntry = Record<string, unknown>;

/** The fields journalEntryRecords reads (the export decoder keeps only these). */
export const JOURNAL_FIELDS: ReadonlySet<string> = new Set([
  "MESSAGE",
  "_TRANSPORT",
  "SYSLOG_IDENTIFIER",
  "_HOSTNAME",
  "_BOOT_ID",
  "PRIORITY",
  "SYSLOG_FACILITY",
  "_SOURCE_MONOTONIC_TIMESTAMP",
  "__MONOTONIC_TIMESTAMP",
  "_SOURCE_REALTIME_TIMESTAMP",
  "__REALTIME_TIMESTAMP",
]);

/** Invalid UTF-8 becomes U+FFFD, as the line framer shows it. */
const lenientUtf8 = new TextDecoder();

function isBytes(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255);
}

/** A field's value as text (the first value of a repeated field); undefined when absent, null or not text. */
function fieldText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (isBytes(v)) return lenientUtf8.decode(new Uint8Array(v));
  if (Array.isArray(v) && (typeof v[0] === "string" || isBytes(v[0]))) return fieldText(v[0]);
  return undefined;
}

/** A field holding a non-negative integer (journald writes numbers as decimal strings). */
function fieldInt(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const s = fieldText(v);
  return s !== undefined && /^\d{1,20}$/.test(s) ? Number(s) : undefined;
}

/** Latest time a Date can hold, in microseconds since the epoch. */
const MAX_DATE_US = 8.64e18;

/**
 * One journald entry → its kernel records: none for another transport's
 * entry (_TRANSPORT, else SYSLOG_IDENTIFIER, not "kernel"), another host's
 * (`opts.host`) or one without a readable MESSAGE (null: over journald's
 * field size limit); otherwise one per line of MESSAGE (a printk record with
 * newlines is one entry), all numbered `line` and sharing the entry's
 * monotonic and wall time, level, facility, host and boot id. `raw` is the
 * line as dmesg prints it. Shared by the file/stdin normalizer and the live
 * journald source.
 */
export function journalEntryRecords(e: JournalEntry, line: number, opts: FormatOptions = {}): LogRecord[] {
  const transport = fieldText(e["_TRANSPORT"]);
  const ident = fieldText(e["SYSLOG_IDENTIFIER"]);
  if (transport !== undefined ? transport !== "kernel" : ident !== undefined && ident !== "kernel") return [];
  const host = fieldText(e["_HOSTNAME"]);
  if (opts.host !== undefined && host !== opts.host) return [];
  const text = fieldText(e["MESSAGE"]);
  if (text === undefined) return [];
  const us = fieldInt(e["_SOURCE_MONOTONIC_TIMESTAMP"]) ?? fieldInt(e["__MONOTONIC_TIMESTAMP"]);
  const rt = fieldInt(e["_SOURCE_REALTIME_TIMESTAMP"]) ?? fieldInt(e["__REALTIME_TIMESTAMP"]);
  const pri = fieldInt(e["PRIORITY"]);
  const fac = fieldInt(e["SYSLOG_FACILITY"]);
  const bootId = fieldText(e["_BOOT_ID"]);
  const extra: Partial<LogRecord> = {
    ...(us !== undefined ? { time: us / 1e6 } : {}),
    ...(rt !== undefined && rt <= MAX_DATE_US ? { wallTime: new Date(rt / 1000).toISOString() } : {}),
    ...(pri !== undefined && pri <= 7 ? { level: pri } : {}),
    ...(fac !== undefined && fac <= 127 ? { facility: fac } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(bootId !== undefined && BOOT_ID_RE.test(bootId) ? { bootId } : {}),
  };
  // The incident text shows each line as dmesg would, not the JSON.
  const stamp = us !== undefined ? `[${(us / 1e6).toFixed(6).padStart(12)}] ` : "";
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop(); // a final newline ends the last line
  return lines.map((l) => {
    const msg = l.endsWith("\r") ? l.slice(0, -1) : l;
    return record(line, stamp + msg, msg, extra);
  });
}

/**
 * Guesses the format from a source's first lines: the format whose pattern
 * matches most of the first non-empty lines (plain dmesg when nothing does).
 */
export function detectFormat(sample: string): InputFormat {
  // kmsg's continuation lines (" SUBSYSTEM=pci") tell nothing.
  const lines = sample.split("\n").map((l) => clean(l)).filter((l) => l.trim().length > 0 && !/^ [A-Z_]{1,32}=/.test(l)).slice(0, 40);
  if (lines.length === 0) return "dmesg";
  if (lines[0]!.trim() === "{" && /^ {0,8}"dmesg": ?\[/.test(lines[1] ?? "")) return "dmesg-json";
  const score: [InputFormat, RegExp][] = [
    ["journal-json", /^\{"(?!dmesg")/],
    ["dmesg-json", DMESG_JSON_RE],
    ["kmsg", KMSG_RE],
    ["dmesg-ctime", CTIME_RE],
    // Before dmesg-iso: a syslog line with an ISO stamp (journalctl -o short-iso) also starts like one; a tie is syslog.
    ["syslog", ISO_SYSLOG_RE],
    ["dmesg-iso", ISO_RE],
    ["dmesg-decode", DECODE_RE],
    ["syslog", BSD_RE],
    ["syslog", RFC5424_RE],
    ["journal-short", MONO_SYSLOG_RE],
  ];
  let best: InputFormat = "dmesg";
  let bestN = 0;
  // "[   10.000000] EDAC MC0: 1 CE ..." or "[ 1.2] usb 1-1: new device" (a grepped dmesg) look
  // like journalctl's short-monotonic "[ts] host ident: msg"; journald's kernel lines say "kernel".
  const journalKernel = lines.some((l) => MONO_SYSLOG_RE.exec(l)?.[3] === "kernel");
  for (const [f, re] of score) {
    if (f === "journal-short" && re === MONO_SYSLOG_RE && !journalKernel) continue;
    let n = 0;
    for (const l of lines) if (re.test(l)) n++;
    if (n > bestN) {
      best = f;
      bestN = n;
    }
  }
  // A serial console capture may have a few odd lines: a clear majority decides.
  return bestN * 2 > lines.length ? best : "dmesg";
}
