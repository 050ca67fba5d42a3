import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { runDmesg } from "../../src/cli/commands/dmesg.js";
import { readVmcoreFile } from "../../src/sources/vmcore.js";
import { runInfo } from "../../src/cli/commands/info.js";
import { bytes, ELF_EXPECTED_DMESG, ELF_FIXTURE, EXPECTED_DMESG, expectedDmesg, ZLIB_FIXTURE } from "./helpers.js";

const TMP = mkdtempSync(join(tmpdir(), "kpanic-vmcore-cli-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const DUMP = join(TMP, "dump.202611281906");
writeFileSync(DUMP, bytes(ZLIB_FIXTURE));

function capture(): { out: () => string; err: () => string } {
  let o = "";
  let e = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((o += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((e += String(s)), true));
  return { out: () => o, err: () => e };
}
afterEach(() => vi.restoreAllMocks());

describe("kpanic dmesg / info", () => {
  it("dmesg prints makedumpfile's format; --stats goes to stderr", async () => {
    const c = capture();
    expect(await runDmesg({ vmcore: DUMP, json: false, stats: true, quiet: false }, readVmcoreFile)).toBe(0);
    expect(c.out()).toBe(expectedDmesg());
    expect(c.err()).toMatch(/stats: read \d+ of \d+ bytes/);
  });

  it("dmesg and info on makedumpfile's ELF format (-E)", async () => {
    const elf = join(TMP, "vmcore-elf.202611282337");
    writeFileSync(elf, bytes(ELF_FIXTURE));
    const c = capture();
    expect(await runDmesg({ vmcore: elf, json: false, stats: true, quiet: false }, readVmcoreFile)).toBe(0);
    expect(c.out()).toBe(readFileSync(ELF_EXPECTED_DMESG, "latin1"));
    expect(c.err()).toMatch(/ELF64 vmcore/);
    const j = capture();
    expect(await runInfo({ vmcore: elf, json: true, stats: false, quiet: false })).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject({ format: "elf64", complete: true, release: "6.1.0-56-amd64", panic: "sysrq triggered crash" });
  });

  it("dmesg --json: one object per record", async () => {
    const c = capture();
    await runDmesg({ vmcore: DUMP, json: true, stats: false, quiet: false }, readVmcoreFile);
    const lines = c.out().trim().split("\n");
    expect(lines.length).toBe(423);
    expect(JSON.parse(lines[422]!)).toMatchObject({ seq: 422, caller: "T1", text: " </TASK>" });
  });

  it("info", async () => {
    const c = capture();
    expect(await runInfo({ vmcore: DUMP, json: false, stats: false, quiet: false })).toBe(0);
    expect(c.out()).toContain("release       6.1.0-56-amd64");
    expect(c.out()).toContain("panic         sysrq triggered crash");
    expect(c.out()).toContain("kernel offset 0x38800000");
    const j = capture();
    await runInfo({ vmcore: DUMP, json: true, stats: false, quiet: false });
    expect(JSON.parse(j.out())).toMatchObject({ format: "kdump-compressed", complete: true, dumpLevel: 31, task: { pid: 1 } });
  });

  it("info still describes a dump whose log is cut off", async () => {
    const cut = join(TMP, "cut");
    const b = bytes(ZLIB_FIXTURE);
    writeFileSync(cut, b.subarray(0, b.length - 20000));
    const c = capture();
    expect(await runInfo({ vmcore: cut, json: true, stats: false, quiet: false })).toBe(0);
    const r = JSON.parse(c.out()) as Record<string, unknown>;
    expect(r).toMatchObject({ release: "6.1.0-56-amd64", complete: false });
    // Either the log is unreadable (logError) or parts of the ring are missing (a warning): never silent.
    expect(`${String(r["logError"] ?? "")} ${JSON.stringify(r["diagnostics"])}`).toMatch(/past the end of the file|could not be read/);
    expect(c.err()).toMatch(/warning: .*ends early/);
  });

  it("exit 2 with a clear message for a text file and a missing file", async () => {
    const c = capture();
    expect(await runDmesg({ vmcore: EXPECTED_DMESG, json: false, stats: false, quiet: false }, readVmcoreFile)).toBe(2);
    expect(c.err()).toMatch(/not a vmcore/);
    expect(await runInfo({ vmcore: join(TMP, "nope"), json: false, stats: false, quiet: false })).toBe(2);
    expect(c.err()).toMatch(/no such file/);
  });
});
