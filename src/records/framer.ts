/**
 * Byte chunks → blocks of complete lines. Keeps the unfinished tail of a
 * chunk as bytes (so a UTF-8 character split across chunks survives), caps
 * line length (a 100 MB line costs at most `maxLineLength` bytes of memory),
 * and reports invalid UTF-8 instead of hiding it.
 */
import { isUtf8 } from "node:buffer";

export interface FramedBlock {
  /** Complete lines, each ending in "\n". */
  text: string;
  /** Char indices in `text` where undecodable bytes were replaced (at most a few). */
  invalidUtf8At: number[];
  /** Lines that were cut at the length cap: char index in `text` of each such line's end. */
  truncatedAt: number[];
}

export interface FramerOptions {
  /** Longest line kept, in bytes; the rest of a longer line is dropped. Default 64 KiB. */
  maxLineLength?: number;
}

const EMPTY: FramedBlock = { text: "", invalidUtf8At: [], truncatedAt: [] };

export class LineFramer {
  private carry: Buffer | null = null;
  private skipping = false;
  private readonly max: number;

  constructor(opts: FramerOptions = {}) {
    this.max = Math.max(256, opts.maxLineLength ?? 65536);
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
    const out = complete ? decode(complete) : { text: "", invalidUtf8At: [] };
    const block: FramedBlock = { text: out.text, invalidUtf8At: out.invalidUtf8At, truncatedAt: [] };
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
    return { text: out.text + "\n", invalidUtf8At: out.invalidUtf8At, truncatedAt: [] };
  }

  private appendTruncated(block: FramedBlock, bytes: Buffer): void {
    // Do not cut a UTF-8 sequence in half.
    let end = bytes.length;
    let back = 0;
    while (end > 0 && back < 3 && (bytes[end - 1]! & 0xc0) === 0x80) {
      end--;
      back++;
    }
    if (end > 0 && (bytes[end - 1]! & 0xc0) === 0xc0) end--;
    else if (back > 0) end += back;
    const d = decode(bytes.subarray(0, end));
    const base = block.text.length;
    block.text += d.text + "\n";
    for (const i of d.invalidUtf8At) block.invalidUtf8At.push(base + i);
    block.truncatedAt.push(block.text.length - 1);
  }
}

function decode(b: Buffer): { text: string; invalidUtf8At: number[] } {
  if (isUtf8(b)) return { text: b.toString("utf8"), invalidUtf8At: [] };
  const text = b.toString("utf8");
  const at: number[] = [];
  for (let i = text.indexOf("\uFFFD"); i >= 0 && at.length < 8; i = text.indexOf("\uFFFD", i + 1)) at.push(i);
  return { text, invalidUtf8At: at };
}
