/**
 * x86 machine checks: the bank-status decoder on the statuses of the real
 * QEMU-injected samples (corpora/x86_64/hardware) and on hand-made values,
 * and one incident per MCE record in those samples.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText } from "../../src/index.js";
import { decodeMceStatus, mcaErrorCode } from "../../src/decode/mce.js";
import { ROOT } from "../corpus.js";

describe("MCi_STATUS decoding", () => {
  it("a corrected memory-controller read error", () => {
    expect(decodeMceStatus("9c00000000000090")).toEqual({
      status: "0x9c00000000000090",
      flags: ["VAL", "EN", "MISCV", "ADDRV"],
      corrected: true,
      errorCode: "0x0090",
      error: "memory controller read error (channel 0)",
      summary: "corrected error: memory controller read error (channel 0) (address valid)",
    });
  });
  it("uncorrected with processor context corrupt; SRAR", () => {
    expect(decodeMceStatus("be00000000000150")!.summary).toBe("uncorrected error, processor context corrupt (the CPU cannot continue): cache hierarchy error: instruction fetch in the L0 instruction cache (address valid)");
    expect(decodeMceStatus("bd80000000000134")).toMatchObject({ flags: ["VAL", "UC", "EN", "MISCV", "ADDRV", "S", "AR"], corrected: false });
    expect(decodeMceStatus("bd80000000000134")!.summary).toMatch(/^uncorrected error, recovery action required \(SRAR\): cache hierarchy error: data read in the L0 data cache/);
  });
  it("the other architectural error-code classes", () => {
    expect(mcaErrorCode(0x0000)).toBe("no error");
    expect(mcaErrorCode(0x0005)).toBe("internal parity error");
    expect(mcaErrorCode(0x0400)).toBe("internal timer error");
    expect(mcaErrorCode(0x0011)).toBe("TLB error: instruction TLB, L1");
    expect(mcaErrorCode(0x10a2)).toBe("memory controller write error (channel 2)"); // bit 12 (filtering) ignored
    expect(mcaErrorCode(0x009f)).toBe("memory controller read error (channel unknown)");
    // 1111 0000 1011: bus error, PP generic, timeout, request generic, II I/O, LL generic.
    expect(mcaErrorCode(0x0f0b)).toBe("bus/interconnect error: generic, I/O, generic, timeout (generic level)");
    expect(decodeMceStatus("not hex")).toBeNull();
    expect(decodeMceStatus("0")!.summary).toBe("no valid error logged: no error");
  });
});

describe("MCE records from real injected machine checks", () => {
  const read = (n: string) => analyzeText(readFileSync(join(ROOT, `corpora/x86_64/hardware/${n}.log`), "utf8")).incidents;
  it("one incident per record, with the record's lines captured and the panic attached", () => {
    const [i, ...rest] = read("mce-fatal");
    expect(rest).toEqual([]);
    expect(i).toMatchObject({ class: "hardware", kind: "machine-check", fatal: true, panic: { message: "Fatal local machine check" } });
    expect(i!.mce).toMatchObject({ bank: 1, status: "0xbe00000000000150", address: "0x12345000", message: "Processor Context Corrupt", mcgStatus: "0x5" });
    expect(i!.details).toMatchObject({ ripfunc: "native_safe_halt", socket: "0" });
  });
  it("a corrected error is one non-fatal incident, its 'events logged' line adopted", () => {
    const incs = read("mce-corrected");
    expect(incs.map((x) => [x.title, x.fatal, x.mce?.corrected])).toEqual([["MCE: machine check on bank 1", false, true]]);
    expect(incs[0]!.text[0]).toMatch(/Machine check events logged/);
  });
});

describe("EDAC's AMD MCE decoder (edac_mce_amd, real: Opteron_G3 model without the hypervisor bit)", () => {
  it("its record is one machine-check incident with the status decoded", () => {
    const incs = analyzeText(readFileSync(join(ROOT, "corpora/x86_64/hardware/mce-corrected-edac-amd.log"), "utf8")).incidents;
    expect(incs).toHaveLength(1);
    expect(incs[0]).toMatchObject({ kind: "machine-check", details: { edacflags: "-|CE|MiscV|AddrV|-", cpufamily: "10" } });
    expect(incs[0]!.mce).toMatchObject({ bank: 1, corrected: true, address: "0x0000000012345000" });
    expect(incs[0]!.hints[0]).toMatch(/^a corrected hardware error/);
  });
});
