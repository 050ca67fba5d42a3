import { describe, expect, it } from "vitest";
import { TAINT_FLAGS, decodeTaint, taintFromMask, taintMask } from "../../src/decode/taint.js";

const letters = (text: string) => decodeTaint(text).flags.map((f) => `${f.letter}${f.bit ?? "-"}`);

describe("TAINT_FLAGS", () => {
  it("matches kernel/panic.c taint_flags[] bits 0-19", () => {
    expect(TAINT_FLAGS.map((f) => f.letter).join("")).toBe("PFSRMBUDAWCIOELKXTNJ");
    expect(TAINT_FLAGS.map((f) => f.bit)).toEqual([...Array(20).keys()]);
    expect(TAINT_FLAGS.map((f) => f.name)).toEqual([
      "PROPRIETARY_MODULE",
      "FORCED_MODULE",
      "CPU_OUT_OF_SPEC",
      "FORCED_RMMOD",
      "MACHINE_CHECK",
      "BAD_PAGE",
      "USER",
      "DIE",
      "OVERRIDDEN_ACPI_TABLE",
      "WARN",
      "CRAP",
      "FIRMWARE_WORKAROUND",
      "OOT_MODULE",
      "UNSIGNED_MODULE",
      "SOFTLOCKUP",
      "LIVEPATCH",
      "AUX",
      "RANDSTRUCT",
      "TEST",
      "FWCTL",
    ]);
  });
});

describe("decodeTaint", () => {
  const cases: [string, boolean, string[]][] = [
    ["G           OE     ", true, ["O12", "E13"]],
    ["Not tainted", false, []],
    ["P    B D W  O      ", true, ["P0", "B5", "D7", "W9", "O12"]],
    ["G      D          ", true, ["D7"]],
    ["P        W  O      ", true, ["P0", "W9", "O12"]],
    ["[O]=OOT_MODULE, [E]=UNSIGNED_MODULE", true, ["O12", "E13"]],
    ["Tainted: [W]=WARN", true, ["W9"]],
    ["Tainted: [P]=PROPRIETARY_MODULE, [D]=DIE, [W]=WARN, [O]=OOT_MODULE", true, ["P0", "D7", "W9", "O12"]],
    // the release after the letters is not taint
    ["G      D W  OE      6.1.0-13-amd64 #1 Debian 6.1.55-1", true, ["D7", "W9", "O12", "E13"]],
    ["Tainted: G        W          6.12.0 #1 PREEMPT(voluntary)", true, ["W9"]],
    ["G S  M B    C I   L KXTNJ", true, ["S2", "M4", "B5", "C10", "I11", "L14", "K15", "X16", "T17", "N18", "J19"]],
    // letter order in the text does not matter; result is sorted by bit
    ["EO", true, ["O12", "E13"]],
    ["G", false, []],
  ];
  it.each(cases)("%j", (text, tainted, expected) => {
    const d = decodeTaint(text);
    expect(d.tainted).toBe(tainted);
    expect(letters(text)).toEqual(expected);
  });

  it("keeps unknown letters with bit null", () => {
    expect(decodeTaint("G    Z      O  ")).toEqual({
      tainted: true,
      flags: [
        {
          letter: "O",
          bit: 12,
          meaning: 'externally-built ("out-of-tree") module was loaded',
          name: "OOT_MODULE",
        },
        { letter: "Z", bit: null, meaning: "unknown taint flag 'Z'" },
      ],
    });
    expect(decodeTaint("[H]=HW_ERROR_RECOVERED, [W]=WARN").flags).toEqual([
      { letter: "W", bit: 9, meaning: "kernel issued warning", name: "WARN" },
      { letter: "H", bit: null, meaning: "unknown taint flag 'H'", name: "HW_ERROR_RECOVERED" },
    ]);
  });

  it("gives the documented meanings", () => {
    const d = decodeTaint("G           OE     ");
    expect(d.flags).toEqual([
      { letter: "O", bit: 12, meaning: 'externally-built ("out-of-tree") module was loaded', name: "OOT_MODULE" },
      { letter: "E", bit: 13, meaning: "unsigned module was loaded", name: "UNSIGNED_MODULE" },
    ]);
  });
});

describe("taintFromMask", () => {
  it("decodes the documented example 4609 = P W O", () => {
    expect(taintFromMask(4609).map((f) => f.letter)).toEqual(["P", "W", "O"]);
    expect(taintFromMask(4609n).map((f) => f.bit)).toEqual([0, 9, 12]);
  });
  it("decodes 0 and high bits", () => {
    expect(taintFromMask(0)).toEqual([]);
    expect(taintFromMask(1n << 19n)).toEqual([
      { letter: "J", bit: 19, meaning: "fwctl's mutating debug interface was used", name: "FWCTL" },
    ]);
    expect(taintFromMask(1 << 20)).toEqual([{ letter: "?", bit: 20, meaning: "unknown taint bit 20" }]);
  });
  it("round-trips with taintMask", () => {
    expect(taintMask(decodeTaint("P    B D W  O      ").flags)).toBe(0b1_0010_1010_0001n);
    expect(taintMask(taintFromMask(0xfffff))).toBe(0xfffffn);
  });
  it("rejects negative masks", () => {
    expect(() => taintFromMask(-1)).toThrow(RangeError);
  });
});
