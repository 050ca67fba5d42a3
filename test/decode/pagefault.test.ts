import { describe, expect, it } from "vitest";
import {
  PF_KNOWN_MASK,
  crossCheckPf,
  decodePageFault,
  pageFaultBits,
  parsePfLine,
  parsePfLines,
  type PageFaultBits,
} from "../../src/decode/pagefault.js";

const NONE: PageFaultBits = {
  present: false,
  write: false,
  user: false,
  reservedBit: false,
  instructionFetch: false,
  protectionKey: false,
  shadowStack: false,
  sgx: false,
  rmp: false,
};

describe("decodePageFault", () => {
  const cases: [number, Partial<PageFaultBits>, string][] = [
    [0x0000, {}, "read from a not-present page in kernel mode"],
    [0x0002, { write: true }, "write to a not-present page in kernel mode"],
    [0x0003, { present: true, write: true }, "write to a present page (protection violation) in kernel mode"],
    [0x0010, { instructionFetch: true }, "instruction fetch from a not-present page in kernel mode"],
    [
      0x0011,
      { present: true, instructionFetch: true },
      "instruction fetch from a present page (protection violation) in kernel mode",
    ],
    // USER (bit 2) is set: the access itself was made at CPL 3. (Kernel-mode
    // SMEP/SMAP violations have USER clear: 0x0011 / 0x0001 / 0x0003.)
    [
      0x0015,
      { present: true, user: true, instructionFetch: true },
      "instruction fetch from a present page (protection violation) in user mode",
    ],
    [0x0014, { user: true, instructionFetch: true }, "instruction fetch from a not-present page in user mode"],
    [0x0004, { user: true }, "read from a not-present page in user mode"],
    [0x0006, { user: true, write: true }, "write to a not-present page in user mode"],
    // bit 3 is RSVD, not instruction fetch
    [
      0x0009,
      { present: true, reservedBit: true },
      "read from a present page in kernel mode, reserved bit set in a page-table entry",
    ],
    [
      0x0021,
      { present: true, protectionKey: true },
      "read from a present page (protection violation) in kernel mode, protection-key violation",
    ],
    [
      0x0043,
      { present: true, write: true, shadowStack: true },
      "write to a present page (protection violation) in kernel mode, shadow-stack access",
    ],
    [
      0x8005,
      { present: true, user: true, sgx: true },
      "read from a present page (protection violation) in user mode, SGX EPCM violation",
    ],
    [
      0x80000003,
      { present: true, write: true, rmp: true },
      "write to a present page (protection violation) in kernel mode, RMP violation (SEV-SNP)",
    ],
  ];
  it.each(cases)("0x%s", (code, set, summary) => {
    const d = decodePageFault(code);
    expect(d.bits).toEqual({ ...NONE, ...set });
    expect(d.summary).toBe(summary);
    expect(d.unknownBits).toBe(0);
  });

  it("reports bits trap_pf.h does not define", () => {
    const d = decodePageFault(0x0102);
    expect(d.unknownBits).toBe(0x0100);
    expect(d.summary).toBe("write to a not-present page in kernel mode, undefined bits 0x0100 set");
    expect(decodePageFault(0x1_0000_0000).unknownBits).toBe(0x1_0000_0000);
  });

  it("knows exactly bits 0-6, 15 and 31", () => {
    expect(PF_KNOWN_MASK).toBe(0x8000807f);
    expect(pageFaultBits(0x8).reservedBit).toBe(true);
    expect(pageFaultBits(0x8).instructionFetch).toBe(false);
    expect(pageFaultBits(0x10).instructionFetch).toBe(true);
  });

  it("rejects bad input", () => {
    expect(() => decodePageFault(-1)).toThrow(RangeError);
    expect(() => decodePageFault(1.5)).toThrow(RangeError);
  });
});

describe("parsePfLine", () => {
  const cases: [string, ReturnType<typeof parsePfLine>][] = [
    [
      "#PF: supervisor read access in kernel mode",
      { kind: "access", implied: { user: false, instructionFetch: false, write: false }, mode: "kernel" },
    ],
    [
      "#PF: supervisor write access in kernel mode",
      { kind: "access", implied: { user: false, instructionFetch: false, write: true }, mode: "kernel" },
    ],
    [
      "#PF: supervisor instruction fetch in kernel mode",
      { kind: "access", implied: { user: false, instructionFetch: true }, mode: "kernel" },
    ],
    [
      "#PF: user write access in user mode",
      { kind: "access", implied: { user: true, instructionFetch: false, write: true }, mode: "user" },
    ],
    [
      "#PF: error_code(0x0000) - not-present page",
      { kind: "error_code", implied: { present: false }, code: 0 },
    ],
    [
      "#PF: error_code(0x0011) - permissions violation",
      { kind: "error_code", implied: { present: true, reservedBit: false, protectionKey: false }, code: 0x11 },
    ],
    [
      "#PF: error_code(0x0009) - reserved bit violation",
      { kind: "error_code", implied: { present: true, reservedBit: true }, code: 9 },
    ],
    [
      "#PF: error_code(0x0023) - protection keys violation",
      { kind: "error_code", implied: { present: true, reservedBit: false, protectionKey: true }, code: 0x23 },
    ],
    [
      "#PF: error_code(0x80000003) - RMP violation",
      {
        kind: "error_code",
        implied: { present: true, reservedBit: false, protectionKey: false, rmp: true },
        code: 0x80000003,
      },
    ],
    [
      "[   42.123456] #PF: error_code(0x0002) - not-present page",
      { kind: "error_code", implied: { present: false }, code: 2 },
    ],
    [
      "#PF error: [PROT] [WRITE]",
      {
        kind: "legacy",
        implied: {
          present: true,
          write: true,
          user: false,
          reservedBit: false,
          instructionFetch: false,
          protectionKey: false,
        },
        code: 3,
      },
    ],
    [
      "#PF error: [PROT] [INSTR]",
      {
        kind: "legacy",
        implied: {
          present: true,
          write: false,
          user: false,
          reservedBit: false,
          instructionFetch: true,
          protectionKey: false,
        },
        code: 0x11,
      },
    ],
    [
      "#PF error: [normal kernel read fault]",
      {
        kind: "legacy",
        implied: {
          present: false,
          write: false,
          user: false,
          reservedBit: false,
          instructionFetch: false,
          protectionKey: false,
        },
        code: 0,
      },
    ],
    ["#PF error: [BOGUS]", null],
    ["#PF: error_code(0x0002) - something else", null],
    ["BUG: kernel NULL pointer dereference, address: 0000000000000000", null],
  ];
  it.each(cases)("%s", (line, expected) => {
    expect(parsePfLine(line)).toEqual(expected);
  });

  it("parsePfLines skips unrelated lines", () => {
    const got = parsePfLines([
      "BUG: kernel NULL pointer dereference, address: 0000000000000000",
      "#PF: supervisor read access in kernel mode",
      "#PF: error_code(0x0000) - not-present page",
      "PGD 0 P4D 0",
    ]);
    expect(got.map((p) => p.kind)).toEqual(["access", "error_code"]);
  });
});

describe("crossCheckPf", () => {
  const consistent: [number, string[]][] = [
    [0x0000, ["#PF: supervisor read access in kernel mode", "#PF: error_code(0x0000) - not-present page"]],
    [0x0002, ["#PF: supervisor write access in kernel mode", "#PF: error_code(0x0002) - not-present page"]],
    [0x0003, ["#PF: supervisor write access in kernel mode", "#PF: error_code(0x0003) - permissions violation"]],
    [0x0010, ["#PF: supervisor instruction fetch in kernel mode", "#PF: error_code(0x0010) - not-present page"]],
    [0x0011, ["#PF: supervisor instruction fetch in kernel mode", "#PF: error_code(0x0011) - permissions violation"]],
    [0x0015, ["#PF: user instruction fetch in user mode", "#PF: error_code(0x0015) - permissions violation"]],
    [0x0014, ["#PF: user instruction fetch in user mode", "#PF: error_code(0x0014) - not-present page"]],
    [0x0009, ["#PF: supervisor read access in kernel mode", "#PF: error_code(0x0009) - reserved bit violation"]],
    // system access from user code: USER clear but user_mode(regs)
    [0x0000, ["#PF: supervisor read access in user mode", "#PF: error_code(0x0000) - not-present page"]],
    [0x0003, ["#PF error: [PROT] [WRITE]"]],
    [0x0000, ["#PF error: [normal kernel read fault]"]],
    // Oops: prints err & 0xffff; the #PF line has the full value
    [0x0003, ["#PF: supervisor write access in kernel mode", "#PF: error_code(0x80000003) - RMP violation"]],
  ];
  it.each(consistent)("0x%s is consistent with its lines", (code, lines) => {
    expect(crossCheckPf(code, lines)).toEqual([]);
  });

  it("reports a wrong access kind", () => {
    expect(
      crossCheckPf(0x0002, ["#PF: supervisor read access in kernel mode", "#PF: error_code(0x0002) - not-present page"]),
    ).toEqual([
      '"#PF: supervisor read access in kernel mode" implies no write (WRITE=0) but error code 0x0002 has write (WRITE=1)',
    ]);
  });

  it("reports a different error code and a wrong page state", () => {
    expect(
      crossCheckPf(0x0011, [
        "[ 1.000000] #PF: user instruction fetch in kernel mode",
        "#PF: error_code(0x0010) - not-present page",
      ]),
    ).toEqual([
      '"#PF: user instruction fetch in kernel mode" implies user access (USER=1) but error code 0x0011 has supervisor access (USER=0)',
      '"#PF: error_code(0x0010) - not-present page" prints error code 0x0010 but the error code is 0x0011',
    ]);
  });

  it("reports a legacy line that disagrees", () => {
    expect(crossCheckPf(0x0002, ["#PF error: [PROT] [WRITE]"])).toEqual([
      '"#PF error: [PROT] [WRITE]" prints error code 0x0003 but the error code is 0x0002',
    ]);
  });

  it("reports reason text that disagrees with the code", () => {
    expect(crossCheckPf(0x0009, ["#PF: error_code(0x0009) - permissions violation"])).toEqual([
      '"#PF: error_code(0x0009) - permissions violation" implies no reserved bit (RSVD=0) but error code 0x0009 has reserved bit (RSVD=1)',
    ]);
  });
});
