/**
 * LineFramer, chunk boundary by chunk boundary (in the spirit of split2's
 * tests). Every test compares the exact blocks returned by each push() and by
 * end().
 */
import { describe, expect, it } from "vitest";
import { LineFramer, type FramedBlock } from "../../src/records/framer.js";

const B = (...bytes: number[]): Buffer => Buffer.from(bytes);
const blk = (text: string, invalidUtf8At: number[] = []): FramedBlock => ({ text, invalidUtf8At });
const EMPTY = blk("");

/** Every block: one per push, then the one from end(). */
function frame(chunks: (Uint8Array | string)[], opts?: { maxLineLength?: number }): FramedBlock[] {
  const f = new LineFramer(opts);
  const out = chunks.map((c) => f.push(c));
  out.push(f.end());
  return out;
}

/** The text of all blocks joined. */
const joined = (bs: FramedBlock[]): string => bs.map((b) => b.text).join("");

describe("LineFramer: newlines and chunk ends", () => {
  it("\\n at the end of a chunk", () => {
    expect(frame(["abc\n", "def\n"])).toEqual([blk("abc\n"), blk("def\n"), EMPTY]);
  });

  it("\\n at the start of a chunk", () => {
    expect(frame(["abc", "\ndef", "\n"])).toEqual([EMPTY, blk("abc\n"), blk("def\n"), EMPTY]);
  });

  it("several lines in one chunk come out as one block", () => {
    expect(frame(["a\nb\nc\n"])).toEqual([blk("a\nb\nc\n"), EMPTY]);
  });

  it("a line spread over many chunks", () => {
    expect(frame(["a", "b", "c", "d\ne"])).toEqual([EMPTY, EMPTY, EMPTY, blk("abcd\n"), blk("e\n")]);
  });

  it("empty lines are kept", () => {
    expect(frame(["\n\n", "\n"])).toEqual([blk("\n\n"), blk("\n"), EMPTY]);
  });

  it("empty chunks change nothing", () => {
    expect(frame(["", "a", "", "\n", ""])).toEqual([EMPTY, EMPTY, EMPTY, blk("a\n"), EMPTY, EMPTY]);
  });

  it("CR is not a line end: \\r and \\n in different chunks stay one CRLF", () => {
    expect(frame(["a\r", "\nb"])).toEqual([EMPTY, blk("a\r\n"), blk("b\n")]);
  });

  it("lone CR inside a line is kept", () => {
    expect(frame(["a\rb\n"])).toEqual([blk("a\rb\n"), EMPTY]);
  });

  it("final line without newline comes from end(), with a newline added", () => {
    expect(frame(["x\ny"])).toEqual([blk("x\n"), blk("y\n")]);
  });

  it("no input at all", () => {
    expect(frame([])).toEqual([EMPTY]);
  });

  it("end() twice: the second is empty", () => {
    const f = new LineFramer();
    f.push("tail");
    expect(f.end()).toEqual(blk("tail\n"));
    expect(f.end()).toEqual(EMPTY);
  });
});

describe("LineFramer: input types", () => {
  it("strings are encoded as UTF-8", () => {
    expect(frame(["é\n"])).toEqual([blk("é\n"), EMPTY]);
  });

  it("a plain Uint8Array view into a larger buffer: only its own bytes", () => {
    const big = new Uint8Array(Buffer.from("XXab\ncdYY"));
    expect(frame([big.subarray(2, 7)])).toEqual([blk("ab\n"), blk("cd\n")]);
  });

  it("the unfinished tail is copied: reusing the caller's buffer does not change it", () => {
    const f = new LineFramer();
    const buf = Buffer.from("abc");
    expect(f.push(buf)).toEqual(EMPTY);
    buf.write("xyz");
    expect(f.push("\n")).toEqual(blk("abc\n"));
  });
});

describe("LineFramer: UTF-8 across chunk boundaries", () => {
  it("2-byte char split 1 by 1", () => {
    expect(frame([B(0x61, 0xc3), B(0xa9, 0x0a)])).toEqual([EMPTY, blk("aé\n"), EMPTY]);
  });

  it("utf8 char split 2 by 2 (4-byte 😀)", () => {
    expect(frame([B(0xf0, 0x9f), B(0x98, 0x80), B(0x0a)])).toEqual([EMPTY, EMPTY, blk("😀\n"), EMPTY]);
  });

  it("4-byte char split byte by byte, then more text", () => {
    expect(frame([B(0xf0), B(0x9f), B(0x98), B(0x80, 0x21, 0x0a)])).toEqual([EMPTY, EMPTY, EMPTY, blk("😀!\n"), EMPTY]);
  });

  it("3-byte € split after a newline in the same chunk", () => {
    expect(frame([B(0x78, 0x0a, 0xe2, 0x82), B(0xac, 0x0a)])).toEqual([blk("x\n"), blk("€\n"), EMPTY]);
  });

  it("truncated char: input ends inside a character", () => {
    expect(frame([B(0x61, 0x62, 0xc3)])).toEqual([EMPTY, blk("ab\uFFFD\n", [2])]);
  });

  it("truncated char before a newline", () => {
    expect(frame([B(0x61, 0xe2, 0x82, 0x0a)])).toEqual([blk("a\uFFFD\n", [1]), EMPTY]);
  });
});

describe("LineFramer: invalid UTF-8", () => {
  it("reports the char index of the first U+FFFD of each line in the block text", () => {
    expect(frame([B(0x61, 0xff, 0x62, 0x0a, 0x63, 0xc3, 0x28, 0x0a)])).toEqual([blk("a\uFFFDb\nc\uFFFD(\n", [1, 5]), EMPTY]);
  });

  it("indices count UTF-16 units of the text, after multi-byte chars", () => {
    // "😀" is 2 UTF-16 units, "é" 1
    expect(frame([Buffer.concat([Buffer.from("😀é"), B(0xfe), Buffer.from("\n")])])).toEqual([blk("😀é\uFFFD\n", [3]), EMPTY]);
  });

  it("a UTF-8-encoded surrogate and an overlong encoding are invalid", () => {
    const out = frame([B(0xed, 0xa0, 0x80, 0x0a, 0xc0, 0xaf, 0x0a)]);
    expect(out[0]!.text).toBe("\uFFFD\uFFFD\uFFFD\n\uFFFD\uFFFD\n");
    expect(out[0]!.invalidUtf8At).toEqual([0, 4]);
  });

  it("one position per line, and at most 5 lines per block", () => {
    const out = frame([Buffer.concat([B(...Array<number>(20).fill(0xff)), Buffer.from("\n")])]);
    expect(out[0]!.text).toBe(`${"\uFFFD".repeat(20)}\n`);
    expect(out[0]!.invalidUtf8At).toEqual([0]);
    const many = frame([Buffer.concat(Array.from({ length: 8 }, () => B(0xff, 0x0a)))]);
    expect(many[0]!.invalidUtf8At).toEqual([0, 2, 4, 6, 8]);
  });

  it("positions are per block", () => {
    expect(frame([B(0x61, 0xff, 0x0a), B(0x62, 0x62, 0xff, 0x0a)])).toEqual([blk("a\uFFFD\n", [1]), blk("bb\uFFFD\n", [2]), EMPTY]);
  });

  it("valid input has no positions, even when it contains U+FFFD itself", () => {
    expect(frame(["a\uFFFDb\n"])).toEqual([blk("a\uFFFDb\n"), EMPTY]);
  });

  it("NUL bytes are valid UTF-8 and pass through", () => {
    expect(frame([B(0x00, 0x61, 0x00, 0x0a)])).toEqual([blk("\u0000a\u0000\n"), EMPTY]);
  });
});

describe("LineFramer: memory bound on endless lines", () => {
  // The analysis cap (maxLineLength characters, with a diagnostic) is the
  // scanner's; the framer only bounds memory: an unfinished line longer than
  // 3 × maxLineLength + 3 bytes (UTF-8's worst case per UTF-16 unit) is cut
  // there and the rest dropped. With the minimum maxLineLength of 256 that
  // is 771 bytes.
  const a = (n: number): string => "a".repeat(n);
  const CAP = 771;

  it("an unfinished line longer than the bound is cut and the rest dropped (up to its newline)", () => {
    expect(frame([a(800), "bbb\nccc\n"], { maxLineLength: 256 })).toEqual([blk(`${a(CAP)}\n`), blk("ccc\n"), EMPTY]);
  });

  it("the rest is dropped over several chunks, then framing resumes", () => {
    expect(frame([a(800), "b".repeat(800), "c\nd\n"], { maxLineLength: 256 })).toEqual([blk(`${a(CAP)}\n`), EMPTY, blk("d\n"), EMPTY]);
  });

  it("cut detected when the carried start plus the next chunk pass the bound", () => {
    expect(frame([a(700), "b".repeat(100)], { maxLineLength: 256 })).toEqual([EMPTY, blk(`${a(700)}${"b".repeat(71)}\n`), EMPTY]);
  });

  it("complete lines before the long one come out in the same block", () => {
    expect(frame([`x\nyy\n${a(800)}`], { maxLineLength: 256 })).toEqual([blk(`x\nyy\n${a(CAP)}\n`), EMPTY]);
  });

  it("an unfinished line of exactly the bound is kept whole", () => {
    expect(frame([a(CAP), "\n"], { maxLineLength: 256 })).toEqual([EMPTY, blk(`${a(CAP)}\n`), EMPTY]);
  });

  it("a long line that arrives complete in one chunk is not cut here (the scanner caps what it analyses)", () => {
    expect(frame([`${a(3000)}\n`], { maxLineLength: 256 })).toEqual([blk(`${a(3000)}\n`), EMPTY]);
  });

  it("maxLineLength is at least 256", () => {
    expect(frame([a(800)], { maxLineLength: 10 })).toEqual([blk(`${a(CAP)}\n`), EMPTY]);
  });

  it("the default bound is 3 × 64 Ki + 3 bytes", () => {
    expect(frame([a(196612)])).toEqual([blk(`${a(196611)}\n`), EMPTY]);
  });

  it("the cut does not split a UTF-8 character (é across the bound)", () => {
    const line = Buffer.concat([Buffer.from(a(CAP - 1)), B(0xc3, 0xa9), Buffer.from("zzz")]);
    expect(frame([line], { maxLineLength: 256 })).toEqual([blk(`${a(CAP - 1)}\n`), EMPTY]);
  });

  it("the cut does not split a 4-byte character (😀 with 1, 2 or 3 bytes under the bound)", () => {
    for (const k of [1, 2, 3]) {
      const line = Buffer.concat([Buffer.from(a(CAP - k)), Buffer.from("😀"), Buffer.from("zzz")]);
      expect(frame([line], { maxLineLength: 256 }), `${k} bytes under`).toEqual([blk(`${a(CAP - k)}\n`), EMPTY]);
    }
  });

  it("a complete multi-byte character ending exactly at the bound is kept", () => {
    const line = Buffer.concat([Buffer.from(a(CAP - 2)), B(0xc3, 0xa9), Buffer.from("zzz")]);
    expect(frame([line], { maxLineLength: 256 })).toEqual([blk(`${a(CAP - 2)}é\n`), EMPTY]);
  });

  it("invalid bytes inside the kept part are reported, at their index", () => {
    const line = Buffer.concat([B(0xff), Buffer.from(a(800))]);
    expect(frame([line], { maxLineLength: 256 })).toEqual([blk(`\uFFFD${a(CAP - 1)}\n`, [0]), EMPTY]);
  });

  it("invalid index of the cut line is offset by the complete lines before it", () => {
    const chunk = Buffer.concat([Buffer.from("ok\n"), B(0xff), Buffer.from(a(800))]);
    expect(frame([chunk], { maxLineLength: 256 })).toEqual([blk(`ok\n\uFFFD${a(CAP - 1)}\n`, [3]), EMPTY]);
  });

  it("a 20 MB line in 1 MB chunks yields one cut line and nothing more", () => {
    const f = new LineFramer();
    const chunk = Buffer.alloc(1 << 20, 0x78);
    const out: FramedBlock[] = [];
    for (let i = 0; i < 20; i++) out.push(f.push(chunk));
    out.push(f.push("\nnext\n"), f.end());
    expect(out[0]).toEqual(blk(`${"x".repeat(196611)}\n`));
    expect(out.slice(1, 20).every((b) => b.text === "")).toBe(true);
    expect(out[20]).toEqual(blk("next\n"));
    expect(out[21]).toEqual(EMPTY);
  });
});

describe("LineFramer: splitting never changes the text", () => {
  it("every split point of a mixed input gives the same lines", () => {
    const input = Buffer.concat([Buffer.from("[    1.0] héllo 😀\r\n€uro\n"), B(0xff), Buffer.from("x\nlast")]);
    const whole = joined(frame([input]));
    expect(whole).toBe("[    1.0] héllo 😀\r\n€uro\n\uFFFDx\nlast\n");
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j += 3) {
        expect(joined(frame([input.subarray(0, i), input.subarray(i, j), input.subarray(j)])), `cuts ${i},${j}`).toBe(whole);
      }
    }
  });
});
