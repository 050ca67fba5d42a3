/**
 * Byte chunks → blocks of complete lines. Keeps the unfinished tail of a
 * chunk as bytes (so a UTF-8 character split across chunks survives) and
 * bounds memory on endless lines: an unfinished line longer than
 * 3 × `maxLineLength` bytes is cut there and the rest dropped, so a 100 MB
 * line costs at most that much. (The analysis cap itself, `maxLineLength`
 * characters with a diagnostic, is applied by the scanner to every line,
 * whichever way the input was chunked; 3 bytes per UTF-16 unit is UTF-8's
 * worst case, so a line cut here is still over the analysis cap.)
 */
import { isUtf8 } from "node:buffer";

export interface FramedBlock {
  /** Complete lines, each ending in "\n". */
  text: string;
  /** Char index of the first undecodable byte (shown as U+FFFD) of each of the block's first few lines that have one. */
  invalidUtf8At: number[];
}

export interface FramerOptions {
  /** The analysis cap in characters (default 65536); unfinished lines are cut at three times that in bytes. */
  maxLineLength?: number;
}

const EMPTY: FramedBlock = { text: "", invalidUtf8At: [] };
/** Lines with invalid UTF-8 listed per block (diagnostics stop at five per source). */
const MAX_INVALID_LINES = 5;

export class LineFramer {
  private carry: Buffer | null = null;
  private skipping = false;
  private readonly max: number;

  constructor(opts: FramerOptions = {}) {
    this.max = 3 * Math.max(256, opts.maxLineLength ?? 65536) + 3;
  }

  push(chunk: Uint8Array | string): FramedBlock {
    let buf: Buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.skipping) {
      const nl = buf.indexOf(10);
      if (nl < 0) return EMPTY;
      buf = buf.subarray(nl + 1);
      this.skipping = false;
    }
    if (this.carry) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = null;
    }
    const last = buf.lastIndexOf(10);
    const complete = last < 0 ? null : buf.subarray(0, last + 1);
    const rest = last < 0 ? buf : buf.subarray(last + 1);
    let truncated: Buffer | null = null;
    if (rest.length > this.max) {
      truncated = rest.subarray(0, this.max);
      this.skipping = true;
    } else if (rest.length > 0) {
      this.carry = Buffer.from(rest); // copy: do not pin the whole chunk
    }
    if (!complete && !truncated) return EMPTY;
    const block: FramedBlock = complete ? decode(complete) : { text: "", invalidUtf8At: [] };
    if (truncated) this.appendTruncated(block, truncated);
    return block;
  }

  /** The last line when the input does not end with a newline. */
  end(): FramedBlock {
    const c = this.carry;
    this.carry = null;
    this.skipping = false;
    if (!c || c.length === 0) return EMPTY;
    const out = decode(c);
    return { text: out.text + "\n", invalidUtf8At: out.invalidUtf8At };
  }

  private appendTruncated(block: FramedBlock, bytes: Buffer): void {
    const d = decode(bytes.subarray(0, charBoundary(bytes)));
    const base = block.text.length;
    block.text += d.text + "\n";
    for (const i of d.invalidUtf8At) if (block.invalidUtf8At.length < MAX_INVALID_LINES) block.invalidUtf8At.push(base + i);
  }
}

/** Length of the longest prefix of `b` that does not end inside a UTF-8 sequence. */
export function charBoundary(b: Uint8Array): number {
  const n = b.length;
  // Find the start of the last sequence (at most 3 continuation bytes back).
  let p = n - 1;
  while (p >= 0 && n - p <= 4 && (b[p]! & 0xc0) === 0x80) p--;
  if (p < 0 || n - p > 4) return n; // not UTF-8 anyway: keep the bytes as they are
  const lead = b[p]!;
  const len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return p + len <= n ? n : p;
}

function decode(b: Buffer): FramedBlock {
  if (isUtf8(b)) return { text: b.toString("utf8"), invalidUtf8At: [] };
  const text = b.toString("utf8");
  const at: number[] = [];
  for (let i = text.indexOf("\uFFFD"); i >= 0 && at.length < MAX_INVALID_LINES; ) {
    at.push(i);
    const nl = text.indexOf("\n", i);
    if (nl < 0) break;
    i = text.indexOf("\uFFFD", nl + 1);
  }
  return { text, invalidUtf8At: at };
}
