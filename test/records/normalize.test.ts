import { describe, expect, it } from "vitest";
import { normalizeLine, stripControls } from "../../src/records/normalize.js";
import type { LogRecord } from "../../src/types.js";

/** The record normalizeLine must return: every field, nothing else. */
function rec(p: Partial<LogRecord> & { text: string; raw: string }, line = 7): LogRecord {
  return { line, time: null, level: null, facility: null, caller: null, ...p };
}

const ESC = "\x1b";

describe("normalizeLine: timestamps", () => {
  it("[   90.192379] BUG: x", () => {
    expect(normalizeLine("[   90.192379] BUG: x", 7)).toStrictEqual(rec({ text: "BUG: x", time: 90.192379, raw: "[   90.192379] BUG: x" }));
  });

  it("keeps the line number it is given", () => {
    expect(normalizeLine("[    0.000000] x", 123456).line).toBe(123456);
  });

  it("any number of pad spaces, up to 12 integer and 9 fraction digits", () => {
    expect(normalizeLine("[        1.000000] x", 1).time).toBe(1);
    expect(normalizeLine("[1.5] x", 1).time).toBe(1.5);
    expect(normalizeLine("[123456789012.123456789] x", 1)).toStrictEqual(
      rec({ text: "x", time: 123456789012.12346, raw: "[123456789012.123456789] x" }, 1),
    );
  });

  it("rejects malformed timestamps and leaves the line alone", () => {
    for (const raw of ["[1234567890123.0] x", "[1.1234567890] x", "[1.] x", "[.5] x", "[ 1,5] x", "[ 1.5 ] x", "[ 1.5x] x", "[ ] x", "[] x"]) {
      expect(normalizeLine(raw, 3), raw).toStrictEqual(rec({ text: raw, raw }, 3));
    }
  });

  it("removes exactly one space after the timestamp", () => {
    expect(normalizeLine("[    1.0]x", 1).text).toBe("x");
    expect(normalizeLine("[    1.0]  x", 1).text).toBe(" x");
    expect(normalizeLine("[    1.0]\tx", 1).text).toBe("\tx");
  });

  it("a line with only a timestamp has empty text", () => {
    expect(normalizeLine("[    4.000000]", 1)).toStrictEqual(rec({ text: "", time: 4, raw: "[    4.000000]" }, 1));
    expect(normalizeLine("[    4.000000] ", 1)).toStrictEqual(rec({ text: "", time: 4, raw: "[    4.000000] " }, 1));
  });
});

describe("normalizeLine: <N> syslog prefix", () => {
  it("<3>[ 1.0] x", () => {
    expect(normalizeLine("<3>[ 1.0] x", 7)).toStrictEqual(rec({ text: "x", time: 1, level: 3, facility: 0, raw: "<3>[ 1.0] x" }));
  });

  it("<14> splits into level 6, facility 1 (without a timestamp)", () => {
    expect(normalizeLine("<14>hello", 7)).toStrictEqual(rec({ text: "hello", level: 6, facility: 1, raw: "<14>hello" }));
  });

  it("<191> (facility 23, level 7) with a timestamp", () => {
    expect(normalizeLine("<191>[ 1.0] x", 7)).toStrictEqual(rec({ text: "x", time: 1, level: 7, facility: 23, raw: "<191>[ 1.0] x" }));
  });

  it("<0> is level 0", () => {
    expect(normalizeLine("<0>Kernel panic", 1)).toStrictEqual(rec({ text: "Kernel panic", level: 0, facility: 0, raw: "<0>Kernel panic" }, 1));
  });

  it("more than 4 digits, no digits, or no '>' is not a prefix", () => {
    for (const raw of ["<12345>x", "<>x", "<3 x", "<a>x"]) expect(normalizeLine(raw, 1), raw).toStrictEqual(rec({ text: raw, raw }, 1));
  });

  it("after a <N> prefix the timestamp must follow at once (no console-noise search)", () => {
    expect(normalizeLine("<6>noise [ 1.0] x", 1)).toStrictEqual(rec({ text: "noise [ 1.0] x", level: 6, facility: 0, raw: "<6>noise [ 1.0] x" }, 1));
  });
});

describe("normalizeLine: caller ids", () => {
  it("[T123] right after the timestamp", () => {
    expect(normalizeLine("[    1.000000][T123] x", 1)).toStrictEqual(rec({ text: "x", time: 1, caller: "T123", raw: "[    1.000000][T123] x" }, 1));
  });

  it("[  C1]", () => {
    expect(normalizeLine("[    1.000000][  C1] x", 1)).toStrictEqual(rec({ text: "x", time: 1, caller: "C1", raw: "[    1.000000][  C1] x" }, 1));
  });

  it("[ T23686]", () => {
    expect(normalizeLine("[12345.678901][ T23686] rcu: x", 1)).toStrictEqual(
      rec({ text: "rcu: x", time: 12345.678901, caller: "T23686", raw: "[12345.678901][ T23686] rcu: x" }, 1),
    );
  });

  it("with a level prefix too", () => {
    expect(normalizeLine("<4>[   12.500000][    T1] WARNING: x", 1)).toStrictEqual(
      rec({ text: "WARNING: x", time: 12.5, level: 4, facility: 0, caller: "T1", raw: "<4>[   12.500000][    T1] WARNING: x" }, 1),
    );
  });

  it("is only recognised directly after the timestamp, T or C, 1-10 digits", () => {
    expect(normalizeLine("[    1.000000] [T123] x", 1).text).toBe("[T123] x");
    expect(normalizeLine("[  1.0][T] x", 1)).toMatchObject({ text: "[T] x", caller: null });
    expect(normalizeLine("[  1.0][X12] x", 1)).toMatchObject({ text: "[X12] x", caller: null });
    expect(normalizeLine("[  1.0][T12345678901] x", 1)).toMatchObject({ text: "[T12345678901] x", caller: null });
    expect(normalizeLine("[  1.0][T1234567890] x", 1)).toMatchObject({ text: "x", caller: "T1234567890" });
  });

  it("is not looked for without a timestamp", () => {
    expect(normalizeLine("[T123] x", 1)).toStrictEqual(rec({ text: "[T123] x", raw: "[T123] x" }, 1));
  });
});

describe("normalizeLine: no timestamp", () => {
  it("plain text", () => {
    expect(normalizeLine("no timestamp", 7)).toStrictEqual(rec({ text: "no timestamp", raw: "no timestamp" }));
  });

  it("empty line", () => {
    expect(normalizeLine("", 7)).toStrictEqual(rec({ text: "", raw: "" }));
  });

  it("a line that is only [", () => {
    expect(normalizeLine("[", 7)).toStrictEqual(rec({ text: "[", raw: "[" }));
  });

  it("a lone [ inside text", () => {
    expect(normalizeLine("a [ b [ c", 7)).toStrictEqual(rec({ text: "a [ b [ c", raw: "a [ b [ c" }));
  });
});

describe("normalizeLine: console noise before the timestamp", () => {
  it("login: [  12.3] BUG: x", () => {
    expect(normalizeLine("login: [  12.3] BUG: x", 7)).toStrictEqual(rec({ text: "BUG: x", time: 12.3, raw: "login: [  12.3] BUG: x" }));
  });

  it("skips [ that do not start a timestamp", () => {
    expect(normalizeLine("[ OK ] Started x.[    3.000000] y", 7)).toStrictEqual(rec({ text: "y", time: 3, raw: "[ OK ] Started x.[    3.000000] y" }));
  });

  it("the timestamp must start within the first 48 characters", () => {
    const at47 = `${"x".repeat(47)}[ 1.0] y`;
    const at48 = `${"x".repeat(48)}[ 1.0] y`;
    expect(normalizeLine(at47, 1)).toStrictEqual(rec({ text: "y", time: 1, raw: at47 }, 1));
    expect(normalizeLine(at48, 1)).toStrictEqual(rec({ text: at48, raw: at48 }, 1));
  });

  it("serial console: ESC c and CSI sequences glued before the first kernel line", () => {
    const raw = `Probing EDD (edd=off to disable)... o${ESC}c${ESC}[?7l${ESC}[2J[    0.000000] Linux version 6.1.0-56-amd64`;
    expect(normalizeLine(raw, 3)).toStrictEqual(rec({ text: "Linux version 6.1.0-56-amd64", time: 0, raw }, 3));
  });
});

describe("normalizeLine: control characters", () => {
  it("strips one trailing CR from text and raw", () => {
    expect(normalizeLine("[    2.5] x\r", 1)).toStrictEqual(rec({ text: "x", time: 2.5, raw: "[    2.5] x" }, 1));
  });

  it("other CRs go from text; raw keeps all but the last", () => {
    expect(normalizeLine("a\rb\r\r", 1)).toStrictEqual(rec({ text: "ab", raw: "a\rb\r" }, 1));
  });

  it("ANSI colours are removed from text, kept in raw", () => {
    const raw = `${ESC}[31mred${ESC}[0m text`;
    expect(normalizeLine(raw, 1)).toStrictEqual(rec({ text: "red text", raw }, 1));
  });

  it("ESC c (terminal reset) and private CSI modes before the BIOS banner", () => {
    const raw = `${ESC}c${ESC}[?7l${ESC}[2J${ESC}[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r`;
    expect(normalizeLine(raw, 1)).toStrictEqual(rec({ text: "SeaBIOS (version 1.16.2-debian-1.16.2-1)", raw: raw.slice(0, -1) }, 1));
  });

  it("escapes before the timestamp do not hide it", () => {
    const raw = `${ESC}[0m[    1.000000] BUG: x`;
    expect(normalizeLine(raw, 1)).toStrictEqual(rec({ text: "BUG: x", time: 1, raw }, 1));
  });

  it("NUL and other C0 controls are dropped, TAB kept", () => {
    expect(normalizeLine("[ 1.0] x\x00y\x07z\tw", 1)).toStrictEqual(rec({ text: "xyz\tw", time: 1, raw: "[ 1.0] x\x00y\x07z\tw" }, 1));
  });
});

describe("stripControls", () => {
  it.each([
    ["no controls", "plain\ttext", "plain\ttext"],
    ["CSI with parameters", `a${ESC}[1;31mb${ESC}[0mc`, "abc"],
    ["CSI private mode", `${ESC}[?25lx`, "x"],
    ["unterminated CSI eats the rest", `x${ESC}[12;`, "x"],
    ["OSC ended by BEL", `${ESC}]0;title\x07after`, "after"],
    ["OSC ended by ESC \\", `${ESC}]0;title${ESC}\\after`, "after"],
    ["unterminated OSC eats the rest", `x${ESC}]0;title`, "x"],
    ["charset selection ESC ( B", `${ESC}(Bcharset`, "charset"],
    ["charset selection ESC ) 0", `${ESC})0x`, "x"],
    ["ESC c", `${ESC}cx`, "x"],
    ["ESC 7 / ESC 8", `${ESC}7a${ESC}8b`, "ab"],
    ["lone ESC at the end", `x${ESC}`, "x"],
    ["lone ESC", ESC, ""],
    ["C0 controls", "a\x00b\x01c\x1fd\re", "abcde"],
  ])("%s", (_name, input, expected) => {
    expect(stripControls(input)).toBe(expected);
  });

  it("returns the same string object when there is nothing to strip", () => {
    const s = "no controls here";
    expect(stripControls(s)).toBe(s);
  });
});
