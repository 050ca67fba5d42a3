import { describe, expect, it } from "vitest";
import { crashkernelFromCmdline, evaluateSpec, parseCrashkernel, pointAt } from "../../src/kdump/spec.js";
import { GiB, MiB } from "../../src/kdump/units.js";

const BAD = "crashkernel=1G-4G:192M,2G-64G:256M,4G-64G:256M,64G-256G:512M,256G-1024:1G";

describe("parseCrashkernel: the widely copied malformed example", () => {
  const r = parseCrashkernel(BAD);
  const errors = r.problems.filter((p) => p.severity === "error");

  it("is rejected", () => {
    expect(r.valid).toBe(false);
    expect(errors).toHaveLength(2);
  });

  it("the last range ends at 1024 bytes, below its start: almost certainly 1024G", () => {
    const e = errors.find((p) => p.message.includes("256G-1024"))!;
    expect(e.pos).toBe(BAD.indexOf("1024:"));
    expect(e.length).toBe(4);
    expect(e.message).toContain("has no unit, i.e. 1024 bytes");
    expect(e.message).toContain("below its start 256G");
    expect(e.message).toContain("did you mean 1024G?");
  });

  it("2G-64G overlaps both 1G-4G and 4G-64G", () => {
    const e = errors.find((p) => p.message.includes("overlaps"))!;
    expect(e.pos).toBe(BAD.indexOf("2G-64G"));
    expect(e.message).toContain("range 2G-64G overlaps 1G-4G and 4G-64G");
    expect(errors.filter((p) => p.message.includes("overlaps"))).toHaveLength(1);
  });

  it("points at the column", () => {
    const e = errors.find((p) => p.message.includes("256G-1024"))!;
    const [line, caret] = pointAt(BAD, e, "").split("\n");
    expect(line).toBe(BAD);
    expect(caret).toBe(`${" ".repeat(BAD.indexOf("1024:"))}^^^^`);
  });

  it("what the kernel still does with it: silently takes 2G-64G below 64G, rejects everything from 256G", () => {
    expect(evaluateSpec(r.spec!, 16 * GiB)).toMatchObject({ size: 256 * MiB, rangeIndex: 1 });
    expect(evaluateSpec(r.spec!, 128 * GiB)).toMatchObject({ size: 512 * MiB, rangeIndex: 3 });
    const big = evaluateSpec(r.spec!, 512 * GiB);
    expect(big.size).toBe(0);
    expect(big.problems[0]).toContain("reserves nothing");
  });

  it("the fixed version is valid", () => {
    const ok = parseCrashkernel("crashkernel=1G-4G:192M,4G-64G:256M,64G-256G:512M,256G-1024G:1G");
    expect(ok.valid).toBe(true);
    expect(ok.problems.map((p) => p.severity)).toEqual(["warning"]); // nothing covers 1024G and more
    expect(ok.problems[0]!.message).toContain("no range covers 1T of RAM or more");
  });
});

describe("parseCrashkernel: syntax", () => {
  it("simple size and offset", () => {
    expect(parseCrashkernel("512M").spec).toEqual({ kind: "simple", size: 512 * MiB, offset: null });
    expect(parseCrashkernel("crashkernel=256M@16M").spec).toEqual({ kind: "simple", size: 256 * MiB, offset: 16 * MiB });
    expect(parseCrashkernel("256M@16M").valueStart).toBe(0);
    expect(parseCrashkernel("crashkernel=256M").valueStart).toBe(12);
  });

  it(",high ,low ,cma", () => {
    expect(parseCrashkernel("1G,high").spec).toEqual({ kind: "high", size: GiB });
    expect(parseCrashkernel("256M,low").spec).toEqual({ kind: "low", size: 256 * MiB });
    expect(parseCrashkernel("1G,cma").spec).toEqual({ kind: "cma", size: GiB });
  });

  it("a range list with an open end and an offset", () => {
    const r = parseCrashkernel("1G-4G:192M,4G-64G:256M,64G-:512M@16M");
    expect(r.valid).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.spec).toMatchObject({ kind: "ranges", offset: 16 * MiB });
    if (r.spec?.kind !== "ranges") throw new Error("ranges");
    expect(r.spec.ranges.map((x) => [x.text, x.start, x.end, x.size])).toEqual([
      ["1G-4G:192M", GiB, 4 * GiB, 192 * MiB],
      ["4G-64G:256M", 4 * GiB, 64 * GiB, 256 * MiB],
      ["64G-:512M", 64 * GiB, null, 512 * MiB],
    ]);
  });

  it.each([
    ["", 0, "empty"],
    ["abc", 0, "memory value expected"],
    ["512X", 3, "unexpected 'X'"],
    ["512M,hig", 5, "high, low or cma"],
    ["512M,highx", 9, "after \",high\""],
    ["512M@", 5, "offset after '@'"],
    ["1G-4G192M,4G-:1G", 5, "':' expected"],
    ["1G-4G192M", 2, "a range needs"],
    ["1G:192M", 2, "'-' expected"],
    ["1G-4G:", 6, "size: memory value expected"],
    ["1G-4G:192M;4G-:256M", 10, "unexpected ';'"],
    ["1G-:256M,high", 8, "cannot follow a range list"],
    ["4G-1G:256M", 3, "below its start 4G"],
    ["4G-4G:256M", 3, "equal to its start"],
    ["1G-4G:192M,", 11, "range start: memory value expected"],
    ["256M 512M", 4, "space"],
    ["crashkernel=auto", 12, "RHEL 7/8 kernel extension"],
  ])("rejects %j at index %i (%s)", (spec, pos, msg) => {
    const r = parseCrashkernel(spec);
    expect(r.valid).toBe(false);
    const e = r.problems.find((p) => p.severity === "error")!;
    expect(e.message).toContain(msg);
    expect(e.pos).toBe(pos);
  });

  it("warns about gaps, unit-less sizes and octal", () => {
    const gap = parseCrashkernel("1G-4G:192M,8G-:256M");
    expect(gap.valid).toBe(true);
    expect(gap.problems[0]!.message).toContain("no range covers RAM from 4G to 8G");
    const bytes = parseCrashkernel("256");
    expect(bytes.valid).toBe(true);
    expect(bytes.problems[0]!.message).toContain("did you mean 256M?");
    expect(parseCrashkernel("0256M").problems[0]!.message).toContain("octal");
    expect(parseCrashkernel("0x10000000").problems).toEqual([]);
  });

  it("two overlapping ranges: one error on the later one", () => {
    const r = parseCrashkernel("1G-8G:192M,4G-:256M");
    expect(r.problems.filter((p) => p.severity === "error").map((p) => [p.pos, p.message.slice(0, 28)])).toEqual([[11, "range 4G- overlaps 1G-8G (th"]]);
  });
});

describe("evaluateSpec: which size applies", () => {
  const spec = parseCrashkernel("1G-4G:192M,4G-64G:256M,64G-:512M").spec!;
  it.each([
    [512 * MiB, 0, null],
    [2 * GiB, 192 * MiB, 0],
    [16 * GiB, 256 * MiB, 1],
    [64 * GiB, 512 * MiB, 2],
    [2048 * GiB, 512 * MiB, 2],
  ])("RAM %d → %d (range %s)", (ram, size, idx) => {
    const e = evaluateSpec(spec, ram);
    expect(e.size).toBe(size);
    expect(e.rangeIndex).toBe(idx);
  });

  it("compares with RAM rounded up to 128 MB (start inclusive, end exclusive)", () => {
    // 4G minus a little firmware memory rounds up to 4G, so the second range applies
    const e = evaluateSpec(spec, 4 * GiB - 50 * MiB);
    expect(e.totalMem).toBe(4 * GiB);
    expect(e.rangeIndex).toBe(1);
  });

  it("nothing below the first range", () => {
    expect(evaluateSpec(spec, 768 * MiB).problems[0]).toContain("nothing is reserved");
    // with 512M of RAM the kernel reaches 64G-:512M, whose size is not below the RAM: -EINVAL
    expect(evaluateSpec(spec, 512 * MiB).problems[0]).toContain("invalid size");
  });

  it("a size not below the RAM is rejected by the kernel", () => {
    expect(evaluateSpec(parseCrashkernel("0-:1G").spec!, 768 * MiB).problems[0]).toContain("invalid size");
    expect(evaluateSpec(parseCrashkernel("2G").spec!, GiB).problems[0]).toContain("not below the RAM size");
  });
});

describe("crashkernelFromCmdline", () => {
  it("the last plain value wins, as in the kernel", () => {
    expect(crashkernelFromCmdline("ro crashkernel=256M quiet crashkernel=512M").main).toBe("crashkernel=512M");
    expect(crashkernelFromCmdline("ro crashkernel=1G,high crashkernel=256M,low").main).toBe("crashkernel=1G,high");
    expect(crashkernelFromCmdline("ro quiet").main).toBeNull();
  });
});
