/**
 * The pure half of symbolization: symbol tables, frame planning, addr2line
 * output, tree-relative paths, sym queries.
 */
import { describe, expect, it } from "vitest";
import { parseSymbolMap, SymbolTable, type SymbolEntry } from "../../src/symbolize/symtab.js";
import { formatSymAnswer, frameInfo, parseAddr2line, parseSymQuery, planFrame, treeRelative, type SymbolObject } from "../../src/symbolize/resolve.js";
import type { Frame } from "../../src/types.js";

function entry(name: string, address: bigint, size: number | null, span?: number, section: string | null = null): SymbolEntry {
  const e: SymbolEntry = { name, address, size, section, code: true };
  if (span !== undefined) e.span = span;
  return e;
}

function object(entries: SymbolEntry[], relocatable: boolean): SymbolObject {
  return {
    path: "/x",
    displayPath: "x",
    kind: relocatable ? "module" : "vmlinux",
    module: relocatable ? "m" : null,
    machine: "x86_64",
    release: null,
    buildId: null,
    relocatable,
    hasDebugInfo: true,
    table: new SymbolTable(entries, !relocatable),
  };
}

const frame = (fn: string, off: string, size: string | null, module: string | null = null): Frame => ({ function: fn, offset: off, size, module, reliable: true, context: null });

describe("symbol tables", () => {
  it("tells same-named static functions apart by size, as faddr2line does", () => {
    const t = new SymbolTable([entry("init_once", 0x1000n, 0x40), entry("init_once", 0x2000n, 0x90)], true);
    expect(t.lookupName("init_once", 0x90).matches.map((e) => e.address)).toEqual([0x2000n]);
    expect(t.lookupName("init_once", null).matches).toHaveLength(2);
  });

  it("accepts kallsyms sizes that count padding up to the next symbol, and flags real mismatches", () => {
    const t = new SymbolTable([entry("lkdtm_do_action", 0x0n, 0x38, 0x40, ".text")], false);
    expect(t.lookupName("lkdtm_do_action", 0x40).sizeMismatch).toBe(false);
    expect(t.lookupName("lkdtm_do_action", 0x20).sizeMismatch).toBe(true);
  });

  it("finds the function containing an address, not past its end", () => {
    const t = new SymbolTable([entry("a", 0x1000n, 0x10), entry("b", 0x1020n, 0x10)], true);
    expect(t.lookupAddress(0x1005n)).toMatchObject({ symbol: { name: "a" }, offset: 5n });
    expect(t.lookupAddress(0x1018n)).toBeNull();
    expect(t.lookupAddress(0xfffn)).toBeNull();
  });

  it("parses System.map and kallsyms (modules in brackets, sizes from the next symbol)", () => {
    const m = parseSymbolMap("ffffffff81000000 T _text\nffffffff81000100 t foo\nffffffff81000180 T bar\nffffffffc0001000 t mod_fn\t[my-mod]\nnot a symbol line\n");
    expect(m.badLines).toBe(1);
    expect(m.allZero).toBe(false);
    expect(m.table.lookupAddress(0xffffffff81000120n)).toMatchObject({ symbol: { name: "foo", size: 0x80 }, offset: 0x20n });
    expect(m.table.lookupAddress(0xffffffffc0001004n)?.symbol.module).toBe("my_mod");
    expect(parseSymbolMap("0000000000000000 T _text\n0000000000000000 t foo\n").allZero).toBe(true);
  });
});

describe("planning a frame", () => {
  const mod = object([entry("f", 0xc25n, 0x53, 0x53, ".text.unlikely")], true);
  it("goes through the function's start in its own section; exact for the faulting ip, addr-1 for return addresses", () => {
    expect(planFrame(frame("f", "0x14", "0x53", "m"), true, mod)).toMatchObject({ query: { section: ".text.unlikely", address: 0xc39n } });
    expect(planFrame(frame("f", "0x14", "0x53", "m"), false, mod)).toMatchObject({ query: { address: 0xc38n } });
    expect(planFrame(frame("f", "0x0", "0x53", "m"), false, mod)).toMatchObject({ query: { address: 0xc25n } });
  });
  it("says why a frame cannot be resolved", () => {
    expect(planFrame(frame("g", "0x1", "0x10"), false, mod)).toEqual({ unresolved: "g is not in x" });
    expect(planFrame(frame("f", "0x1", "0x10"), false, mod)).toMatchObject({ unresolved: expect.stringMatching(/different build/) });
    expect(planFrame(frame("f", "0x999", "0x53"), false, mod)).toMatchObject({ unresolved: expect.stringMatching(/past the end/) });
    expect(planFrame(frame("f", "0x1", "0x53", "other"), false, undefined)).toEqual({ unresolved: "no symbols for module other" });
  });
});

describe("addr2line output", () => {
  it("parses pretty-printed answers with inlined chains, discriminators and unknowns", () => {
    const out = [
      "0x00000000000014ad: __refcount_inc at /b/include/linux/refcount.h:250",
      " (inlined by) refcount_inc at /b/include/linux/refcount.h:267",
      " (inlined by) lkdtm_REFCOUNT_INC_OVERFLOW at /b/drivers/misc/lkdtm/refcount.c:37 (discriminator 2)",
      "0x0000000000000010: ?? ??:0",
      "0x20: ?? at ??:0",
      "",
    ].join("\n");
    const r = parseAddr2line(out);
    const locs = r.get(0x14adn)!;
    expect(locs).toHaveLength(3);
    const info = frameInfo(locs, (p) => treeRelative(p));
    expect(info).toEqual({
      file: "drivers/misc/lkdtm/refcount.c",
      line: 37,
      inlined: [
        { function: "__refcount_inc", file: "include/linux/refcount.h", line: 250 },
        { function: "refcount_inc", file: "include/linux/refcount.h", line: 267 },
      ],
    });
    expect(frameInfo(r.get(0x10n)!, (p) => p)).toBeNull();
    expect(frameInfo(r.get(0x20n)!, (p) => p)).toBeNull();
  });

  it("makes build paths tree-relative", () => {
    expect(treeRelative("/build/linux-6.1/drivers/tty/sysrq.c")).toBe("drivers/tty/sysrq.c");
    expect(treeRelative("debian/build/build_amd64_none_amd64/fs/read_write.c")).toBe("fs/read_write.c");
    expect(treeRelative("/x/headers/usr/src/linux-headers-6.1.0-56-common/include/linux/refcount.h")).toBe("include/linux/refcount.h");
    expect(treeRelative("kernel/panic.c")).toBe("kernel/panic.c");
    expect(treeRelative("/home/me/mymod/main.c")).toBe("/home/me/mymod/main.c");
    // With a source tree, the split whose file exists wins.
    expect(treeRelative("/home/me/kernel/linux/fs/ext4/super.c", (r) => r === "fs/ext4/super.c")).toBe("fs/ext4/super.c");
  });
});

describe("sym queries", () => {
  it("parses the forms users paste", () => {
    expect(parseSymQuery("sysrq_handle_crash+0x16")).toMatchObject({ kind: "symbol", function: "sysrq_handle_crash", offset: 0x16n });
    expect(parseSymQuery("sysrq_handle_crash+22")).toMatchObject({ offset: 22n });
    expect(parseSymQuery("lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm]")).toMatchObject({ size: 0x53n, module: "lkdtm" });
    expect(parseSymQuery("my-mod:f+0x1")).toMatchObject({ module: "my_mod" });
    expect(parseSymQuery("0xffffffff81553f16")).toEqual({ kind: "address", address: 0xffffffff81553f16n });
    expect(parseSymQuery("ffffffff81553f16")).toEqual({ kind: "address", address: 0xffffffff81553f16n });
    expect(parseSymQuery("f+")).toBeNull();
  });
  it("formats like crash's sym", () => {
    const base = { query: "sysrq_handle_crash+0x16", function: "sysrq_handle_crash", offset: 22, module: null, address: "0xffffffff81553f16", file: "drivers/tty/sysrq.c", line: 155, inlined: [], error: null };
    expect(formatSymAnswer(base)).toBe("sysrq_handle_crash+22 drivers/tty/sysrq.c: 155");
    expect(formatSymAnswer({ ...base, query: "0xffffffff81553f16" })).toBe("ffffffff81553f16 sysrq_handle_crash+22 drivers/tty/sysrq.c: 155");
    expect(formatSymAnswer({ ...base, error: "nope" })).toBe("sysrq_handle_crash+0x16: nope");
  });
});
