import { describe, expect, it } from "vitest";
import { describeOopsFlag, parseDieLine, parsePpcFlagsLine, type DieLine } from "../../src/decode/oopsflags.js";

const die = (p: Partial<DieLine>): DieLine => ({
  code: null,
  counter: 1,
  flags: [],
  message: null,
  sig: null,
  ilc: null,
  ...p,
});

describe("parseDieLine", () => {
  const cases: [string, DieLine][] = [
    ["Oops: 0002 [#1] PREEMPT SMP PTI", die({ code: "0002", message: "Oops", flags: ["PREEMPT", "SMP", "PTI"] })],
    ["Oops: 0000 [#2] SMP NOPTI", die({ code: "0000", counter: 2, message: "Oops", flags: ["SMP", "NOPTI"] })],
    ["Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI", die({ code: "0002", message: "Oops", flags: ["PREEMPT", "SMP", "NOPTI"] })],
    [
      "general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] PREEMPT SMP KASAN",
      die({
        code: "0000",
        message: "general protection fault, probably for non-canonical address 0xdffffc0000000000",
        flags: ["PREEMPT", "SMP", "KASAN"],
      }),
    ],
    [
      "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN NOPTI",
      die({
        code: "0000",
        message: "general protection fault, probably for non-canonical address 0xdffffc0000000001",
        flags: ["SMP", "KASAN", "NOPTI"],
      }),
    ],
    ["general protection fault: 0000 [#1] SMP", die({ code: "0000", message: "general protection fault", flags: ["SMP"] })],
    [
      "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
      die({ code: "0000", message: "invalid opcode", flags: ["PREEMPT", "SMP", "NOPTI"] }),
    ],
    ["Oops: invalid opcode: 0000 [#1]", die({ code: "0000", message: "invalid opcode" })],
    ["double fault: 0000 [#1]", die({ code: "0000", message: "double fault" })],
    ["stack segment: 0000 [#1]", die({ code: "0000", message: "stack segment" })],
    ["divide error: 0000 [#1]", die({ code: "0000", message: "divide error" })],
    ["int3: 0000 [#1]", die({ code: "0000", message: "int3" })],
    [
      "kasan: GPF could be caused by NULL-ptr deref or user memory accessgeneral protection fault: 0000 [#1] PREEMPT SMP KASAN",
      die({ code: "0000", message: "general protection fault", flags: ["PREEMPT", "SMP", "KASAN"] }),
    ],
    [
      "Oops: 0002 [#1] PREEMPT_RT SMP DEBUG_PAGEALLOC KASAN PTI",
      die({ code: "0002", message: "Oops", flags: ["PREEMPT_RT", "SMP", "DEBUG_PAGEALLOC", "KASAN", "PTI"] }),
    ],
    [
      "Internal error: Oops: 96000045 [#1] PREEMPT SMP",
      die({ code: "96000045", message: "Oops", flags: ["PREEMPT", "SMP"] }),
    ],
    [
      "Internal error: Oops: 0000000096000045 [#1] PREEMPT SMP",
      die({ code: "0000000096000045", message: "Oops", flags: ["PREEMPT", "SMP"] }),
    ],
    [
      "Internal error: Oops - BUG: 00000000f2000800 [#1] PREEMPT SMP",
      die({ code: "00000000f2000800", message: "Oops - BUG", flags: ["PREEMPT", "SMP"] }),
    ],
    ["Internal error: : 1b [#1] SMP ARM", die({ code: "1b", flags: ["SMP", "ARM"] })],
    [
      "Internal error: Oops: 805 [#1] PREEMPT SMP THUMB2",
      die({ code: "805", message: "Oops", flags: ["PREEMPT", "SMP", "THUMB2"] }),
    ],
    ["Oops: Kernel access of bad area, sig: 11 [#1]", die({ message: "Kernel access of bad area", sig: 11 })],
    ["Oops: Exception in kernel mode, sig: 5 [#3]", die({ message: "Exception in kernel mode", sig: 5, counter: 3 })],
    ["Oops: 0004 ilc:3 [#1] SMP ", die({ code: "0004", message: "Oops", ilc: 3, flags: ["SMP"] })],
    ["Oops: 0011 ilc:2 [#1] PREEMPT SMP", die({ code: "0011", message: "Oops", ilc: 2, flags: ["PREEMPT", "SMP"] })],
    ["Oops [#1]", die({ message: "Oops" })],
    ["Kernel BUG [#1]", die({ message: "Kernel BUG" })],
    ["Oops[#1]:", die({ message: "Oops" })],
    [
      "[   17.345678] Oops: 0002 [#1] SMP PTI",
      die({ code: "0002", message: "Oops", flags: ["SMP", "PTI"] }),
    ],
  ];
  it.each(cases)("%s", (line, expected) => {
    expect(parseDieLine(line)).toEqual(expected);
  });

  const notDie = [
    "BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "Kernel panic - not syncing: Fatal exception",
    "CPU: 1 PID: 113 Comm: sh Tainted: G      D W  OE      6.1.0 #1",
    "#PF: error_code(0x0002) - not-present page",
    "---[ end trace 0000000000000000 ]---",
    "",
  ];
  it.each(notDie)("ignores %j", (line) => {
    expect(parseDieLine(line)).toBeNull();
  });

  it("stays fast on long hostile input", () => {
    const hostile = ": 0".repeat(300) + " [#1]" + " X".repeat(200);
    const t = performance.now();
    parseDieLine(hostile);
    parseDieLine("[#".repeat(5000));
    expect(performance.now() - t).toBeLessThan(100);
  });
});

describe("describeOopsFlag", () => {
  const cases: [string, string | null][] = [
    ["SMP", "kernel built for multiprocessor systems (CONFIG_SMP)"],
    ["PREEMPT", "preemptible kernel (CONFIG_PREEMPTION: full or dynamic preemption)"],
    ["PREEMPT_RT", "real-time kernel (CONFIG_PREEMPT_RT)"],
    ["PTI", "page-table isolation (Meltdown mitigation) active"],
    ["NOPTI", "page-table isolation built in but disabled (Meltdown mitigation off)"],
    ["KASAN", "Kernel Address Sanitizer built in (CONFIG_KASAN)"],
    ["ARM", "32-bit ARM kernel built in ARM (A32) instruction set"],
    ["PAGE_SIZE=64K", "64 KiB pages"],
    ["NR_CPUS=2048", "kernel built for at most 2048 CPUs (CONFIG_NR_CPUS)"],
    ["MMU=Radix", "POWER radix MMU in use"],
    ["pSeries", "powerpc platform pSeries"],
    ["PREEMPT(voluntary)", "dynamic preemption (CONFIG_PREEMPT_DYNAMIC), currently voluntary preemption"],
    [
      "PREEMPT_{RT,(full)}",
      "real-time kernel (PREEMPT_RT), dynamic preemption (CONFIG_PREEMPT_DYNAMIC), currently full preemption",
    ],
    ["PREEMPT_{RT,LAZY}", "real-time kernel (PREEMPT_RT) with lazy preemption"],
    ["FOO", null],
  ];
  it.each(cases)("%s", (flag, words) => {
    expect(describeOopsFlag(flag)).toBe(words);
  });
  it("has words for DEBUG_PAGEALLOC", () => {
    expect(describeOopsFlag("DEBUG_PAGEALLOC")).toMatch(/^page-allocation debugging/);
  });
});

describe("parsePpcFlagsLine", () => {
  it("splits the powerpc second header line", () => {
    expect(parsePpcFlagsLine("LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA pSeries")).toEqual([
      "LE",
      "PAGE_SIZE=64K",
      "MMU=Radix",
      "SMP",
      "NR_CPUS=2048",
      "NUMA",
      "pSeries",
    ]);
    expect(parsePpcFlagsLine("BE PAGE_SIZE=4K MMU=Hash PREEMPT SMP NR_CPUS=32 PowerMac")).toEqual([
      "BE",
      "PAGE_SIZE=4K",
      "MMU=Hash",
      "PREEMPT",
      "SMP",
      "NR_CPUS=32",
      "PowerMac",
    ]);
    expect(parsePpcFlagsLine("Modules linked in: foo")).toBeNull();
  });
});
