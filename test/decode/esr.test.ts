import { describe, expect, it } from "vitest";
import {
  ESR_CLASS_NAMES,
  FSC_NAMES,
  crossCheckEsr,
  decodeEsr,
  describeBrkComment,
  esrClassName,
  fscName,
  parseMemAbortLine,
  parseMemAbortLines,
} from "../../src/decode/esr.js";

const DA0 = { isv: 0, vncr: 0, set: 0, fnv: 0, ea: 0, cm: 0, s1ptw: 0 };

describe("decodeEsr", () => {
  it("0x96000045: level 1 translation fault, write", () => {
    expect(decodeEsr(0x96000045)).toEqual({
      esr: "0x96000045",
      value: 0x96000045n,
      ec: 0x25,
      ecName: "DABT (current EL)",
      il: 32,
      iss: 0x45,
      dataAbort: { ...DA0, wnr: 1, fsc: 5, fscName: "level 1 translation fault" },
      summary: "data abort from current EL: write, level 1 translation fault",
    });
  });

  it("0x0000000096000004: level 0 translation fault, read (64-bit form keeps ISS2)", () => {
    expect(decodeEsr("0000000096000004")).toEqual({
      esr: "0x0000000096000004",
      value: 0x96000004n,
      ec: 0x25,
      ecName: "DABT (current EL)",
      il: 32,
      iss: 0x04,
      iss2: 0,
      dataAbort: {
        ...DA0,
        wnr: 0,
        fsc: 4,
        fscName: "level 0 translation fault",
        tnd: 0,
        tagAccess: 0,
        gcs: 0,
        overlay: 0,
        dirtyBit: 0,
        xs: 0,
      },
      summary: "data abort from current EL: read, level 0 translation fault",
    });
  });

  it("0x8600000f: IABT level 3 permission fault", () => {
    expect(decodeEsr("0x8600000f")).toEqual({
      esr: "0x8600000f",
      value: 0x8600000fn,
      ec: 0x21,
      ecName: "IABT (current EL)",
      il: 32,
      iss: 0x0f,
      instructionAbort: { set: 0, fnv: 0, ea: 0, s1ptw: 0, fsc: 0x0f, fscName: "level 3 permission fault" },
      summary: "instruction abort from current EL: level 3 permission fault",
    });
  });

  it("0x9600004f: write, level 3 permission fault", () => {
    const d = decodeEsr(0x9600004fn);
    expect(d.dataAbort).toEqual({ ...DA0, wnr: 1, fsc: 0x0f, fscName: "level 3 permission fault" });
    expect(d.summary).toBe("data abort from current EL: write, level 3 permission fault");
  });

  it("0xf2000800: BRK from BUG()", () => {
    expect(decodeEsr("00000000f2000800")).toEqual({
      esr: "0x00000000f2000800",
      value: 0xf2000800n,
      ec: 0x3c,
      ecName: "BRK (AArch64)",
      il: 32,
      iss: 0x800,
      iss2: 0,
      brk: { comment: 0x800, meaning: "BUG()/WARN() trap (BUG_BRK_IMM)" },
      summary: "BRK #0x800 (AArch64): BUG()/WARN() trap (BUG_BRK_IMM)",
    });
  });

  const summaries: [number | string, string][] = [
    [0x92000004, "data abort from lower EL: read, level 0 translation fault"],
    [0x96000021, "data abort from current EL: read, alignment fault"],
    [0x96000010, "data abort from current EL: read, synchronous external abort"],
    [0x96000610, "data abort from current EL: read, synchronous external abort, external abort, FAR not valid"],
    [0x96000144, "data abort from current EL: cache maintenance, level 0 translation fault"],
    [0x96000011, "data abort from current EL: read, synchronous tag check fault"],
    [0x960000c7, "data abort from current EL: write, level 3 translation fault, during stage-1 translation table walk"],
    [0x93c08007, "data abort from lower EL: read, level 3 translation fault, 8-byte access via x0"],
    [0x9380004f, "data abort from lower EL: write, level 3 permission fault, 4-byte access via w0"],
    [0x82000007, "instruction abort from lower EL: level 3 translation fault"],
    [0x02000000, "Unknown/Uncategorized (EC 0x00): unknown reason (typically an undefined or unallocated instruction)"],
    [0xbe000011, "SError (EC 0x2f): SError interrupt (asynchronous external abort)"],
    [0x8a000000, "PC Alignment (EC 0x22): misaligned program counter"],
    [0xc8000000, "Software Step (lower EL) (EC 0x32)"],
    ["0000010096000045", "data abort from current EL: write, level 1 translation fault, Guarded Control Stack access"],
    [0xf2000914, "BRK #0x914 (AArch64): tag-based KASAN report: write, 16-byte access, not recoverable"],
    [0xf2005512, "BRK #0x5512 (AArch64): UBSAN trap (check type 0x12)"],
    [0xf2008228, "BRK #0x8228 (AArch64): kCFI check failure (target register x8, type register x17)"],
  ];
  it.each(summaries)("%s", (esr, summary) => {
    expect(decodeEsr(esr).summary).toBe(summary);
  });

  it("decodes ISV fields", () => {
    expect(decodeEsr(0x93c08007).dataAbort).toEqual({
      ...DA0,
      isv: 1,
      sas: 3,
      accessSize: 8,
      sse: 0,
      srt: 0,
      sf: 1,
      ar: 0,
      wnr: 0,
      fsc: 7,
      fscName: "level 3 translation fault",
    });
  });

  it("decodes IL, unallocated ECs and ISS2", () => {
    expect(decodeEsr(0x94000045).il).toBe(16);
    expect(decodeEsr(0x2c000000).ecName).toBe("UNRECOGNIZED EC");
    const d = decodeEsr("0x00000561_96000045".replace("_", ""));
    expect(d.iss2).toBe(0x561);
    expect(d.dataAbort).toMatchObject({ tnd: 1, tagAccess: 0, gcs: 1, overlay: 1, dirtyBit: 1, xs: 1 });
  });

  it("rejects garbage", () => {
    expect(() => decodeEsr("zz")).toThrow(RangeError);
    expect(() => decodeEsr(-1)).toThrow(RangeError);
    expect(() => decodeEsr("0x12345678901234567")).toThrow(RangeError);
  });
});

describe("tables", () => {
  it("has esr_class_str names at their EC values", () => {
    expect(esrClassName(0x25)).toBe("DABT (current EL)");
    expect(esrClassName(0x24)).toBe("DABT (lower EL)");
    expect(esrClassName(0x21)).toBe("IABT (current EL)");
    expect(esrClassName(0x3c)).toBe("BRK (AArch64)");
    expect(esrClassName(0x15)).toBe("SVC (AArch64)");
    expect(esrClassName(0x2f)).toBe("SError");
    expect(esrClassName(0x2d)).toBe("Guarded Control Stack");
    expect(esrClassName(0x0a)).toBe("UNRECOGNIZED EC");
    expect(Object.keys(ESR_CLASS_NAMES)).toHaveLength(44);
  });
  it("has fault_info names at their FSC values", () => {
    expect(FSC_NAMES).toHaveLength(64);
    expect(fscName(0x04)).toBe("level 0 translation fault");
    expect(fscName(0x07)).toBe("level 3 translation fault");
    expect(fscName(0x0b)).toBe("level 3 access flag fault");
    expect(fscName(0x0d)).toBe("level 1 permission fault");
    expect(fscName(0x10)).toBe("synchronous external abort");
    expect(fscName(0x11)).toBe("synchronous tag check fault");
    expect(fscName(0x21)).toBe("alignment fault");
    expect(fscName(0x2b)).toBe("level -1 translation fault");
    expect(fscName(0x30)).toBe("TLB conflict abort");
  });
  it("describes BRK comments from brk-imm.h", () => {
    expect(describeBrkComment(0x004)).toBe("kprobe breakpoint");
    expect(describeBrkComment(0x100)).toMatch(/^deliberate fault/);
    expect(describeBrkComment(0x900)).toBe("tag-based KASAN report: read, 1-byte access, not recoverable");
    expect(describeBrkComment(0x92f)).toBe("tag-based KASAN report: read, access size not encoded, recoverable");
    expect(describeBrkComment(0x1234)).toBe("BRK immediate with no kernel meaning");
  });
});

describe("parseMemAbortLine", () => {
  const cases: [string, ReturnType<typeof parseMemAbortLine>][] = [
    ["Mem abort info:", { section: "Mem abort info" }],
    ["[   12.345678] Data abort info:", { section: "Data abort info" }],
    ["  ESR = 0x0000000096000045", { ESR: "0x0000000096000045" }],
    ["  ESR = 0x96000045", { ESR: "0x96000045" }],
    ["  EC = 0x25: DABT (current EL), IL = 32 bits", { EC: 0x25, ecName: "DABT (current EL)", IL: 32 }],
    ["  Exception class = DABT (current EL), IL = 32 bits", { ecName: "DABT (current EL)", IL: 32 }],
    ["  SET = 0, FnV = 0", { SET: 0, FnV: 0 }],
    ["  EA = 0, S1PTW = 0", { EA: 0, S1PTW: 0 }],
    ["  FSC = 0x05: level 1 translation fault", { FSC: 5, fscName: "level 1 translation fault" }],
    ["  ISV = 0, ISS = 0x00000045", { ISV: 0, ISS: 0x45 }],
    ["  ISV = 0, ISS = 0x00000045, ISS2 = 0x00000000", { ISV: 0, ISS: 0x45, ISS2: 0 }],
    ["  CM = 0, WnR = 1", { CM: 0, WnR: 1 }],
    ["  CM = 0, WnR = 1, TnD = 0, TagAccess = 0", { CM: 0, WnR: 1, TnD: 0, TagAccess: 0 }],
    ["  GCS = 0, Overlay = 0, DirtyBit = 0, Xs = 0", { GCS: 0, Overlay: 0, DirtyBit: 0, Xs: 0 }],
    ["  Access size = 8 byte(s)", { "Access size": 8 }],
    ["  SSE = 0, SRT = 3", { SSE: 0, SRT: 3 }],
    ["  SF = 1, AR = 0", { SF: 1, AR: 0 }],
    ["user pgtable: 4k pages, 48-bit VAs, pgdp=0000000041a2b000", null],
    ["  x = 1", null],
    ["  CM = 0, WnR = banana", null],
  ];
  it.each(cases)("%j", (line, expected) => {
    expect(parseMemAbortLine(line)).toEqual(expected);
  });
});

const BLOCK_6X = [
  "Unable to handle kernel write to read-only memory at virtual address ffff800008f2a000",
  "Mem abort info:",
  "  ESR = 0x000000009600004f",
  "  EC = 0x25: DABT (current EL), IL = 32 bits",
  "  SET = 0, FnV = 0",
  "  EA = 0, S1PTW = 0",
  "  FSC = 0x0f: level 3 permission fault",
  "Data abort info:",
  "  ISV = 0, ISS = 0x0000004f, ISS2 = 0x00000000",
  "  CM = 0, WnR = 1, TnD = 0, TagAccess = 0",
  "  GCS = 0, Overlay = 0, DirtyBit = 0, Xs = 0",
];

const BLOCK_4X = [
  "Mem abort info:",
  "  ESR = 0x96000045",
  "  Exception class = DABT (current EL), IL = 32 bits",
  "  SET = 0, FnV = 0",
  "  EA = 0, S1PTW = 0",
  "Data abort info:",
  "  ISV = 0, ISS = 0x00000045",
  "  CM = 0, WnR = 1",
];

describe("crossCheckEsr", () => {
  it("accepts a consistent 6.x block", () => {
    expect(crossCheckEsr("000000009600004f", BLOCK_6X)).toEqual([]);
    expect(crossCheckEsr(0x9600004f, BLOCK_6X)).toEqual([]);
  });
  it("accepts a consistent 4.x block", () => {
    expect(crossCheckEsr("96000045", BLOCK_4X)).toEqual([]);
  });
  it("accepts names older kernels printed", () => {
    expect(crossCheckEsr(0x96000008, ["  FSC = 0x08: unknown 8"])).toEqual([]);
    expect(crossCheckEsr(0x96000014, ["  FSC = 0x14: synchronous abort (translation table walk)"])).toEqual([]);
    expect(crossCheckEsr(0xb6000000, ["  EC = 0x2d: UNRECOGNIZED EC, IL = 32 bits"])).toEqual([]);
  });
  it("reports every disagreement", () => {
    expect(
      crossCheckEsr(0x96000045, [
        "  ESR = 0x0000000096000046",
        "  EC = 0x24: DABT (lower EL), IL = 32 bits",
        "  FSC = 0x04: level 0 translation fault",
        "  ISV = 0, ISS = 0x00000045, ISS2 = 0x00000000",
        "  CM = 0, WnR = 0",
      ]),
    ).toEqual([
      "log says ESR = \"0x0000000096000046\" but ESR 0x96000045 encodes \"0x96000045\"",
      "log says EC = 0x24 but ESR 0x96000045 encodes 0x25",
      'log says ecName = "DABT (lower EL)" but ESR 0x96000045 encodes "DABT (current EL)"',
      "log says FSC = 0x04 but ESR 0x96000045 encodes 0x05",
      'log says fscName = "level 0 translation fault" but ESR 0x96000045 encodes "level 1 translation fault"',
      "log says WnR = 0 but ESR 0x96000045 encodes 1",
    ]);
  });
  it("merges a block with parseMemAbortLines", () => {
    expect(parseMemAbortLines(BLOCK_4X)).toEqual({
      ESR: "0x96000045",
      ecName: "DABT (current EL)",
      IL: 32,
      SET: 0,
      FnV: 0,
      EA: 0,
      S1PTW: 0,
      ISV: 0,
      ISS: 0x45,
      CM: 0,
      WnR: 1,
    });
  });
});
