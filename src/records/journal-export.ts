/**
 * journald's export format (`journalctl -o export`, systemd's
 * JOURNAL_EXPORT_FORMATS): entries separated by an empty line; each field is
 * either `KEY=value\n`, or, when the value is binary or holds a newline,
 * `KEY\n` + the value's length as a 64-bit little-endian integer + the value
 * + `\n`. Because a binary value can contain newlines, this cannot go through
 * the line framer: it is decoded from bytes first, and each entry is passed
 * on as the one line `journalctl -o json` would print for it (only the fields
 * records/formats journalEntryRecords reads), so both formats go through the
 * same code and number their records alike. Pure and push-based; memory is
 * bounded by `maxField`.
 */
import { JOURNAL_FIELDS as KEPT } from "./formats.js";

type FieldValue = string | number[];

/** The first line of an export stream is a field: `KEY=...` or a binary `KEY`. journalctl starts with __CURSOR. */
export function looksLikeJournalExport(head: Uint8Array): boolean {
  const s = Buffer.from(head.subarray(0, 10)).toString("latin1");
  return s.startsWith("__CURSOR=") || s.startsWith("__REALTIM");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export interface ExportDecoderOptions {
  /** Longest field value kept; longer values are skipped (streamed past, not buffered). Default 1 MiB. */
  maxField?: number;
  /** Called once per problem (malformed line, oversized field). */
  onProblem?: (message: string) => void;
}

export class JournalExportDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private entry: Record<string, FieldValue> = {};
  private fields = 0;
  /** A binary field being read: its key, length and whether it is kept. */
  private binary: { key: string; length: number; keep: boolean } | null = null;
  /** Bytes of an oversized value (plus its newline) still to skip. */
  private skip = 0;
  /** The rest of an overlong line is being skipped. */
  private skipToNewline = false;
  private readonly maxField: number;
  private readonly onProblem: (m: string) => void;
  private reported = new Set<string>();

  constructor(opts: ExportDecoderOptions = {}) {
    this.maxField = opts.maxField ?? 1 << 20;
    const cb = opts.onProblem ?? (() => {});
    // Each kind of problem is reported once, not once per entry.
    this.onProblem = (m) => {
      const kind = m.split(":")[0]!;
      if (!this.reported.has(kind)) {
        this.reported.add(kind);
        cb(m);
      }
    };
  }

  /** Decodes what it can of `chunk`; returns complete entries as JSON lines. */
  push(chunk: Uint8Array): string {
    let data: Buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: string[] = [];
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length - pos);
        this.skip -= n;
        pos += n;
        if (this.skip > 0) break;
        continue;
      }
      if (this.binary) {
        const b = this.binary;
        if (this.buf.length - pos < b.length + 1) break;
        if (b.keep) this.keep(b.key, binaryValue(this.buf.subarray(pos, pos + b.length)));
        this.fields++;
        pos += b.length + 1; // the value and its trailing newline
        this.binary = null;
        continue;
      }
      const nl = this.buf.indexOf(10, pos);
      if (nl < 0) {
        if (this.buf.length - pos > this.maxField + 64) {
          // A line longer than any field we keep: skip to its end.
          this.onProblem(`oversized line: a journal export line longer than ${this.maxField} bytes was skipped`);
          pos = this.buf.length;
          this.skipToNewline = true;
        }
        break;
      }
      if (this.skipToNewline) {
        this.skipToNewline = false;
        pos = nl + 1;
        continue;
      }
      if (nl === pos) {
        pos++;
        const line = this.finishEntry();
        if (line) out.push(line);
        continue;
      }
      const eq = this.buf.indexOf(61 /* = */, pos);
      if (eq >= 0 && eq < nl) {
        const key = this.buf.toString("latin1", pos, eq);
        if (validKey(key)) {
          if (KEPT.has(key)) this.keep(key, this.buf.toString("utf8", eq + 1, nl));
          this.fields++;
        } else this.onProblem(`malformed field: a line that is not KEY=value was ignored`);
        pos = nl + 1;
        continue;
      }
      // `KEY\n` + little-endian 64-bit length + value + `\n`.
      const key = this.buf.toString("latin1", pos, nl);
      if (!validKey(key)) {
        this.onProblem(`malformed field: a line that is not KEY=value was ignored`);
        pos = nl + 1;
        continue;
      }
      if (this.buf.length - (nl + 1) < 8) break;
      const len = this.buf.readBigUInt64LE(nl + 1);
      pos = nl + 9;
      if (len > BigInt(this.maxField)) {
        this.onProblem(`oversized field: a ${key} value of ${len} bytes was skipped (longer than ${this.maxField})`);
        this.skip = Number(len > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : len) + 1;
        continue;
      }
      this.binary = { key, length: Number(len), keep: KEPT.has(key) };
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(pos));
    return out.length ? out.join("\n") + "\n" : "";
  }

  /** End of input: the last entry may lack its empty line. */
  end(): string {
    if (this.binary || (this.buf.length > 0 && !this.skipToNewline)) {
      this.onProblem(`truncated: the journal export ends inside a field`);
    }
    this.buf = Buffer.alloc(0);
    this.binary = null;
    const line = this.finishEntry();
    return line ? line + "\n" : "";
  }

  /** Of a repeated field, only the first value is kept: the one journalEntryRecords reads (memory stays bounded). */
  private keep(key: string, v: FieldValue): void {
    if (!Object.hasOwn(this.entry, key)) this.entry[key] = v;
  }

  /** The entry as one JSON line (whatever it holds: the normalizer decides), or null when there was none. */
  private finishEntry(): string | null {
    const e = this.entry;
    const had = this.fields > 0;
    this.entry = {};
    this.fields = 0;
    return had ? JSON.stringify(e) : null;
  }
}

/** Field names: upper-case letters, digits and underscores (journald's rule), at most 64 bytes. */
function validKey(k: string): boolean {
  if (k.length === 0 || k.length > 64) return false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** As `journalctl -o json` shows it: a string when it is UTF-8, else the bytes. */
function binaryValue(b: Buffer): string | number[] {
  try {
    return utf8.decode(b);
  } catch {
    return Array.from(b);
  }
}
