/**
 * arm64 dumps: QEMU dump-guest-memory of a panicked Debian 6.1 arm64 guest
 * (qemu-system-aarch64 -M virt -cpu cortex-a57, TCG), minimised. makedumpfile
 * (an x86_64 build) cannot read them, so the expected text is kpanic's own,
 * cross-checked: ELF and -z of one guest decode identically, every console
 * line of the guest is in it, and the page-table walk agrees with the
 * kimage_voffset and linear-map translations on the guest's own tables.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import {
  Arm64Memory,
  BytesSource,
  detectArch,
  Elf64Dump,
  formatMakedumpfile,
  openDump,
  parseVmcoreinfo,
  readVmcoreLog,
  summarizeLog,
  VmcoreError,
  type LogRecord,
  type PhysicalDump,
} from "../../src/vmcore/index.js";
import type { MissingSink } from "../../src/vmcore/dump.js";
import { infoReport, runInfo } from "../../src/cli/commands/info.js";
import { runDmesg } from "../../src/cli/commands/dmesg.js";
import { readVmcoreFile } from "../../src/sources/vmcore.js";
import { bytes, VMCORE_DIR } from "./helpers.js";

const fx = (f: string): string => join(VMCORE_DIR, f);
const KASLR_ELF = fx("qemu-arm64-kaslr-vmcore.elf.gz");
const KASLR_FLAT = fx("qemu-arm64-kaslr-vmcore.kdump-flat.gz");
const NOKASLR_FLAT = fx("qemu-arm64-nokaslr-vmcore.kdump-flat.gz");
const LOGBUF_FLAT = fx("qemu-arm64-logbuf-vmcore.kdump-flat.gz");
const LOGBUF_ELF = fx("qemu-arm64-logbuf-vmcore.elf.gz");
const expected = (v: string): string => readFileSync(fx(`qemu-arm64-${v}.expected-dmesg.txt`), "latin1");
const text = (records: LogRecord[]): string => records.map(formatMakedumpfile).join("");
const read = (f: string) => readVmcoreLog(new BytesSource(bytes(f)));

describe("arm64 QEMU dumps (real, minimised): static ring in the kernel image, KASLR", () => {
  it.each([KASLR_ELF, KASLR_FLAT])("%s: kimage_voffset translation gives the expected log byte for byte", async (f) => {
    const log = await read(f);
    expect(log.memory.arch).toBe("arm64");
    expect(log.kind).toBe("lockless");
    expect(log.records.length).toBe(258);
    expect(text(log.records)).toBe(expected("kaslr"));
    expect(log.memory.translations).toMatchObject({ load: 0, linear: 0, pagetable: 0, failed: 0 });
    expect(log.memory.translations.text).toBeGreaterThanOrEqual(10);
    expect(log.diagnostics).toEqual([]);
    expect(summarizeLog(log.records)).toMatchObject({ panic: "sysrq triggered crash", task: { comm: "init", pid: 1 } });
  });

  it("kpanic info: machine aarch64 (arm64), release, KASLR offset, PHYS_OFFSET, panic", async () => {
    const r = infoReport("x", await read(KASLR_ELF));
    expect(r).toMatchObject({
      format: "elf64",
      release: "6.1.0-56-arm64",
      machine: "aarch64",
      arch: "arm64",
      pageSize: 4096,
      kernelOffset: "0x5227fce00000",
      buildId: "0ed29847cba3cbd9114b826b3a1ad39dd624ffa0",
      physBase: "-0x2162c0000000",
      physBaseSource: "VMCOREINFO NUMBER(PHYS_OFFSET)",
      kimageVoffset: "0xffffd227c4c00000",
      vaBits: 48,
      complete: true,
      log: { kind: "lockless", records: 258, ringBytes: 589824 },
      panic: "sysrq triggered crash",
      task: { comm: "init", pid: 1, cpu: 1 },
    });
  });

  it("-z: QEMU's kdump header says machine \"Unknown\", 64 KiB blocks, phys_base = PHYS_OFFSET; VMCOREINFO tells arm64", async () => {
    const log = await read(KASLR_FLAT);
    expect(log.dump.utsname?.machine).toBe("Unknown");
    expect(log.dump.blockSize).toBe(65536);
    expect(log.dump.physBase).toBe(-0x2162c0000000n);
    expect(log.memory.physBase).toBe(-0x2162c0000000n);
    expect(infoReport("x", log)).toMatchObject({ machine: "aarch64", arch: "arm64" });
  });

  it("reads about the ring's size", async () => {
    const src = new BytesSource(bytes(KASLR_ELF));
    const log = await readVmcoreLog(src);
    expect(log.ringBytes).toBe(589824);
    expect(src.stats.bytesRead).toBeLessThan(log.ringBytes + 64 * 1024);
  });

  it("nokaslr -z: kernel offset 0, PHYS_OFFSET = start of RAM", async () => {
    const log = await read(NOKASLR_FLAT);
    expect(text(log.records)).toBe(expected("nokaslr"));
    expect(log.info.kernelOffset).toBe(0n);
    expect(log.memory.physBase).toBe(0x40000000n);
    expect(infoReport("x", log)).toMatchObject({ kernelOffset: "0x0", kimageVoffset: "0xffff7fffc7e00000", panic: "sysrq triggered crash" });
  });

  it.each(["kaslr", "nokaslr", "logbuf"])("%s: every line the guest printed on its console is in the log", (v) => {
    const console = readFileSync(fx(`qemu-arm64-${v}.console.txt`), "latin1").replace(/\r/g, "");
    const have = new Set(expected(v).split("\n"));
    const printed = console.split("\n").filter((l) => l.startsWith("[") && l.includes("] "));
    expect(printed.length).toBeGreaterThan(240);
    expect(printed.filter((l) => !have.has(l))).toEqual([]);
  });
});

describe("arm64: a ring in the linear map (log_buf_len=1M, KASLR randomised the linear map too)", () => {
  it.each([LOGBUF_FLAT, LOGBUF_ELF])("%s: PAGE_OFFSET and the negative PHYS_OFFSET", async (f) => {
    const log = await read(f);
    expect(log.ringBytes).toBe(4718592);
    expect(log.memory.translations.linear).toBeGreaterThanOrEqual(10);
    expect(log.memory.translations.pagetable).toBe(0);
    expect(log.memory.physBase).toBeLessThan(0n);
    expect(text(log.records)).toBe(expected("logbuf"));
    expect(text(log.records)).toContain("printk: log_buf_len: 1048576 bytes");
  });

  it("without NUMBER(PHYS_OFFSET) the same log comes from walking swapper_pg_dir", async () => {
    const b = bytes(LOGBUF_ELF).slice();
    const s = Buffer.from(b.buffer, b.byteOffset, b.length);
    const at = s.indexOf("NUMBER(PHYS_OFFSET)=", 0, "latin1");
    expect(at).toBeGreaterThan(0);
    s.write("NUMBER(PHYS_OFFSEX)=", at, "latin1");
    const log = await readVmcoreLog(new BytesSource(b));
    expect(log.memory.translations.linear).toBe(0);
    expect(log.memory.translations.pagetable).toBeGreaterThanOrEqual(10);
    expect(log.memory.physBaseSource).toMatch(/lowest PT_LOAD/);
    expect(text(log.records)).toBe(expected("logbuf"));
  });
});

describe("arm64 page-table walk on the guest's own tables", () => {
  it.each([KASLR_ELF, KASLR_FLAT, NOKASLR_FLAT, LOGBUF_FLAT, LOGBUF_ELF])("walking swapper_pg_dir gives the same pages as kimage_voffset / the linear map: %s", async (f) => {
    const log = await read(f);
    const pages = log.memory.translatedPages();
    expect(pages.length).toBeGreaterThanOrEqual(10);
    const problems: string[] = [];
    for (const v of pages) {
      const direct = await log.memory.vtop(v, () => {});
      expect(direct).toBeDefined();
      expect(await log.memory.walkVirt(v, (_a, _n, why) => problems.push(why))).toBe(direct);
    }
    expect(problems).toEqual([]);
  });
});

describe("arm64 CLI", () => {
  const TMP = mkdtempSync(join(tmpdir(), "kpanic-arm64-"));
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());
  const capture = (): { out: () => string; err: () => string } => {
    let o = "";
    let e = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((o += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((e += String(s)), true));
    return { out: () => o, err: () => e };
  };

  it("kpanic dmesg --stats and kpanic info on the -z fixture", async () => {
    const p = join(TMP, "vmcore.kdump-flat");
    writeFileSync(p, bytes(LOGBUF_FLAT));
    const c = capture();
    expect(await runDmesg({ vmcore: p, json: false, stats: true, quiet: false }, readVmcoreFile)).toBe(0);
    expect(c.out()).toBe(expected("logbuf"));
    expect(c.err()).toMatch(/pages translated: 2 kernel-text, 14 linear-map, 0 PT_LOAD, 0 page-table walk, 0 failed/);
    const i = capture();
    expect(await runInfo({ vmcore: p, json: false, stats: false, quiet: false })).toBe(0);
    expect(i.out()).toContain("machine        aarch64 (arm64)\n");
    expect(i.out()).toContain("release        6.1.0-56-arm64\n");
    expect(i.out()).toMatch(/PHYS_OFFSET {4}-0x[0-9a-f]+ \(VMCOREINFO NUMBER\(PHYS_OFFSET\)\)/);
    expect(i.out()).toContain("panic          sysrq triggered crash\n");
  });
});

describe("architecture detection", () => {
  it("ELF e_machine: 183 is arm64, 62 x86_64, others are refused clearly", async () => {
    const b = bytes(KASLR_ELF).slice();
    const elf = (await openDump(new BytesSource(b))).dump;
    const info = parseVmcoreinfo(elf.vmcoreinfo!);
    expect(detectArch(elf, info)).toBe("arm64");
    new DataView(b.buffer, b.byteOffset).setUint16(18, 40, true); // EM_ARM
    const arm = (await openDump(new BytesSource(b))).dump;
    expect(arm).toBeInstanceOf(Elf64Dump);
    expect(() => detectArch(arm, info)).toThrow(VmcoreError);
    await expect(readVmcoreLog(new BytesSource(b))).rejects.toThrow(/ELF machine 40 is not supported/);
  });

  it("kdump header machine, else VMCOREINFO", () => {
    const fake = (machine: string): PhysicalDump =>
      ({ format: "kdump-compressed", description: "", vmcoreinfo: null, complete: true, diagnostics: [], utsname: { sysname: "", nodename: "", release: "", version: "", machine, domainname: "" }, readPhys: () => Promise.resolve(new Uint8Array()) }) as PhysicalDump;
    const x86 = parseVmcoreinfo("OSRELEASE=6.1.0\nNUMBER(phys_base)=0\n");
    const a64 = parseVmcoreinfo("OSRELEASE=6.1.0\nNUMBER(kimage_voffset)=0xffff7fffc7e00000\n");
    expect(detectArch(fake("aarch64"), x86)).toBe("arm64");
    expect(detectArch(fake("x86_64"), a64)).toBe("x86_64");
    expect(detectArch(fake("Unknown"), a64)).toBe("arm64");
    expect(detectArch(fake(""), x86)).toBe("x86_64");
    expect(() => detectArch(fake("ppc64le"), x86)).toThrow(/ppc64le is not supported/);
  });
});

/** Physical memory from a map of 8-byte entries, for synthetic page tables. */
function fakeDump(entries: Map<bigint, bigint>): PhysicalDump {
  return {
    format: "elf64",
    description: "synthetic",
    vmcoreinfo: null,
    complete: true,
    diagnostics: [],
    readPhys(paddr: number, length: number, missing: MissingSink): Promise<Uint8Array> {
      const out = new Uint8Array(length);
      const v = entries.get(BigInt(paddr));
      if (length === 8 && v !== undefined) new DataView(out.buffer).setBigUint64(0, v, true);
      else if (length !== 8) missing(paddr, length, "not synthetic");
      return Promise.resolve(out);
    },
  };
}

describe("arm64 walk, other granules (synthetic tables)", () => {
  const TABLE = 3n;
  const PAGE = 3n;
  const BLOCK = 1n;

  it("4 KiB, 39-bit VA (3 levels): a 1 GiB block at level 1 and a 4 KiB page at level 3", async () => {
    const swapper = 0xffffffc008a00000n;
    const kv = 0xffffffbfc8a00000n; // swapper at phys 0x40000000
    const info = parseVmcoreinfo(`PAGESIZE=4096\nSYMBOL(_stext)=ffffffc008010000\nSYMBOL(swapper_pg_dir)=${swapper.toString(16)}\nNUMBER(VA_BITS)=39\nNUMBER(kimage_voffset)=0x${kv.toString(16)}\nNUMBER(PHYS_OFFSET)=0x40000000\nNUMBER(TCR_EL1_T1SZ)=0x19\n`);
    const m = new Map<bigint, bigint>();
    const top = 0x40000000n;
    const va1 = 0xffffff8040123456n; // linear map: index L1 = (va >> 30) & 511
    m.set(top + ((va1 >> 30n) & 511n) * 8n, 0x80000000n | BLOCK);
    const va2 = 0xffffffd000345678n;
    m.set(top + ((va2 >> 30n) & 511n) * 8n, 0x41000000n | TABLE);
    m.set(0x41000000n + ((va2 >> 21n) & 511n) * 8n, 0x41001000n | TABLE);
    m.set(0x41001000n + ((va2 >> 12n) & 511n) * 8n, 0x7654321000n | PAGE | (1n << 54n)); // UXN and friends are not address bits
    const mem = new Arm64Memory(fakeDump(m), info);
    expect(mem.ttbr1Bits).toBe(39);
    expect(mem.flipped).toBe(true);
    expect(await mem.walkVirt(va1, () => {})).toBe(0x80000000 + (0x40123456 & 0x3fffffff));
    expect(await mem.walkVirt(va2, () => {})).toBe(0x7654321678);
    // Below the TTBR1 range: not mapped.
    expect(await mem.walkVirt(0xffff000000000000n, () => {})).toBeUndefined();
    // The linear map translates without the tables: va - PAGE_OFFSET + PHYS_OFFSET.
    expect(mem.linearToPhys(0xffffff8000001000n)).toBe(0x40001000);
    expect(mem.imageToPhys(swapper)).toBe(0x40000000);
  });

  it("64 KiB, 48-bit VA (3 levels) with 52-bit physical addresses (FEAT_LPA): a 512 MiB block, a page above 2^48", async () => {
    const swapper = 0xffff800009000000n;
    const kv = 0xffff7fffc9000000n; // swapper at phys 0x40000000
    const info = parseVmcoreinfo(`PAGESIZE=65536\nSYMBOL(_stext)=ffff800008010000\nSYMBOL(swapper_pg_dir)=${swapper.toString(16)}\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0x${kv.toString(16)}\nNUMBER(PHYS_OFFSET)=0x40000000\nNUMBER(TCR_EL1_T1SZ)=0x10\nNUMBER(MAX_PHYSMEM_BITS)=52\n`);
    const m = new Map<bigint, bigint>();
    const top = 0x40000000n;
    // Level 1 (shift 42, 64 entries), level 2 (shift 29), level 3 (shift 16).
    const va1 = 0xffff000012345678n;
    m.set(top + ((va1 >> 42n) & 63n) * 8n, 0x50000000n | TABLE);
    m.set(0x50000000n + ((va1 >> 29n) & 8191n) * 8n, 0x60000000n | BLOCK);
    const va2 = 0xffff900000abcdefn;
    m.set(top + ((va2 >> 42n) & 63n) * 8n, 0x50010000n | TABLE);
    m.set(0x50010000n + ((va2 >> 29n) & 8191n) * 8n, 0x50020000n | TABLE);
    // Output address 0x3_0000_1234_0000: bits [47:16] in place, bits [51:48] in descriptor bits [15:12].
    m.set(0x50020000n + ((va2 >> 16n) & 8191n) * 8n, 0x000012340000n | (0x3n << 12n) | PAGE);
    const mem = new Arm64Memory(fakeDump(m), info);
    expect(await mem.walkVirt(va1, () => {})).toBe(0x60000000 + (0x12345678 & 0x1fffffff));
    expect(await mem.walkVirt(va2, () => {})).toBe(0x3000012340000 + 0xcdef);
  });

  it("an invalid entry, a block where the granule allows none, or a reserved level-3 entry ends the walk", async () => {
    const info = parseVmcoreinfo("PAGESIZE=4096\nSYMBOL(_stext)=ffff800008010000\nSYMBOL(swapper_pg_dir)=ffff800009000000\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffff7fffc9000000\nNUMBER(PHYS_OFFSET)=0x40000000\nNUMBER(TCR_EL1_T1SZ)=0x10\n");
    const m = new Map<bigint, bigint>();
    const va = 0xffff900000001000n;
    m.set(0x40000000n + ((va >> 39n) & 511n) * 8n, 0x41000000n | BLOCK); // a block at level 0 is not allowed
    const va3 = 0xffffb00000002000n;
    m.set(0x40000000n + ((va3 >> 39n) & 511n) * 8n, 0x42000000n | TABLE);
    m.set(0x42000000n + ((va3 >> 30n) & 511n) * 8n, 0x42001000n | TABLE);
    m.set(0x42001000n + ((va3 >> 21n) & 511n) * 8n, 0x42002000n | TABLE);
    m.set(0x42002000n + ((va3 >> 12n) & 511n) * 8n, 0x43000000n | BLOCK); // 0b01 at level 3: reserved
    const mem = new Arm64Memory(fakeDump(m), info);
    expect(await mem.walkVirt(va, () => {})).toBeUndefined();
    expect(await mem.walkVirt(0xffffa00000000000n, () => {})).toBeUndefined(); // entry 0: invalid
    expect(await mem.walkVirt(va3, () => {})).toBeUndefined();
    m.set(0x42002000n + ((va3 >> 12n) & 511n) * 8n, 0x43000000n | PAGE);
    expect(await new Arm64Memory(fakeDump(m), info).walkVirt(va3, () => {})).toBe(0x43000000);
  });
});
