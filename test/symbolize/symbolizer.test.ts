/**
 * Symbolization against the corpus's own lkdtm.ko (the lab build that
 * produced the logs, kept as corpora/<arch>/modules/lkdtm.ko.xz): file:line,
 * .text.unlikely functions, inlined chains, `sym`, and bad symbol input.
 * Needs binutils' addr2line (on every machine with gcc); arm64 modules need
 * an addr2line that reads aarch64 (binutils-aarch64-linux-gnu or -multiarch).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeText, Symbolizer, type Frame, type Incident } from "../../src/index.js";
import { openSource } from "../../src/sources/file.js";
import { BytesSource } from "../../src/vmcore/io.js";
import { ElfError, readElf } from "../../src/symbolize/elf.js";
import { ROOT } from "../corpus.js";

const X86_KO = join(ROOT, "corpora/x86_64/modules/lkdtm.ko.xz");
const ARM_KO = join(ROOT, "corpora/arm64/modules/lkdtm.ko.xz");

function hasTool(cmd: string, needle?: string): boolean {
  const r = spawnSync(cmd, ["--help"], { encoding: "utf8" });
  return r.status === 0 && (!needle || (r.stdout + r.stderr).includes(needle));
}
const armAddr2line = hasTool("aarch64-linux-gnu-addr2line") || hasTool("addr2line", "elf64-littleaarch64");

async function unxzBytes(path: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of (await openSource(path)).stream) chunks.push(typeof c === "string" ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

function analyzeFile(rel: string): Incident[] {
  const p = join(ROOT, rel);
  return analyzeText(readFileSync(p, "utf8"), { sourceName: rel }).incidents;
}

function allFrames(i: Incident): Frame[] {
  return [...(i.ip ? [i.ip] : []), ...i.frames, ...i.stacks.flatMap((s) => s.frames)];
}

let tmp: string;
let ko: Uint8Array;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "kpanic-symtest-"));
  ko = await unxzBytes(X86_KO);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("ELF reader", () => {
  it("reads the module's sections, symbols, modinfo and release", async () => {
    const e = await readElf(new BytesSource(ko));
    expect(e.type).toBe(1);
    expect(e.machine).toBe("x86_64");
    expect(e.modinfo["name"]).toBe("lkdtm");
    expect(e.release).toBe("6.1.0-56-amd64");
    expect(e.hasDebugInfo).toBe(true);
    const s = e.symbols.find((x) => x.name === "lkdtm_ACCESS_NULL")!;
    expect(e.sections[s.shndx]!.name).toBe(".text.unlikely");
    expect(s.size).toBe(0x53);
  });

  it("refuses what is not ELF and says a truncated file is truncated", async () => {
    await expect(readElf(new BytesSource(new TextEncoder().encode("not an elf file at all, just text".repeat(4))))).rejects.toMatchObject({ code: "not-elf" });
    const err = await readElf(new BytesSource(ko.subarray(0, 4096))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ElfError);
    expect((err as ElfError).code).toBe("truncated");
    expect((err as Error).message).toMatch(/truncated/);
  });
});

describe("symbolizing the corpus's lkdtm incidents (x86_64)", () => {
  it("resolves lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm] to drivers/misc/lkdtm/perms.c:265 (the `tmp = *ptr;` read)", async () => {
    const [inc] = analyzeFile("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log");
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(inc!.ip).toMatchObject({ function: "lkdtm_ACCESS_NULL", file: "drivers/misc/lkdtm/perms.c", line: 265 });
    // direct_entry.cold lives in .text.unlikely too: a return address, looked up at addr-1.
    expect(inc!.frames[0]).toMatchObject({ function: "direct_entry.cold", file: "drivers/misc/lkdtm/core.c", line: 329 });
    // vmlinux frames stay as they were, and the summary says why.
    expect(inc!.frames[1]!.file).toBeUndefined();
    expect(inc!.symbolization).toMatchObject({ resolved: 2, objects: [X86_KO] });
    expect(inc!.symbolization!.reasons).toContain("no vmlinux symbols");
    expect(s.diagnostics).toEqual([]);
  });

  it("gives the inlined chain where the compiler inlined (refcount_inc in lkdtm_REFCOUNT_INC_OVERFLOW)", async () => {
    const [inc] = analyzeFile("corpora/x86_64/warning/lkdtm-REFCOUNT_INC_OVERFLOW.log");
    const s = await Symbolizer.create({ symbols: [join(ROOT, "corpora/x86_64/modules")], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    const f = inc!.frames.find((x) => x.function === "lkdtm_REFCOUNT_INC_OVERFLOW")!;
    expect(f).toMatchObject({ file: "drivers/misc/lkdtm/refcount.c", line: 37 });
    expect(f.inlined).toEqual([
      { function: "__refcount_inc", file: "include/linux/refcount.h", line: 250 },
      { function: "refcount_inc", file: "include/linux/refcount.h", line: 267 },
    ]);
  });

  it("resolves a .text function (recursive_loop) as well as .text.unlikely ones", async () => {
    const incs = analyzeFile("corpora/x86_64/panic/lkdtm-EXHAUST_STACK.log");
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false });
    await s.symbolize(incs);
    await s.close();
    const f = incs.flatMap(allFrames).find((x) => x.function === "recursive_loop" && x.module === "lkdtm");
    expect(f?.file).toBe("drivers/misc/lkdtm/bugs.c");
    expect(f?.line).toBeGreaterThan(0);
  });

  it("gives file and line for every resolvable lkdtm frame of the x86_64 corpus, with one addr2line per section per batch", async () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(?:log|dmesg)$/.test(e)) files.push(p);
      }
    };
    walk(join(ROOT, "corpora/x86_64"));
    const incidents = files.flatMap((f) => analyzeText(readFileSync(f, "utf8"), { sourceName: f }).incidents);
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false });
    await s.symbolize(incidents);
    await s.close();
    const lk = incidents.flatMap(allFrames).filter((f) => f.module === "lkdtm");
    const unresolved = [...new Set(lk.filter((f) => !f.file).map((f) => `${f.function}+${f.offset}/${f.size}`))].sort();
    // The only ones left point at data, not code (EXEC_DATA/EXEC_RODATA run a data symbol).
    expect(unresolved).toEqual(["data_area+0x0/0xffffffffffff76e0", "lkdtm_rodata_do_nothing+0x0/0xfffffffffffffeb0"]);
    expect(lk.filter((f) => f.file).length).toBeGreaterThan(200);
    expect(s.runs).toBe(3); // one per section: .text, .text.unlikely, .init.text
  });
});

describe.runIf(armAddr2line)("symbolizing arm64 lkdtm incidents", () => {
  it("resolves pc and the call trace through kallsyms-style sizes (padding included)", async () => {
    const [inc] = analyzeFile("corpora/arm64/oops/lkdtm-ACCESS_NULL.log");
    const s = await Symbolizer.create({ symbols: [ARM_KO], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(inc!.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
    // lkdtm_do_action+0x24/0x40: st_size is 0x38, kallsyms counts to the next symbol.
    expect(inc!.frames.find((f) => f.function === "lkdtm_do_action")).toMatchObject({ file: "drivers/misc/lkdtm/core.c" });
  });
});

describe("bad symbol input: a clear diagnostic, the rest of the report unaffected", () => {
  const log = "corpora/x86_64/oops/lkdtm-ACCESS_NULL.log";

  it("symbols of another release are refused, naming both releases", async () => {
    const [inc] = analyzeFile(log);
    const title = inc!.title;
    const s = await Symbolizer.create({ symbols: [ARM_KO], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics.map((d) => d.message).join("\n")).toMatch(/release 6\.1\.0-56-arm64, but the log is from 6\.1\.0-56-amd64.*--force-symbols/);
    expect(inc!.ip!.file).toBeUndefined();
    expect(inc!.title).toBe(title);
  });

  it("a module without debug info keeps its names and says so; a stripped one is refused", async () => {
    const plain = join(tmp, "lkdtm.ko");
    writeFileSync(plain, ko);
    const nodebug = join(tmp, "nodebug", "lkdtm.ko");
    const stripped = join(tmp, "stripped", "lkdtm.ko");
    for (const [out, flag] of [
      [nodebug, "--strip-debug"],
      [stripped, "--strip-all"],
    ] as const) {
      spawnSync("mkdir", ["-p", join(out, "..")]);
      const r = spawnSync("objcopy", [flag, plain, out]);
      expect(r.status).toBe(0);
    }
    let [inc] = analyzeFile(log);
    let s = await Symbolizer.create({ symbols: [nodebug], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics[0]?.message).toMatch(/no DWARF line information/);
    expect(inc!.ip!.file).toBeUndefined();
    expect(inc!.ip!.function).toBe("lkdtm_ACCESS_NULL");

    [inc] = analyzeFile(log);
    s = await Symbolizer.create({ symbols: [stripped], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics[0]?.message).toMatch(/no symbol table \(stripped\)/);
    expect(inc!.symbolization?.resolved).toBe(0);
  });

  it("a truncated module is reported as truncated", async () => {
    const cut = join(tmp, "cut", "lkdtm.ko");
    spawnSync("mkdir", ["-p", join(cut, "..")]);
    writeFileSync(cut, ko.subarray(0, 20000));
    const [inc] = analyzeFile(log);
    const s = await Symbolizer.create({ symbols: [cut], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics[0]?.message).toMatch(/cannot read symbols: .*truncated/);
    expect(inc!.symbolization).toMatchObject({ resolved: 0 });
  });

  it("a missing addr2line names the package to install", async () => {
    const [inc] = analyzeFile(log);
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false, path: join(tmp, "empty-bin") });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics.map((d) => d.message).join("\n")).toMatch(/no addr2line that reads x86_64 modules: install binutils/);
    expect(inc!.ip!.file).toBeUndefined();
  });

  it("a path that does not exist is an error naming it", async () => {
    const s = await Symbolizer.create({ symbols: [join(tmp, "nope.ko")], auto: false });
    expect(s.diagnostics[0]?.message).toMatch(/nope\.ko: no such file/);
    await s.close();
  });
});

describe("kpanic sym", () => {
  it("answers like crash's sym, for module functions and with inlined chains", async () => {
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false });
    const a = await s.sym(["lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm]", "lkdtm_REFCOUNT_INC_OVERFLOW+0x6f", "no_such_function+0x1", "0xffffffffc0000000", "@@"]);
    await s.close();
    expect(a[0]).toMatchObject({ function: "lkdtm_ACCESS_NULL", offset: 20, module: "lkdtm", file: "drivers/misc/lkdtm/perms.c", line: 265, error: null });
    expect(a[1]!.inlined.map((x) => x.function)).toEqual(["__refcount_inc", "refcount_inc"]);
    expect(a[2]!.error).toMatch(/not in/);
    expect(a[3]!.error).toMatch(/no vmlinux, System\.map or kallsyms/);
    expect(a[4]!.error).toMatch(/not a symbol/);
  });

  it("looks addresses up in System.map and kallsyms, taking away the kernel offset", async () => {
    const map = join(tmp, "System.map-6.1.0-56-amd64");
    writeFileSync(map, "ffffffff81000000 T _text\nffffffff81000000 T startup_64\nffffffff81553f00 t sysrq_handle_crash\nffffffff81553f40 t sysrq_handle_loglevel\nffffffff82000000 D _data\n");
    const ks = join(tmp, "kallsyms");
    writeFileSync(ks, "ffffffffc0a01000 t lkdtm_do_action\t[lkdtm]\nffffffffc0a01040 t direct_entry\t[lkdtm]\n");
    const s = await Symbolizer.create({ symbols: [map, ks], auto: false });
    const a = await s.sym(["0xffffffff9f553f16"], { kernelOffset: 0x1e000000n });
    const b = await s.sym(["ffffffffc0a01010"]);
    // kallsyms holds runtime addresses: the kernel offset is not taken away from them.
    const c = await s.sym(["ffffffffc0a01010"], { kernelOffset: 0x1e000000n });
    await s.close();
    expect(c[0]).toMatchObject({ function: "lkdtm_do_action", offset: 0x10, module: "lkdtm" });
    expect(a[0]).toMatchObject({ function: "sysrq_handle_crash", offset: 0x16, file: null });
    expect(b[0]).toMatchObject({ function: "lkdtm_do_action", offset: 0x10, module: "lkdtm" });
  });

  it("the CLI prints one line per query", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bin/kpanic.js"), "sym", X86_KO, "lkdtm_ACCESS_NULL+0x14"], { encoding: "utf8", cwd: ROOT });
    expect(r.stdout).toBe("lkdtm_ACCESS_NULL+20 [lkdtm] drivers/misc/lkdtm/perms.c: 265\n");
    expect(r.status).toBe(0);
  });
});

describe("analyze --symbols (CLI)", () => {
  const bin = join(ROOT, "bin/kpanic.js");
  const log = join(ROOT, "corpora/x86_64/oops/lkdtm-ACCESS_NULL.log");
  const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });

  it("JSON carries file/line, the decoded code and the summary, and validates against the schema", async () => {
    const r = cli(["analyze", "--format", "json", "--no-auto-symbols", "--symbols", X86_KO, log]);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout) as { incidents: Incident[] };
    const inc = rep.incidents[0]!;
    expect(inc.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
    expect(inc.code?.instructions.find((i) => i.faulting)).toMatchObject({ bytes: "48 8b 1c 25 00 00 00 00" });
    expect(inc.symbolization?.resolved).toBe(2);
    const { Ajv } = await import("ajv");
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")) as object);
    expect(validate(rep) ? [] : validate.errors).toEqual([]);
  });

  it("text shows file:line beside frames and, with --source, the faulting line", () => {
    const src = join(tmp, "linux");
    spawnSync("mkdir", ["-p", join(src, "drivers/misc/lkdtm")]);
    const lines = Array.from({ length: 300 }, (_, i) => `/* line ${i + 1} */`);
    lines[264] = "\ttmp = *ptr;";
    writeFileSync(join(src, "drivers/misc/lkdtm/perms.c"), lines.join("\n"));
    const r = cli(["--no-auto-symbols", "--symbols", X86_KO, "--source", src, log]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ip +lkdtm_ACCESS_NULL\+0x14\/0x53 \[lkdtm\] {2}drivers\/misc\/lkdtm\/perms\.c:265/);
    expect(r.stdout).toMatch(/source +drivers\/misc\/lkdtm\/perms\.c:265: tmp = \*ptr;/);
    expect(r.stdout).toMatch(/direct_entry\.cold\+0x18\/0x24 \[lkdtm\] {2}drivers\/misc\/lkdtm\/core\.c:329/);
    expect(r.stdout).toMatch(/movq 0x0, %rbx +<-- faulting instruction/);
  });

  it("scan and hook symbolize the dumps they report", () => {
    const crash = join(tmp, "crash");
    spawnSync("mkdir", ["-p", join(crash, "202611281906")]);
    writeFileSync(join(crash, "202611281906", "dmesg.202611281906"), readFileSync(join(ROOT, "corpora/x86_64/oops/lkdtm-ACCESS_NULL-panic_on_oops.log")));
    const scan = cli(["scan", "--format", "json", "--no-auto-symbols", "--symbols", X86_KO, crash]);
    expect(scan.status).toBe(0);
    const dump = (JSON.parse(scan.stdout) as { dumps: Array<{ incidents: Incident[] }> }).dumps[0]!;
    expect(dump.incidents[0]!.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
    expect(dump.incidents[0]!.code?.arch).toBe("x86_64");
    const state = join(tmp, "hook-state");
    const hook = cli(["hook", "--no-journal", "--state-dir", state, "--no-auto-symbols", "--symbols", X86_KO, crash]);
    expect(hook.status).toBe(0);
    const reports = readdirSync(join(state, "reports"));
    const rep = JSON.parse(readFileSync(join(state, "reports", reports[0]!, "report.json"), "utf8")) as { dump: { incidents: Incident[] } };
    expect(rep.dump.incidents[0]!.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
  });

  it("markdown shows them too; --no-code leaves the code out", () => {
    const md = cli(["--format", "markdown", "--no-auto-symbols", "--symbols", X86_KO, log]).stdout;
    expect(md).toContain("lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm]  drivers/misc/lkdtm/perms.c:265");
    expect(md).toContain("<summary>Code (x86_64)</summary>");
    const plain = cli(["--format", "json", "--no-code", log]);
    expect((JSON.parse(plain.stdout) as { incidents: Incident[] }).incidents[0]!.code).toBeUndefined();
  });
});

describe("build ids (CONFIG_STACKTRACE_BUILD_ID)", () => {
  // The ACCESS_NULL log as a kernel with CONFIG_STACKTRACE_BUILD_ID prints it
  // (lib/dump_stack.c: " %20phN" after the version; %pSb: "[mod <id>]").
  const withIds = (modId: string, vmId: string): string =>
    readFileSync(join(ROOT, "corpora/x86_64/oops/lkdtm-ACCESS_NULL.log"), "utf8")
      .replace(/\[lkdtm\]/g, `[lkdtm ${modId}]`)
      .replace(/(Comm: sh Tainted[^\r\n]*?)(\r?)$/gm, `$1 ${vmId}$2`);
  const VM_ID = "eb4fbcd037e7253717950bf2b93bd5566f47c56f";
  let modId: string;
  beforeAll(async () => {
    modId = (await readElf(new BytesSource(ko))).buildId!;
  });

  it("are read from frames and the CPU: line", () => {
    const [inc] = analyzeText(withIds(modId, VM_ID)).incidents;
    expect(inc!.kernel).toMatchObject({ version: "#1 Debian 6.1.192-2", buildId: VM_ID });
    expect(inc!.ip).toMatchObject({ module: "lkdtm", buildId: modId });
    expect(inc!.title).toBe("BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL");
  });

  it("find the module under .build-id/ of a directory given", async () => {
    const dir = join(tmp, "debugroot");
    spawnSync("mkdir", ["-p", join(dir, ".build-id", modId.slice(0, 2))]);
    writeFileSync(join(dir, ".build-id", modId.slice(0, 2), `${modId.slice(2)}.debug`), ko);
    const [inc] = analyzeText(withIds(modId, VM_ID)).incidents;
    const s = await Symbolizer.create({ symbols: [dir], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(inc!.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
  });

  it("refuse a module whose build id differs from the log's, naming both", async () => {
    const other = "0123456789abcdef0123456789abcdef01234567";
    const [inc] = analyzeText(withIds(other, VM_ID)).incidents;
    const s = await Symbolizer.create({ symbols: [X86_KO], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    expect(s.diagnostics.map((d) => d.message).join("\n")).toContain(`has build id ${modId}, but the log's lkdtm has ${other}`);
    expect(inc!.ip!.file).toBeUndefined();
  });

  it("ask debuginfod-find when allowed (--debuginfod)", async () => {
    const bin = join(tmp, "fakebin");
    const store = join(tmp, "debuginfod-cache", "lkdtm.debug");
    spawnSync("mkdir", ["-p", bin, join(store, "..")]);
    writeFileSync(store, ko);
    const log = join(tmp, "debuginfod-args.txt");
    writeFileSync(join(bin, "debuginfod-find"), `#!/bin/sh\necho "$@" >> ${log}\n[ "$2" = "${modId}" ] && echo ${store} && exit 0\necho "Server query failed: No such file or directory" >&2\nexit 1\n`, { mode: 0o755 });
    const [inc] = analyzeText(withIds(modId, VM_ID)).incidents;
    const saved = process.env["DEBUGINFOD_URLS"];
    process.env["DEBUGINFOD_URLS"] = "http://127.0.0.1:1";
    try {
      const s = await Symbolizer.create({ symbols: [], auto: false, debuginfod: true, path: `${bin}:${process.env["PATH"]}` });
      await s.symbolize([inc!]);
      await s.close();
      expect(inc!.ip).toMatchObject({ file: "drivers/misc/lkdtm/perms.c", line: 265 });
      expect(readFileSync(log, "utf8")).toContain(`debuginfo ${modId}`);
      expect(readFileSync(log, "utf8")).toContain(`debuginfo ${VM_ID}`);
      expect(s.diagnostics.map((d) => d.message).join("\n")).toMatch(/no debug info for build id eb4fbcd0.*\(vmlinux\)/);
    } finally {
      if (saved === undefined) delete process.env["DEBUGINFOD_URLS"];
      else process.env["DEBUGINFOD_URLS"] = saved;
    }
  });
});

describe("bare addresses (RIP: 0010:0x..., traces of a kernel without kallsyms)", () => {
  // ACCESS_NULL (panic_on_oops: the panic prints "Kernel Offset:") as a kernel
  // without kallsyms names would print it: %pB gives bare addresses.
  const bare = (): string =>
    readFileSync(join(ROOT, "corpora/x86_64/oops/lkdtm-ACCESS_NULL-panic_on_oops.log"), "utf8")
      .replace(/RIP: 0010:lkdtm_ACCESS_NULL\+0x14\/0x53 \[lkdtm\]/g, "RIP: 0010:0xffffffffc0a01c39")
      .replace(/^(\[[ 0-9.]+\] {1,2})(\? )?[A-Za-z_.$][A-Za-z0-9_.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[lkdtm\])?(\r?)$/gm, (_m, ts: string, q: string | undefined, cr: string) => `${ts}${q ?? ""}0xffffffff9f553f16${cr}`)
      .replace(/^(\[[ 0-9.]+\] )Kernel Offset: .*$/m, "$1Kernel Offset: 0x1e000000 from 0xffffffff81000000");

  it("are kept on the incident, and named through kallsyms, System.map and the KASLR offset", async () => {
    const [inc] = analyzeText(bare()).incidents;
    expect(inc!.ip).toBeNull();
    expect(inc!.kaslrOffset).toBe("0x1e000000");
    expect(inc!.unnamed?.ip).toBe("0xffffffffc0a01c39");
    expect(inc!.unnamed!.frames.length).toBeGreaterThan(3);
    const ks = join(tmp, "bare-kallsyms");
    writeFileSync(ks, "ffffffffc0a01c25 t lkdtm_ACCESS_NULL\t[lkdtm]\nffffffffc0a01c78 t lkdtm_ACCESS_USERSPACE\t[lkdtm]\n");
    const map = join(tmp, "System.map-6.1.0-56-amd64");
    writeFileSync(map, "ffffffff81553f00 t sysrq_handle_crash\nffffffff81553f20 t sysrq_handle_loglevel\n");
    const s = await Symbolizer.create({ symbols: [ks, map, X86_KO], auto: false });
    await s.symbolize([inc!]);
    await s.close();
    // kallsyms names the module address; the module's DWARF gives the line.
    expect(inc!.unnamed!.ipResolved).toEqual({ function: "lkdtm_ACCESS_NULL", offset: "0x14", module: "lkdtm", file: "drivers/misc/lkdtm/perms.c", line: 265 });
    // System.map after taking away the offset (names only: no vmlinux).
    expect(inc!.unnamed!.frames[0]!.resolved).toEqual({ function: "sysrq_handle_crash", offset: "0x16", module: null });
  });
});
