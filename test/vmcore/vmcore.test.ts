import { describe, expect, it } from "vitest";
import {
  BytesSource,
  formatJson,
  formatMakedumpfile,
  KdumpCompressed,
  inspectVmcore,
  openDump,
  readVmcoreLog,
  sniffVmcore,
  summarizeLog,
  VmcoreError,
  vmcoreinfoPageText,
  type LogRecord,
  type VmcoreLog,
} from "../../src/vmcore/index.js";
import { elfCore, flatten } from "../../src/vmcore/minimize.js";
import { HDR } from "../../src/vmcore/kdump.js";
import { openVmcoreLog, readVmcoreFile } from "../../src/sources/vmcore.js";
import { infoReport } from "../../src/cli/commands/info.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { QEMU_LOGBUF_FLAT, QEMU_LOGBUF_PAGING } from "./helpers.js";
import { bytes, ELF_EXPECTED_DMESG, ELF_FIXTURE, EXPECTED_DMESG, expectedDmesg, LZO_FIXTURE, QEMU_KASLR, QEMU_NOKASLR_PAGING, VMCORE_DIR, ZLIB_FIXTURE } from "./helpers.js";

const TMP = mkdtempSync(join(tmpdir(), "kpanic-vmcore-test-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
/** The fixture gunzipped into a real file, for the file-reading code. */
function fixtureFile(fixture: string): string {
  const p = join(TMP, "dump");
  writeFileSync(p, bytes(fixture));
  return p;
}

const text = (records: LogRecord[]): string => records.map(formatMakedumpfile).join("");

async function decodedPages(fixture: string): Promise<{ vmcoreinfo: string; pages: Map<number, Uint8Array> }> {
  const d = await KdumpCompressed.open(new BytesSource(bytes(fixture)));
  const pages = new Map<number, Uint8Array>();
  // Every pfn the fixture holds (its bitmap 2 lists exactly the pages kept).
  const log = await readVmcoreLog(new BytesSource(bytes(fixture)));
  for (const pfn of (log.dump as KdumpCompressed).touchedPfns) {
    const p = await d.page(pfn);
    if (typeof p === "string") throw new Error(p);
    pages.set(pfn, p);
  }
  return { vmcoreinfo: d.vmcoreinfo!, pages };
}

describe("kdump-compressed (real Debian 6.1 dumps, minimised)", () => {
  it("zlib -d 31: kpanic dmesg equals the makedumpfile --dump-dmesg file byte for byte", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(ZLIB_FIXTURE)));
    expect(log.dump.format).toBe("kdump-compressed");
    expect(log.dump.description).toContain("zlib");
    expect(log.kind).toBe("lockless");
    expect(log.records.length).toBe(423);
    expect(text(log.records)).toBe(expectedDmesg());
    expect(log.diagnostics).toEqual([]);
  });

  it("lzo (RHEL layout, makedumpfile -l) decodes to the same log", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(LZO_FIXTURE)));
    expect(log.dump.description).toContain("lzo");
    expect(text(log.records)).toBe(expectedDmesg());
  });

  it("reads the header, VMCOREINFO and KASLR's negative phys_base", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(ZLIB_FIXTURE)));
    const r = infoReport("x", log);
    expect(r).toMatchObject({
      release: "6.1.0-56-amd64",
      machine: "x86_64",
      pageSize: 4096,
      kernelOffset: "0x38800000",
      buildId: "eb4fbcd037e7253717950bf2b93bd5566f47c56f",
      crashTime: "2026-11-28T19:06:02.000Z",
      physBase: "-0x1d000000",
      dumpLevel: 31,
      complete: true,
      panic: "sysrq triggered crash",
      task: { comm: "init", pid: 1, cpu: 1 },
    });
    expect(log.memory.translations.text).toBeGreaterThanOrEqual(10);
  });

  it("--json gives seq, ts, caller and text per record", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(ZLIB_FIXTURE)));
    const first = JSON.parse(formatJson(log.records[0]!)) as Record<string, unknown>;
    expect(first).toMatchObject({ seq: 0, ts: 0, caller: "T0" });
    expect(first["text"]).toMatch(/^Linux version 6\.1\.0-56-amd64/);
    const last = JSON.parse(formatJson(log.records.at(-1)!)) as Record<string, unknown>;
    expect(last["seq"]).toBe(422);
  });

  it("reads about the ring's size in a few hundred positioned reads", async () => {
    // (The minimised fixture shares one zero page among many pfns, so bytes read exceed its size;
    // on the full 32 MB dump the same reads are 0.53 MB.)
    const src = new BytesSource(bytes(ZLIB_FIXTURE));
    const log = await readVmcoreLog(src);
    expect(src.stats.bytesRead).toBeLessThan(log.ringBytes + 128 * 1024);
    expect(src.stats.reads).toBeLessThan(400);
  });

  it("a dump marked incomplete is read, with a diagnostic", async () => {
    const b = bytes(ZLIB_FIXTURE).slice();
    new DataView(b.buffer).setUint32(HDR.status, 0x1 | 0x8, true);
    const log = await readVmcoreLog(new BytesSource(b));
    expect(log.dump.complete).toBe(false);
    expect(log.diagnostics.map((d) => d.code)).toContain("incomplete-dump");
    expect(text(log.records)).toBe(expectedDmesg());
  });

  it("a truncated dump reads as far as it goes", async () => {
    const full = bytes(ZLIB_FIXTURE);
    const cut = full.subarray(0, full.length - 6000);
    const log = await readVmcoreLog(new BytesSource(cut));
    expect(log.dump.complete).toBe(false);
    expect(log.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(["truncated-dump", "ring-incomplete"]));
    // Records whose descriptors survived are still there and their text matches the original where it survived.
    expect(log.records.length).toBeGreaterThan(0);
    const lines = new Set(expectedDmesg().split("\n"));
    const kept = text(log.records).split("\n").filter((l) => lines.has(l)).length;
    expect(kept).toBeGreaterThan(0);
  });

  it("a truncated header is a clear error", async () => {
    await expect(readVmcoreLog(new BytesSource(bytes(ZLIB_FIXTURE).subarray(0, 300)))).rejects.toThrow(/kdump header: needs 464 bytes/);
  });
});

describe("makedumpfile -E (ELF64, real Debian 6.1 kdump run, minimised)", () => {
  const expected = readFileSync(ELF_EXPECTED_DMESG, "latin1");

  it("kpanic dmesg equals makedumpfile --dump-dmesg of the full -E dump byte for byte", async () => {
    const b = bytes(ELF_FIXTURE);
    expect(sniffVmcore(b)).toBe("elf64");
    const log = await readVmcoreLog(new BytesSource(b));
    expect(log.dump.format).toBe("elf64");
    // makedumpfile's PT_LOADs carry virtual addresses (kernel text and direct map); no QEMU note.
    expect(log.dump.description).toMatch(/^ELF64 vmcore, \d+ PT_LOAD$/);
    expect(log.kind).toBe("lockless");
    expect(log.records.length).toBe(435);
    expect(text(log.records)).toBe(expected);
    expect(log.diagnostics).toEqual([]);
    expect(log.memory.translations.load).toBeGreaterThanOrEqual(10);
    expect(log.memory.translations.text).toBe(0);
  });

  it("kpanic info: header, VMCOREINFO (positive phys_base), panic and task", async () => {
    const { log } = await readVmcoreFile(fixtureFile(ELF_FIXTURE));
    expect(infoReport("x", log)).toMatchObject({
      format: "elf64",
      complete: true,
      release: "6.1.0-56-amd64",
      machine: "x86_64",
      pageSize: 4096,
      kernelOffset: "0x1ee00000",
      buildId: "eb4fbcd037e7253717950bf2b93bd5566f47c56f",
      crashTime: "2026-11-28T23:37:27.000Z",
      physBase: "0x14000000",
      panic: "sysrq triggered crash",
      task: { comm: "init", pid: 1, cpu: 0 },
    });
  });
});

describe("other containers around the same memory", () => {
  it("flattened (makedumpfile -F layout, overlapping records, header rewritten last) reads in place", async () => {
    const flat = flatten(bytes(ZLIB_FIXTURE), 1024);
    expect(sniffVmcore(flat)).toBe("kdump-flattened");
    const log = await readVmcoreLog(new BytesSource(flat));
    expect(log.dump.description).toContain("flattened");
    expect(text(log.records)).toBe(expectedDmesg());
    expect(log.flat!.records).toBeGreaterThan(100);
  });

  it("a truncated flattened dump says so", async () => {
    const flat = flatten(bytes(ZLIB_FIXTURE), 4096);
    const log: VmcoreLog | Error = await readVmcoreLog(new BytesSource(flat.subarray(0, flat.length - 10))).catch((e: Error) => e);
    if (log instanceof Error) expect(log).toBeInstanceOf(VmcoreError);
    else expect(log.dump.complete).toBe(false);
  });

  it("ELF64 core with physical PT_LOADs only (QEMU dump-guest-memory style, p_vaddr 0)", async () => {
    const { vmcoreinfo, pages } = await decodedPages(ZLIB_FIXTURE);
    const elf = elfCore(vmcoreinfo, pages, 4096);
    expect(sniffVmcore(elf)).toBe("elf64");
    const log = await readVmcoreLog(new BytesSource(elf));
    expect(log.dump.format).toBe("elf64");
    expect(text(log.records)).toBe(expectedDmesg());
  });

  it("ELF64 with more than 65535 program headers (PN_XNUM)", async () => {
    const { vmcoreinfo, pages } = await decodedPages(ZLIB_FIXTURE);
    const elf = elfCore(vmcoreinfo, pages, 4096, 70_000);
    expect(new DataView(elf.buffer).getUint16(56, true)).toBe(0xffff);
    const log = await readVmcoreLog(new BytesSource(elf));
    expect(log.dump.description).toContain("PN_XNUM");
    expect(text(log.records)).toBe(expectedDmesg());
  });

  it("ELF whose memory is missing: the ring is reported incomplete, not invented", async () => {
    const { vmcoreinfo, pages } = await decodedPages(ZLIB_FIXTURE);
    const some = new Map([...pages].filter((_, i) => i % 3 !== 0));
    const r: VmcoreLog | Error = await readVmcoreLog(new BytesSource(elfCore(vmcoreinfo, some, 4096))).catch((e: Error) => e);
    if (r instanceof Error) expect(r).toBeInstanceOf(VmcoreError);
    else expect(r.diagnostics.map((d) => d.code)).toContain("ring-incomplete");
  });
});

describe("files", () => {
  it("readVmcoreFile uses positioned reads and counts them", async () => {
    const { log, stats, size } = await readVmcoreFile(fixtureFile(ZLIB_FIXTURE));
    expect(text(log.records)).toBe(expectedDmesg());
    expect(stats.reads).toBeGreaterThan(10);
    expect(stats.bytesRead).toBeLessThan(log.ringBytes + 128 * 1024);
    expect(size).toBe(bytes(ZLIB_FIXTURE).length);
  });

  it("openVmcoreLog streams the log for the analyser, and is null for a text log", async () => {
    const r = await openVmcoreLog(fixtureFile(ZLIB_FIXTURE));
    expect(r).not.toBeNull();
    let s = "";
    for await (const chunk of r!.stream) s += chunk;
    expect(s).toBe(expectedDmesg());
    expect(await openVmcoreLog(EXPECTED_DMESG)).toBeNull();
  });

  it("summarizeLog finds the panic and the task", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(LZO_FIXTURE)));
    expect(summarizeLog(log.records)).toMatchObject({ panic: "sysrq triggered crash", task: { comm: "init", pid: 1 } });
  });

  it("random bytes are not a vmcore", async () => {
    await expect(openDump(new BytesSource(new Uint8Array(4096).fill(7)))).rejects.toThrow(/not a vmcore/);
  });
});

describe("QEMU dump-guest-memory (real, minimised): makedumpfile cannot read these", () => {
  const expected = readFileSync(join(VMCORE_DIR, "qemu-kaslr.expected-dmesg.txt"), "latin1");

  it.each(QEMU_KASLR)("%s decodes to the same log as the other two formats of the same guest", async (fixture) => {
    const log = await readVmcoreLog(new BytesSource(bytes(fixture)));
    expect(text(log.records)).toBe(expected);
    expect(summarizeLog(log.records)).toMatchObject({ panic: "sysrq triggered crash", task: { comm: "init", pid: 1 } });
  });

  it("-z (flattened kdump): QEMU wrote a wrong phys_base in the sub-header; VMCOREINFO's negative one is used", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(QEMU_KASLR[2]!)));
    expect(log.dump.description).toContain("flattened");
    expect(log.memory.physBase).toBe(-0xcc00000n);
    expect(log.diagnostics.map((d) => d.code)).toContain("phys-base-mismatch");
  });

  it("-p (paging): translated through the PT_LOAD virtual addresses", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(QEMU_KASLR[1]!)));
    expect(log.memory.translations.load).toBeGreaterThanOrEqual(10);
    expect(log.memory.translations.text).toBe(0);
  });

  it("every line the guest printed on its console is in the log", async () => {
    const console = readFileSync(join(VMCORE_DIR, "qemu-kaslr.console.txt"), "latin1").replace(/\r/g, "");
    const have = new Set(expected.split("\n"));
    const printed = console.split("\n").filter((l) => l.startsWith("[") && l.includes("] "));
    expect(printed.length).toBeGreaterThan(300);
    // Continuation lines of multi-line records are indented in makedumpfile's format; the rest must match exactly.
    const missing = printed.filter((l) => !have.has(l));
    expect(missing.length).toBeLessThan(5);
  });

  it("nokaslr -p: the same text as vmcore-dmesg (kexec-tools) printed for the full dump, indentation aside", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(QEMU_NOKASLR_PAGING)));
    const ours = text(log.records);
    expect(ours).toBe(readFileSync(join(VMCORE_DIR, "qemu-nokaslr.expected-dmesg.txt"), "latin1"));
    const theirs = readFileSync(join(VMCORE_DIR, "qemu-nokaslr.vmcore-dmesg.txt"), "latin1");
    const unindent = (s: string): string => s.split("\n").map((l) => (l.startsWith("               ") ? l.slice(15) : l)).join("\n");
    expect(unindent(ours)).toBe(theirs);
  });

  it.each(["qemu-nokaslr-vmcore.elf.gz", "qemu-nokaslr-vmcore.kdump-flat.gz"])("nokaslr %s (plain ELF, -z): the same log as the -p dump of the same guest", async (name) => {
    const log = await readVmcoreLog(new BytesSource(bytes(join(VMCORE_DIR, name))));
    expect(text(log.records)).toBe(readFileSync(join(VMCORE_DIR, "qemu-nokaslr.expected-dmesg.txt"), "latin1"));
    expect(log.info.kernelOffset ?? 0n).toBe(0n);
  });
});

describe("x86_64 page-table walk on the real page tables (KASLR)", () => {
  it.each([ZLIB_FIXTURE, QEMU_KASLR[2]!])("walking init_top_pgt gives the same physical pages as the kernel-text mapping: %s", async (fixture) => {
    const log = await readVmcoreLog(new BytesSource(bytes(fixture)));
    const pages = log.memory.translatedPages();
    expect(pages.length).toBeGreaterThanOrEqual(10);
    const problems: string[] = [];
    for (const v of pages) {
      const viaText = await log.memory.vtop(v, () => {});
      const viaWalk = await log.memory.walkVirt(v, (_a, _n, why) => problems.push(why));
      expect(viaWalk).toBe(viaText);
    }
    expect(problems).toEqual([]);
  });
});

describe("feeding the analyser", () => {
  it("analyze() over openVmcoreLog's stream finds the sysrq panic", async () => {
    const { analyze } = await import("../../src/index.js");
    const src = await openVmcoreLog(fixtureFile(ZLIB_FIXTURE));
    const incidents = [];
    for await (const inc of analyze(src!.stream, { sourceName: src!.name })) incidents.push(inc);
    expect(incidents.some((i) => i.class === "panic" && i.fatal)).toBe(true);
  });
});

describe("a ring in the direct map (log_buf_len=1M, KASLR): found by walking init_top_pgt", () => {
  const expected = readFileSync(join(VMCORE_DIR, "qemu-logbuf.expected-dmesg.txt"), "latin1");

  it("-z: page-table walk (4-level, 2 MiB / 1 GiB pages) through the randomised direct map", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(QEMU_LOGBUF_FLAT)));
    expect(log.memory.translations.pagetable).toBeGreaterThanOrEqual(10);
    expect(log.ringBytes).toBe(4718592);
    expect(text(log.records)).toBe(expected);
    expect(text(log.records)).toContain("printk: log_buf_len: 1048576 bytes");
  });

  it("-p: QEMU's own translation (PT_LOAD virtual addresses) gives the same log", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(QEMU_LOGBUF_PAGING)));
    expect(log.memory.translations.pagetable).toBe(0);
    expect(text(log.records)).toBe(expected);
  });
});

describe("no VMCOREINFO note (QEMU guest without -device vmcoreinfo; real, minimised)", () => {
  const expected = readFileSync(join(VMCORE_DIR, "qemu-novmcoreinfo.expected-dmesg.txt"), "latin1");
  const fixtures = ["qemu-novmcoreinfo-vmcore.elf.gz", "qemu-novmcoreinfo-vmcore.kdump-flat.gz"].map((f) => join(VMCORE_DIR, f));

  it.each(fixtures)("%s: the kernel's own VMCOREINFO page is found in memory and the log read through it (KASLR)", async (fixture) => {
    const log = await readVmcoreLog(new BytesSource(bytes(fixture)));
    expect(text(log.records)).toBe(expected);
    const d = log.diagnostics.find((x) => x.code === "vmcoreinfo-scanned");
    expect(d?.severity).toBe("warning");
    expect(d?.message).toMatch(/no VMCOREINFO note .* kernel's own copy found in its memory at physical 0x[0-9a-f]+ .*-device vmcoreinfo/);
    expect(log.info.osrelease).toBe("6.1.0-56-amd64");
    expect(log.info.kernelOffset).toBeGreaterThan(0n);
  });

  it("every line the guest printed on its console is in the log", () => {
    const printed = readFileSync(join(VMCORE_DIR, "qemu-novmcoreinfo.console.txt"), "latin1").split("\n").filter((l) => /^\[ {0,4}\d+\.\d{6}\] /.test(l));
    const have = new Set(expected.split("\n"));
    expect(printed.length).toBeGreaterThan(300);
    expect(printed.filter((l) => !have.has(l)).length).toBeLessThan(5);
  });

  it("without the scan (or without the page) the error says why and what to do", async () => {
    await expect(readVmcoreLog(new BytesSource(bytes(fixtures[0]!)), { scanVmcoreinfo: false })).rejects.toThrow(/no VMCOREINFO note, and no copy of it was found .*-device vmcoreinfo/);
    // The same dump with the page's "OSRELEASE=" overwritten: scanned in full, then the error.
    const b = bytes(fixtures[0]!).slice();
    const at = Buffer.from(b).indexOf("OSRELEASE=6.1.0-56-amd64\n");
    expect(at).toBeGreaterThan(0);
    b[at] = 0x58;
    await expect(readVmcoreLog(new BytesSource(b))).rejects.toThrow(/no copy of it was found/);
    const ins = await inspectVmcore(new BytesSource(b));
    expect(ins.logError).toMatch(/no VMCOREINFO note/);
  });

  it("a page that merely starts with OSRELEASE= is not taken for VMCOREINFO", () => {
    const page = (s: string) => {
      const p = new Uint8Array(4096);
      p.set(Buffer.from(s, "latin1"));
      return p;
    };
    expect(vmcoreinfoPageText(page("OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(prb)=ffffffff82a5c2e0\n"))).toMatch(/^OSRELEASE=6\.1\.0\n/);
    expect(vmcoreinfoPageText(page("OSRELEASE=6.1.0\nsome text\n"))).toBeNull();
    expect(vmcoreinfoPageText(page("OSRELEASE=6.1.0\nPAGESIZE=4096\n"))).toBeNull();
    expect(vmcoreinfoPageText(page("XSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(prb)=1\n"))).toBeNull();
  });
});

describe("Linux 5.10 (Debian 11 bullseye, QEMU; real, minimised): the first lockless ring's layout", () => {
  const expected = readFileSync(join(VMCORE_DIR, "qemu-bullseye-5.10.expected-dmesg.txt"), "latin1");
  const fixtures = ["qemu-bullseye-5.10-vmcore.elf.gz", "qemu-bullseye-5.10-vmcore.kdump-flat.gz"].map((f) => join(VMCORE_DIR, f));

  it.each(fixtures)("%s decodes to the same log as the other format of the same guest", async (fixture) => {
    const log = await readVmcoreLog(new BytesSource(bytes(fixture)));
    expect(log.kind).toBe("lockless");
    expect(log.records.length).toBe(398);
    expect(text(log.records)).toBe(expected);
    expect(log.info.osrelease).toBe("5.10.0-46-amd64");
    expect(log.info.kernelOffset).toBe(0x24200000n);
    expect(log.memory.physBase).toBe(-0x1d600000n);
    expect(summarizeLog(log.records)).toMatchObject({ panic: "sysrq triggered crash", task: { comm: "init", pid: 1, cpu: 1 } });
  });

  it("the ring's layout comes from VMCOREINFO: 5.10's prb_desc_ring is 8 bytes shorter than 6.1's (no last_finalized_id), and no dictionary ring", async () => {
    const v510 = (await readVmcoreLog(new BytesSource(bytes(fixtures[0]!)))).info;
    const v61 = (await readVmcoreLog(new BytesSource(bytes(QEMU_KASLR[0]!)))).info;
    expect([v510.sizes.get("printk_ringbuffer"), v510.offsets.get("printk_ringbuffer.text_data_ring"), v510.sizes.get("prb_desc_ring")]).toEqual([80, 40, 40]);
    expect([v61.sizes.get("printk_ringbuffer"), v61.offsets.get("printk_ringbuffer.text_data_ring"), v61.sizes.get("prb_desc_ring")]).toEqual([88, 48, 48]);
    // The dictionary ring of the lockless ring's early patch series was dropped before 5.10 was released.
    for (const info of [v510, v61]) {
      expect(info.offsets.has("printk_ringbuffer.dict_data_ring")).toBe(false);
      expect(info.offsets.has("printk_info.dict_len")).toBe(false);
      expect([info.sizes.get("prb_desc"), info.sizes.get("printk_info")]).toEqual([24, 88]);
    }
  });

  it("kpanic info: release 5.10, KASLR offset, negative phys_base, panic and task", async () => {
    const { log } = await readVmcoreFile(fixtureFile(fixtures[1]!));
    expect(infoReport("x", log)).toMatchObject({
      format: "kdump-compressed",
      complete: true,
      release: "5.10.0-46-amd64",
      machine: "x86_64",
      pageSize: 4096,
      kernelOffset: "0x24200000",
      buildId: "9bcfc2361bcccd68de7f4941e069bb6910665236",
      physBase: "-0x1d600000",
      panic: "sysrq triggered crash",
      task: { comm: "init", pid: 1, cpu: 1 },
    });
    expect(infoReport("x", log).release).toMatch(/^5\.10\./);
  });

  it.each(["qemu-bullseye-5.10", "qemu-bullseye-5.10-nokaslr"])("every line the %s guest printed on its console is in the log", (name) => {
    const printed = readFileSync(join(VMCORE_DIR, `${name}.console.txt`), "latin1").split("\n").filter((l) => /^\[ {0,4}\d+\.\d{6}\] /.test(l));
    const have = new Set(readFileSync(join(VMCORE_DIR, `${name}.expected-dmesg.txt`), "latin1").split("\n"));
    expect(printed.length).toBeGreaterThan(300);
    // Only the continuation lines of one multi-line record ("trace_clock=local"), which makedumpfile's format indents.
    const missing = printed.filter((l) => !have.has(l));
    expect(missing.map((l) => l.replace(/^\[[ \d.]+\] /, ""))).toEqual(["If you want to keep using the local clock, then add:", '  "trace_clock=local"', "on the kernel command line"]);
  });

  it("nokaslr -p: the same text as vmcore-dmesg (kexec-tools) printed for the full dump, indentation aside", async () => {
    const log = await readVmcoreLog(new BytesSource(bytes(join(VMCORE_DIR, "qemu-bullseye-5.10-nokaslr-vmcore-paging.elf.gz"))));
    const ours = text(log.records);
    expect(ours).toBe(readFileSync(join(VMCORE_DIR, "qemu-bullseye-5.10-nokaslr.expected-dmesg.txt"), "latin1"));
    expect(log.info.kernelOffset ?? 0n).toBe(0n);
    expect(log.memory.translations.load).toBeGreaterThanOrEqual(10);
    const theirs = readFileSync(join(VMCORE_DIR, "qemu-bullseye-5.10-nokaslr.vmcore-dmesg.txt"), "latin1");
    const unindent = (s: string): string => s.split("\n").map((l) => (l.startsWith("               ") ? l.slice(15) : l)).join("\n");
    expect(unindent(ours)).toBe(theirs);
  });
});
