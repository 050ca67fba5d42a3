import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CodeArch,
  type DecodedCode,
  type Disassembler,
  decodeIncidentCode,
  findCodeLine,
  loadDisassembler,
  parseCodeLine,
  x86Text,
} from "../../src/symbolize/code.js";
import { ROOT, corpusLogs } from "../corpus.js";

const readLines = (rel: string): string[] => readFileSync(join(ROOT, rel), "utf8").split("\n");

/** Lines `from`..`to` (1-based, inclusive) of a corpus file. */
const linesOf = (rel: string, from: number, to: number): string[] => readLines(rel).slice(from - 1, to);

const X86_NULL = "corpora/x86_64/oops/lkdtm-ACCESS_NULL.log";
const X86_NULL_CODE =
  "Code: 48 89 de 5b e9 70 bd 45 e0 48 c7 c7 c0 5f 4d c0 5b e9 10 69 b3 e0 0f 1f 44 00 00 53 31 f6 48 c7 c7 28 60 4d c0 e8 fc 68 b3 e0 <48> 8b 1c 25 00 00 00 00 b8 de c0 de c0 48 c7 c7 50 60 4d c0 48 01";

let dis: Disassembler;
beforeAll(async () => {
  dis = await loadDisassembler();
});

/** Parse with `arch` and decode; throws (failing the test) when the line does not parse. */
function decodeLine(text: string, arch: CodeArch, ip?: bigint): DecodedCode {
  const p = parseCodeLine(text, arch);
  if (!p) throw new Error(`no parse: ${text}`);
  return dis.decode(p.bytes, p.faultOffset, arch, ip);
}

const rows = (d: DecodedCode): [number, string, string][] => d.instructions.map((i) => [i.offset, i.bytes, i.text]);
const faulting = (d: DecodedCode) => d.instructions.filter((i) => i.faulting);

describe("parseCodeLine", () => {
  it("x86: 42 bytes before the <marked> one, 21 after", () => {
    const p = parseCodeLine(X86_NULL_CODE, "x86_64");
    expect(p?.bytes.length).toBe(64);
    expect(p?.faultOffset).toBe(42);
    expect(p?.bytes[42]).toBe(0x48);
    expect(p?.bytes[0]).toBe(0x48);
    expect(p?.bytes[63]).toBe(0x01);
  });

  it("words are laid out little-endian", () => {
    const p = parseCodeLine("Code: d2800014 90000020 91260000 94000613 (f9400293) ", "arm64");
    expect(p?.faultOffset).toBe(16);
    expect(Array.from(p?.bytes.subarray(16) ?? [])).toEqual([0x93, 0x02, 0x40, 0xf9]);
    const t = parseCodeLine("Code: 4620 f7ff (de02) 4601", "thumb");
    expect(t?.faultOffset).toBe(4);
    expect(Array.from(t?.bytes ?? [])).toEqual([0x20, 0x46, 0xff, 0xf7, 0x02, 0xde, 0x01, 0x46]);
  });

  it("infers the unit width when arch is omitted", () => {
    expect(parseCodeLine(X86_NULL_CODE)?.faultOffset).toBe(42);
    expect(parseCodeLine("Code: d2800014 (f9400293)")?.faultOffset).toBe(4);
    expect(parseCodeLine("Code: 85aa 4501 (9002) 0000")?.faultOffset).toBe(4);
  });

  it("arm's trailing 'bad PC value' is ignored", () => {
    expect(parseCodeLine("Code: e3a03000 e5833000 (e7f001f2) bad PC value", "arm")?.bytes.length).toBe(12);
    expect(parseCodeLine("Code: e3a03000 bad PC value", "arm")).toBeNull();
    expect(parseCodeLine("Code: bad PC value", "arm64")).toBeNull();
  });

  it.each([
    ["Code: Unable to access opcode bytes at 0xffffcf724004cfd6.", "x86_64"],
    ["Code: Bad RIP value.", "x86_64"],
    ["Code:  Bad RIP value.", "i386"],
    ["Code: Unable to access instruction at 0xffffffff80001234.", "riscv"],
    ["Code:", "x86_64"],
    ["Code: ", "arm64"],
    ["", "x86_64"],
    ["RIP: 0010:foo+0x1/0x2", "x86_64"],
    ["Code: 48 89 de 5b", "x86_64"], // no marker
    ["Code: 48 <89> de <5b>", "x86_64"], // two markers
    ["Code: 48 <89 de", "x86_64"], // unbalanced
    ["Code: 48 <8g> de", "x86_64"], // not hex
    ["Code: 48 <489> de", "x86_64"], // wrong width
    ["Code: d2800014 (f9400293)", "x86_64"], // words for x86
    ["Code: 48 89 <de>", "arm64"], // bytes for arm64
    ["Code: d2800014 <f9400293>", "arm64"], // wrong marker
    ["Code: 4620 (de02)", "arm"], // halfwords for ARM mode
    ["Code: d2800014 (f94002)", "arm64"],
    ["Code: zz yy <xx>", "x86_64"],
    ["Code: \u0000 <00>", "x86_64"],
  ] as [string, CodeArch][])("%j (%s) → null", (text, arch) => {
    expect(parseCodeLine(text, arch)).toBeNull();
  });
});

describe("decode x86_64 (corpus lkdtm-ACCESS_NULL)", () => {
  it("disassembles like decodecode, faulting instruction at offset 0", () => {
    const d = decodeLine(X86_NULL_CODE, "x86_64");
    expect(d.arch).toBe("x86_64");
    expect(rows(d)).toEqual([
      [-42, "48 89 de", "movq %rbx, %rsi"],
      [-39, "5b", "popq %rbx"],
      [-38, "e9 70 bd 45 e0", "jmp 0xffffffffe045bd79"],
      [-33, "48 c7 c7 c0 5f 4d c0", "movq $0xffffffffc04d5fc0, %rdi"],
      [-26, "5b", "popq %rbx"],
      [-25, "e9 10 69 b3 e0", "jmp 0xffffffffe0b36926"],
      [-20, "0f 1f 44 00 00", "nopl (%rax, %rax)"],
      [-15, "53", "pushq %rbx"],
      [-14, "31 f6", "xorl %esi, %esi"],
      [-12, "48 c7 c7 28 60 4d c0", "movq $0xffffffffc04d6028, %rdi"],
      [-5, "e8 fc 68 b3 e0", "callq 0xffffffffe0b36926"],
      [0, "48 8b 1c 25 00 00 00 00", "movq 0x0, %rbx"],
      [8, "b8 de c0 de c0", "movl $0xc0dec0de, %eax"],
      [13, "48 c7 c7 50 60 4d c0", "movq $0xffffffffc04d6050, %rdi"],
      // "48 01" at the end is a truncated add: dropped
    ]);
    expect(faulting(d)).toHaveLength(1);
    expect(faulting(d)[0]?.offset).toBe(0);
  });

  it("the faulting instruction reads absolute address 0 into %rbx", () => {
    const f = faulting(decodeLine(X86_NULL_CODE, "x86_64"))[0];
    expect(f?.bytes).toBe("48 8b 1c 25 00 00 00 00");
    expect(f?.text).toMatch(/^movq? (?:0x)?0, %rbx$/);
  });

  it("with the faulting address, branch targets are real addresses", () => {
    const ip = 0xffffffffc04d5014n;
    const d = decodeLine(X86_NULL_CODE, "x86_64", ip);
    const call = d.instructions.find((i) => i.offset === -5);
    expect(call?.text).toBe(`callq 0x${(ip - 0x1f4c9704n).toString(16)}`);
  });

  it("findCodeLine picks the kernel Code: line, not the RIP: 0033 user one", () => {
    const lines = linesOf(X86_NULL, 374, 439);
    const found = findCodeLine(lines);
    expect(found).toEqual({ text: X86_NULL_CODE, arch: "x86_64", index: 8 });
    expect(lines[found?.index ?? -1]).toContain("[    4.305492] Code: 48 89 de");
    // lines 415-416 hold the user-space block
    expect(lines[415 - 374]).toContain("RIP: 0033:0x47b7a0");
    expect(lines[416 - 374]).toContain("Code: 40 00 48 c7");
  });

  it("findCodeLine skips a user-space block that comes first", () => {
    const lines = readLines(X86_NULL);
    const user = lines.slice(414, 416); // lines 415-416: RIP: 0033 + its Code:
    expect(user[1]).toContain("Code: 40 00 48 c7");
    expect(findCodeLine(user)).toBeNull();
    const found = findCodeLine([...user, ...lines.slice(380, 382)]);
    expect(found?.index).toBe(3);
    expect(found?.text).toBe(X86_NULL_CODE);
  });

  it("decodeIncidentCode on the incident", async () => {
    const d = await decodeIncidentCode(linesOf(X86_NULL, 374, 439));
    expect(d?.arch).toBe("x86_64");
    expect(faulting(d ?? { arch: "x86_64", instructions: [] })[0]?.text).toBe("movq 0x0, %rbx");
  });

  it("'Unable to access opcode bytes' is found but gives nothing to decode", async () => {
    const lines = readLines("corpora/x86_64/oops/lkdtm-EXEC_VMALLOC.log").slice(370, 400);
    const found = findCodeLine(lines);
    expect(found?.text).toBe("Code: Unable to access opcode bytes at 0xffffcf724004cfd6.");
    expect(found?.ip).toBe(0xffffcf724004d000n);
    expect(await decodeIncidentCode(lines)).toBeNull();
  });
});

describe("decode arm64 (corpus)", () => {
  it("lkdtm-ACCESS_NULL: ldr x19, [x20] faults", async () => {
    const lines = readLines("corpora/arm64/oops/lkdtm-ACCESS_NULL.log").slice(200, 280);
    const found = findCodeLine(lines);
    expect(found?.arch).toBe("arm64");
    expect(found?.text).toBe("Code: d2800014 90000020 91260000 94000613 (f9400293)");
    const d = await decodeIncidentCode(lines);
    expect(d?.arch).toBe("arm64");
    expect(d?.instructions.map((i) => [i.offset, i.bytes, i.text.split(" ")[0], i.faulting])).toEqual([
      [-16, "14 00 80 d2", "mov", false],
      [-12, "20 00 00 90", "adrp", false],
      [-8, "00 00 26 91", "add", false],
      [-4, "13 06 00 94", "bl", false],
      [0, "93 02 40 f9", "ldr", true],
    ]);
    expect(d?.instructions[0]?.text).toBe("mov x20, #0");
    expect(d?.instructions[4]?.text).toBe("ldr x19, [x20]");
  });

  it("lkdtm-BUG: brk #0x800 (BUG()) faults", async () => {
    const lines = readLines("corpora/arm64/oops/lkdtm-BUG.log").slice(220, 270);
    const d = await decodeIncidentCode(lines);
    expect(d && rows(d)).toEqual([
      [-16, "1f 20 03 d5", "nop"],
      [-12, "1f 20 03 d5", "nop"],
      [-8, "e9 03 1e aa", "mov x9, x30"],
      [-4, "1f 20 03 d5", "nop"],
      [0, "00 00 21 d4", "brk #0x800"],
    ]);
    expect(faulting(d ?? { arch: "arm64", instructions: [] })[0]?.offset).toBe(0);
  });

  it("an undecodable word becomes .word", () => {
    const d = decodeLine("Code: ffffffff d503201f (00000000) d503201f", "arm64");
    expect(rows(d)).toEqual([
      [-8, "ff ff ff ff", ".word 0xffffffff"],
      [-4, "1f 20 03 d5", "nop"],
      [0, "00 00 00 00", "udf #0"],
      [4, "1f 20 03 d5", "nop"],
    ]);
  });
});

describe("every Code: line of the corpus", () => {
  const logs = corpusLogs().filter((l) => /^corpora\/(?:x86_64|arm64)\//.test(l) && /\.(?:log|dmesg)$/.test(l));

  it("finds a corpus to sweep", () => {
    expect(logs.length).toBeGreaterThan(20);
  });

  it("each decodes with exactly one faulting instruction holding the marked unit", () => {
    let decoded = 0;
    for (const log of logs) {
      const arch: CodeArch = log.includes("/arm64/") ? "arm64" : "x86_64";
      for (const line of readLines(log)) {
        const at = line.indexOf("Code: ");
        if (at < 0 || !/^\[\s*\d+\.\d+\] Code: /.test(line)) continue;
        const text = line.slice(at).trimEnd();
        const p = parseCodeLine(text, arch);
        if (!p) {
          expect(text, log).toMatch(/Unable to access|Bad RIP/);
          continue;
        }
        const d = dis.decode(p.bytes, p.faultOffset, arch);
        const f = faulting(d);
        expect(f, `${log}: ${text}`).toHaveLength(1);
        expect(f[0]?.offset).toBe(0);
        const marked = /[<(]([0-9a-f]+)[>)]/.exec(text)?.[1] ?? "";
        const firstUnit = arch === "arm64" ? marked.match(/../g)?.reverse().join(" ") : marked;
        expect(f[0]?.bytes.startsWith(firstUnit ?? "?"), `${log}: ${text}`).toBe(true);
        // offsets strictly increase and bytes tile without overlap
        for (let k = 1; k < d.instructions.length; k++) {
          const prev = d.instructions[k - 1];
          const cur = d.instructions[k];
          if (prev && cur) expect(cur.offset).toBe(prev.offset + prev.bytes.split(" ").length);
        }
        decoded++;
      }
    }
    expect(decoded).toBeGreaterThan(50);
  });

  it("decodeIncidentCode works on whole logs without throwing", async () => {
    let some = 0;
    for (const log of logs) {
      const d = await decodeIncidentCode(readLines(log));
      if (d) {
        some++;
        expect(faulting(d).length, log).toBe(1);
      }
    }
    expect(some).toBeGreaterThan(20);
  });
});

describe("32-bit ARM (constructed from arch/arm/kernel/traps.c dump_instr)", () => {
  const arm = [
    "[   10.000000] Internal error: Oops - undefined instruction: 0 [#1] SMP ARM",
    "[   10.000000] Modules linked in: lkdtm",
    "[   10.000000] PC is at lkdtm_BUG+0x14/0x18 [lkdtm]",
    "[   10.000000] LR is at lkdtm_do_action+0x1c/0x24 [lkdtm]",
    "[   10.000000] pc : [<bf000014>]    lr : [<bf00011c>]    psr: 60000013",
    "[   10.000000] sp : c1a3fe70  ip : c1a3fe80  fp : c1a3fe7c",
    "[   10.000000] Process sh (pid: 1, stack limit = 0x(ptrval))",
    "[   10.000000] Code: e1a0c00d e92dd800 e24cb004 e52de004 (e7f001f2) ",
    "[   10.000000] ---[ end trace 0000000000000000 ]---",
  ];

  it("ARM mode: 8-digit words, BUG() is udf (e7f001f2)", async () => {
    expect(findCodeLine(arm)).toEqual({
      text: "Code: e1a0c00d e92dd800 e24cb004 e52de004 (e7f001f2)",
      arch: "arm",
      index: 7,
      ip: 0xbf000014n,
    });
    const d = await decodeIncidentCode(arm);
    expect(d && rows(d)).toEqual([
      [-16, "0d c0 a0 e1", "mov ip, sp"],
      [-12, "00 d8 2d e9", "push {fp, ip, lr, pc}"],
      [-8, "04 b0 4c e2", "sub fp, ip, #4"],
      [-4, "04 e0 2d e5", "str lr, [sp, #-4]!"],
      [0, "f2 01 f0 e7", "udf #0x12"],
    ]);
  });

  it("Thumb: 4-digit halfwords, Thumb-2 32-bit instructions as two, BUG() is udf (de02)", async () => {
    const thumb = arm.map((l) =>
      l
        .replace("psr: 60000013", "psr: 60000033")
        .replace(/Code: .*/, "Code: b580 af00 f7ff fffe (de02) bf00 "),
    );
    const found = findCodeLine(thumb);
    expect(found?.arch).toBe("thumb");
    const d = await decodeIncidentCode(thumb);
    expect(d?.arch).toBe("thumb");
    expect(d?.instructions.map((i) => [i.offset, i.bytes, i.text.split(" ")[0], i.faulting])).toEqual([
      [-8, "80 b5", "push", false],
      [-4 - 2, "00 af", "add", false],
      [-4, "ff f7 fe ff", "bl", false],
      [0, "02 de", "udf", true],
      [2, "00 bf", "nop", false],
    ]);
    expect(d?.instructions[3]?.text).toBe("udf #2");
  });

  it("Thumb: a dump starting in the middle of a 32-bit instruction syncs after it", () => {
    // fffe is the second half of "f7ff fffe"; then de01 is the marked one
    const d = decodeLine("Code: fffe 4620 f7ff fffe (de01) 4601", "thumb");
    expect(faulting(d)[0]?.text).toBe("udf #1");
    expect(d.instructions.find((i) => i.offset === -4)?.bytes).toBe("ff f7 fe ff");
  });

  it("Thumb: a trailing first half of a 32-bit instruction is dropped", () => {
    const d = decodeLine("Code: 4620 (de01) f7ff", "thumb");
    expect(rows(d)).toEqual([
      [-2, "20 46", "mov r0, r4"],
      [0, "01 de", "udf #1"],
    ]);
  });

  it("a USR-mode psr is user space", () => {
    const user = arm.map((l) => l.replace("psr: 60000013", "psr: 60000010"));
    expect(findCodeLine(user)).toBeNull();
  });
});

describe("i386 (constructed from show_ip/show_opcodes)", () => {
  const kernel = [
    "[    5.100000] invalid opcode: 0000 [#1] SMP",
    "[    5.100000] CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0 #1",
    "[    5.100000] EIP: lkdtm_BUG+0x9/0x10 [lkdtm]",
    "[    5.100000] Code: 90 90 90 90 55 89 e5 3e 8d 74 26 00 <0f> 0b 8d b4 26 00 00 00 00 55",
    "[    5.100000] EAX: 00000000 EBX: c1234567 ECX: 00000000 EDX: 00000000",
  ];
  const userBlock = [
    "[    5.100000] EIP: 0xb7f4e549",
    "[    5.100000] Code: 00 00 00 00 00 00 00 00 00 00 00 00 00 51 52 55 89 e5 0f 34 cd 80 <5d> 5a 59 c3 90 90",
  ];

  it("EIP: → i386, ud2 faults", async () => {
    expect(findCodeLine(kernel)?.arch).toBe("i386");
    const d = await decodeIncidentCode(kernel);
    expect(d?.arch).toBe("i386");
    expect(d && rows(d)).toEqual([
      [-12, "90", "nop"],
      [-11, "90", "nop"],
      [-10, "90", "nop"],
      [-9, "90", "nop"],
      [-8, "55", "pushl %ebp"],
      [-7, "89 e5", "movl %esp, %ebp"],
      [-5, "3e 8d 74 26 00", "leal %ds:(%esi), %esi"],
      [0, "0f 0b", "ud2"],
      [2, "8d b4 26 00 00 00 00", "leal (%esi), %esi"],
      [9, "55", "pushl %ebp"],
    ]);
  });

  it("a raw user-space EIP block is skipped", () => {
    expect(findCodeLine(userBlock)).toBeNull();
    expect(findCodeLine([...userBlock, ...kernel])?.index).toBe(5);
    expect(findCodeLine(["EIP: 0073:[<b7f4e549>] EFLAGS: 00000246 CPU: 0", ...userBlock.slice(1)])).toBeNull();
    expect(findCodeLine(["EIP: 0060:[<c1234567>] EFLAGS: 00010246 CPU: 0", kernel[3] ?? ""])).toMatchObject({
      arch: "i386",
      ip: 0xc1234567n,
    });
  });
});

describe("riscv (constructed from arch/riscv/kernel/traps.c dump_kernel_instr)", () => {
  const lines = [
    "[    3.000000] Kernel BUG [#1]",
    "[    3.000000] Modules linked in: lkdtm",
    "[    3.000000] epc : lkdtm_BUG+0x14/0x18 [lkdtm]",
    "[    3.000000]  ra : lkdtm_do_action+0x14/0x1c [lkdtm]",
    "[    3.000000] epc : ffffffff01234568 ra : ffffffff0123457c sp : ff2000000001bd80",
    "[    3.000000] status: 0000000200000120 badaddr: 0000000000000000 cause: 0000000000000003",
    "[    3.000000] Code: 0513 0005 4581 0097 0000 80e7 0000 85aa 4501 0001 (9002) 8082",
  ];

  it("halfwords with compressed and 32-bit instructions, c.ebreak faults", async () => {
    const found = findCodeLine(lines);
    expect(found).toMatchObject({ arch: "riscv", index: 6, ip: 0xffffffff01234568n });
    const d = await decodeIncidentCode(lines);
    expect(d?.instructions.map((i) => [i.offset, i.bytes, i.text.split(" ")[0]])).toEqual([
      [-20, "13 05 05 00", expect.stringMatching(/^(?:addi|mv)$/)],
      [-16, "81 45", "c.li"],
      [-14, "97 00 00 00", "auipc"],
      [-10, "e7 80 00 00", "jalr"],
      [-6, "aa 85", "c.mv"],
      [-4, "01 45", "c.li"],
      [-2, "01 00", "c.nop"],
      [0, "02 90", "c.ebreak"],
      [2, "82 80", "c.jr"],
    ]);
    expect(faulting(d ?? { arch: "riscv", instructions: [] })[0]?.offset).toBe(0);
  });

  it("a user-mode epc is skipped", () => {
    expect(findCodeLine(["epc : 0000003fa1b2c3d4 ra : 0000003fa1b2c000 sp : 0000003fffd0e000", lines[6] ?? ""])).toBeNull();
  });

  it("a trailing cut-off 32-bit instruction is dropped", () => {
    const d = decodeLine("Code: 4501 (9002) 0097", "riscv");
    expect(rows(d)).toEqual([
      [-2, "01 45", "c.li a0, 0"],
      [0, "02 90", "c.ebreak"],
    ]);
  });
});

describe("x86 operand formatting", () => {
  it.each([
    ["movq", "$18446744072640880720, %rdi", "movq $0xffffffffc04d6050, %rdi"],
    ["movq", "$18446744073709551611, -8(%rbp)", "movq $0xfffffffffffffffb, -0x8(%rbp)"],
    ["addl", "$-5, %eax", "addl $0xfffffffb, %eax"],
    ["pushq", "$-5", "pushq $0xfffffffffffffffb"],
    ["movb", "$5, 1(%rax)", "movb $0x5, 0x1(%rax)"],
    ["movl", "-0x40000000(, %rax, 8), %eax", "movl -0x40000000(, %rax, 8), %eax"],
    ["movq", "%gs:40, %rax", "movq %gs:0x28, %rax"],
    ["movq", "0, %rbx", "movq 0x0, %rbx"],
    ["callq", "*8(%rax)", "callq *0x8(%rax)"],
    ["callq", "0", "callq 0x0"],
    ["fstp", "%st(1)", "fstp %st(1)"],
    ["ud2", "", "ud2"],
    ["int", "$3", "int $0x3"],
  ])("%s %s", (mnemonic, ops, want) => {
    expect(x86Text(mnemonic, ops)).toBe(want);
  });
});

describe("x86 edge cases", () => {
  it("invalid bytes become one-byte (bad)", () => {
    const d = decodeLine("Code: 90 <06> 90", "x86_64");
    expect(rows(d)).toEqual([
      [-1, "90", "nop"],
      [0, "06", "(bad)"],
      [1, "90", "nop"],
    ]);
    expect(faulting(d)[0]?.text).toBe("(bad)");
  });

  it("the earliest start that lands on the marked byte wins", () => {
    // from 0: "b8 90 90 90 90" (movl) jumps over the marked byte; from 1 the nops sync
    const d = decodeLine("Code: b8 90 90 90 <90> c3", "x86_64");
    expect(rows(d).map((r) => r[0])).toEqual([-3, -2, -1, 0, 1]);
  });

  it("no start syncs: nothing before the marked byte", () => {
    const d = decodeLine("Code: 0f <90> c3", "x86_64");
    expect(rows(d)).toEqual([
      [0, "90", "nop"],
      [1, "c3", "retq"],
    ]);
  });

  it("a truncated faulting instruction leaves nothing after it", async () => {
    expect(rows(decodeLine("Code: 90 <48> 8b", "x86_64"))).toEqual([[-1, "90", "nop"]]);
    expect(await decodeIncidentCode(["RIP: 0010:f+0x0/0x1", "Code: <48> 8b 1c"])).toBeNull();
  });

  it("out-of-range offsets and empty input decode to nothing", () => {
    expect(dis.decode(new Uint8Array([0x90]), 5, "x86_64").instructions).toEqual([]);
    expect(dis.decode(new Uint8Array([0x90]), -1, "arm64").instructions).toEqual([]);
    expect(dis.decode(new Uint8Array(0), 0, "riscv").instructions).toEqual([]);
    expect(dis.decode(new Uint8Array([0x90]), 0.5, "x86_64").instructions).toEqual([]);
  });

  it("10 000 bytes: decodes a bounded window around the fault, fast", () => {
    const hex = Array.from({ length: 10_000 }, (_, i) => ((i * 37) & 0xff).toString(16).padStart(2, "0"));
    hex[5000] = `<${hex[5000]}>`;
    const t0 = performance.now();
    const p = parseCodeLine(`Code: ${hex.join(" ")}`, "x86_64");
    expect(p?.faultOffset).toBe(5000);
    const d = dis.decode(p?.bytes ?? new Uint8Array(), p?.faultOffset ?? 0, "x86_64");
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(faulting(d)).toHaveLength(1);
    for (const i of d.instructions) expect(Math.abs(i.offset)).toBeLessThanOrEqual(128);
  });

  it("arbitrary bytes never throw, on every arch", () => {
    const arches: CodeArch[] = ["x86_64", "i386", "arm64", "arm", "thumb", "riscv"];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 96 }), fc.nat(), fc.constantFrom(...arches), (bytes, at, arch) => {
        const f = at % bytes.length;
        const d = dis.decode(bytes, f, arch);
        expect(d.arch).toBe(arch);
        const fs = faulting(d);
        expect(fs.length).toBeLessThanOrEqual(1);
        let end = -Infinity;
        for (const i of d.instructions) {
          expect(i.offset).toBeGreaterThanOrEqual(end);
          end = i.offset + i.bytes.split(" ").length;
          expect(end).toBeLessThanOrEqual(bytes.length - f);
        }
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it("arbitrary text lines never throw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 80 }), { maxLength: 6 }), async (junk) => {
        const lines = ["RIP: 0010:x+0x1/0x2", ...junk.map((j) => `Code: ${j}`), "pc : f+0x0/0x4", "Code: (zz)"];
        await decodeIncidentCode(lines);
        for (const j of junk) parseCodeLine(`Code: ${j}`);
      }),
      { numRuns: 200, seed: 2 },
    );
  });
});

describe("loading", () => {
  it("is lazy and cached", async () => {
    const again = await loadDisassembler();
    expect(again).toBe(dis);
    expect(loadDisassembler()).toBe(loadDisassembler());
  });

  it("prefixes: <level>, caller ids and syslog", () => {
    const found = findCodeLine([
      "<4>[    4.305167][  T98] RIP: 0010:lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm]",
      "Mar 10 12:00:00 host kernel: [    4.305492] Code: 90 <0f> 0b",
    ]);
    expect(found).toEqual({ text: "Code: 90 <0f> 0b", arch: "x86_64", index: 1 });
  });
});
