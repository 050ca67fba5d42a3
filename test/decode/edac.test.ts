/**
 * EDAC error reports: the real samples of corpora/x86_64/hardware/edac-*
 * (generate/edac-qemu.sh: a test module registers a fake memory controller and
 * edac_device with the real EDAC core of Debian's 6.1 kernel and reports errors
 * through edac_mc_handle_error / edac_device_handle_*_count), the decoded
 * incident.edac, the panic_on_ue panics, and each EDAC hint.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText } from "../../src/index.js";
import { decodeEdac, describeEdac, edacLayers } from "../../src/decode/edac.js";
import { ROOT } from "../corpus.js";

const read = (n: string) => analyzeText(readFileSync(join(ROOT, `corpora/x86_64/hardware/${n}.log`), "utf8")).incidents;
const line = (text: string) => analyzeText(`[  100.000000] ${text}\n[  101.000000] next: an unrelated line\n`).incidents;
const hinted = (text: string, start: string) => line(text)[0]!.hints.some((h) => h.startsWith(start));

const CE = "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x12345 offset:0x440 grain:32 syndrome:0x5a - area:DRAM err_code:0001:0090 socket:0 ha:0 channel_mask:1 rank:0)";
const CE5 = CE.replace(": 1 CE memory read error", ": 5 CE memory scrubbing error");
const UE = "EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x23456 offset:0x80 grain:32 - area:DRAM err_code:0000:0090 socket:0 ha:0 channel_mask:2 rank:0)";
const ANY = "EDAC MC0: 1 CE on any memory ( page:0x0 offset:0x0 grain:32 syndrome:0x0)";

describe("EDAC memory-controller reports (real, module-injected)", () => {
  it("a corrected error: one non-fatal hardware incident titled by its DIMM, decoded", () => {
    const incs = read("edac-ce");
    expect(incs.map((i) => [i.title, i.class, i.kind, i.fatal, i.guilty])).toEqual([
      ["EDAC: corrected memory error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0", "hardware", "memory-error", false, null],
    ]);
    expect(incs[0]!.edac).toEqual({
      source: "mc", index: 0, corrected: true, count: 1, message: "memory read error",
      labels: ["CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"], location: "channel:0 slot:0", layers: { channel: "0", slot: "0" },
      page: "0x12345", offset: "0x440", grain: 32, syndrome: "0x5a",
      detail: "area:DRAM err_code:0001:0090 socket:0 ha:0 channel_mask:1 rank:0",
      controller: null, instance: null, block: null,
    });
  });

  it("errors counted together, and one the controller could not place", () => {
    const incs = read("edac-ce-repeated");
    expect(incs.map((i) => [i.edac?.count, i.edac?.message, i.edac?.labels])).toEqual([
      [1, "memory read error", ["CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"]],
      [5, "memory scrubbing error", ["CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"]],
      [1, null, ["any memory"]],
    ]);
    // the same DIMM: the same title and fingerprint
    expect(incs[1]!.fingerprint).toBe(incs[0]!.fingerprint);
    expect(incs[2]!.title).toBe("EDAC: corrected memory error on any memory");
    expect(incs[2]!.edac).toMatchObject({ location: null, layers: {}, page: "0x0", syndrome: "0x0", detail: null });
  });

  it("uncorrected errors without panic_on_ue: not fatal; a slot-less one names both DIMMs", () => {
    const incs = read("edac-ue");
    expect(incs.map((i) => [i.title, i.fatal, i.edac?.corrected, i.edac?.syndrome])).toEqual([
      ["EDAC: uncorrected memory error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0", false, false, null],
      ["EDAC: uncorrected memory error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 or CPU_SrcID#0_Ha#0_Chan#1_DIMM#1", false, false, null],
    ]);
    expect(incs[1]!.edac).toMatchObject({ labels: ["CPU_SrcID#0_Ha#0_Chan#1_DIMM#0", "CPU_SrcID#0_Ha#0_Chan#1_DIMM#1"], layers: { channel: "1" } });
  });

  it("edac_mc_panic_on_ue=1: the panic joins the UE report, which blames no function", () => {
    const [i, ...rest] = read("edac-ue-panic_on_ue");
    expect(rest).toEqual([]);
    expect(i).toMatchObject({ title: "EDAC: uncorrected memory error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0", class: "hardware", fatal: true, guilty: null });
    expect(i!.panic?.message).toMatch(/^UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 \(channel:1 slot:0 page:0x23456 /);
    expect(i!.edac).toMatchObject({ index: 0, count: 1, corrected: false });
  });

  it("at loglevel 4 only the panic is printed: the same incident (title, fingerprint), from the panic line", () => {
    const [q, ...rest] = read("edac-ue-panic_on_ue-loglevel4");
    const [full] = read("edac-ue-panic_on_ue");
    expect(rest).toEqual([]);
    expect(q).toMatchObject({ recognizer: "edac-panic", class: "hardware", kind: "memory-error", fatal: true, guilty: null });
    expect([q!.title, q!.fingerprint]).toEqual([full!.title, full!.fingerprint]);
    // what the panic line does not say: the controller and the count
    expect(q!.edac).toEqual({ ...full!.edac, index: null, count: null });
  });
});

describe("EDAC device reports (real, module-injected)", () => {
  it("corrected and uncorrected, then the panic of a device with panic_on_ue", () => {
    expect(read("edac-device").map((i) => [i.title, i.kind, i.fatal])).toEqual([
      ["EDAC: corrected error in edac_inject cache0 block1", "device-error", false],
      ["EDAC: uncorrected error in edac_inject cache0 block1", "device-error", false],
    ]);
    const [p, ...rest] = read("edac-device-panic_on_ue");
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ title: "EDAC: uncorrected error in edac_inject cache0 block1", fatal: true, guilty: null });
    expect(p!.panic?.message).toBe("EDAC edac_inject: UE instance: cache0 block block1 count: 1 'injected uncorrected error'");
    expect(p!.edac).toMatchObject({ source: "device", index: 0, corrected: false, controller: "edac_inject", instance: "cache0", block: "block1", message: "injected uncorrected error" });
  });
});

describe("decodeEdac", () => {
  it("needs the CE/UE capture", () => {
    expect(decodeEdac({ mc: "0" })).toBeNull();
  });
  it("layers: key:value tokens, other words skipped (GHES's 'DIMM location: ...')", () => {
    expect(edacLayers("node:0 card:0 module:0 rank:1 DIMM location: P0 CHANNEL A")).toEqual({ node: "0", card: "0", module: "0", rank: "1" });
  });
  it("in words", () => {
    expect(describeEdac(line(CE5)[0]!.edac!)).toBe(
      "5 corrected errors (memory scrubbing error) on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 of memory controller 0 (channel 0, slot 0), page 0x12345 offset 0x440, grain 32 bytes, syndrome 0x5a; the driver: area:DRAM err_code:0001:0090 socket:0 ha:0 channel_mask:1 rank:0",
    );
  });
  it("the panic text of kernels before 5.8 (no space between the location and page:)", () => {
    const [i] = line("Kernel panic - not syncing: UE memory read error on DIMM_A1 (channel:1 slot:0page:0x23456 offset:0x80 grain:32 - area:DRAM)");
    expect(i).toMatchObject({ title: "EDAC: uncorrected memory error on DIMM_A1", class: "hardware", fatal: true });
    expect(i!.edac).toMatchObject({ location: "channel:1 slot:0", page: "0x23456", detail: "area:DRAM" });
  });
  it("a GHES-style report: location before page:, a detail with parentheses", () => {
    const [i] = line("EDAC MC0: 1 CE Single-bit ECC on DIMM A1 (node:0 card:0 module:0 rank:0 page:0x12345 offset:0x200 grain:1 syndrome:0x0 - APEI location: node:0 card:0 status(0x0000000000000400): Storage error in DRAM memory)");
    expect(i!.edac).toMatchObject({ message: "Single-bit ECC", labels: ["DIMM A1"], location: "node:0 card:0 module:0 rank:0", detail: "APEI location: node:0 card:0 status(0x0000000000000400): Storage error in DRAM memory" });
  });
});

describe("EDAC hints (grammars/hints.yaml)", () => {
  it("a corrected error: count per DIMM and replace the one that repeats", () => {
    expect(hinted(CE, "a corrected memory error")).toBe(true);
    expect(hinted(UE, "a corrected memory error")).toBe(false);
  });
  it("several corrected errors in one report", () => {
    expect(hinted(CE5, "this one report counts several corrected errors")).toBe(true);
    expect(hinted(CE, "this one report counts several corrected errors")).toBe(false);
  });
  it("an uncorrected error, with or without its panic", () => {
    expect(hinted(UE, "an uncorrected memory error")).toBe(true);
    expect(read("edac-ue-panic_on_ue-loglevel4")[0]!.hints.some((h) => h.startsWith("an uncorrected memory error"))).toBe(true);
    expect(hinted(CE, "an uncorrected memory error")).toBe(false);
  });
  it("an error the controller could not place", () => {
    expect(hinted(ANY, "the memory controller could not tell which DIMM")).toBe(true);
    expect(hinted(CE, "the memory controller could not tell which DIMM")).toBe(false);
  });
  it("an EDAC device's error, and the general hardware hint on all of them", () => {
    const [d] = read("edac-device");
    expect(d!.hints.some((h) => h.startsWith("an EDAC device"))).toBe(true);
    expect(hinted(CE, "an EDAC device")).toBe(false);
    for (const t of [CE, UE, ANY]) expect(hinted(t, "the hardware reported an error")).toBe(true);
  });
});
