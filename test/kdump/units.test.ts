import { describe, expect, it } from "vitest";
import { formatMB, GiB, human, kernelSize, memparse, MiB, parseUserSize, TiB } from "../../src/kdump/units.js";

describe("parseUserSize", () => {
  it.each([
    ["512M", 512 * MiB],
    ["2T", 2 * TiB],
    ["1.5G", 1.5 * GiB],
    ["4096", 4096],
    ["16GiB", 16 * GiB],
    ["16gb", 16 * GiB],
    ["64k", 64 * 1024],
  ])("%s", (s, n) => expect(parseUserSize(s)).toBe(n));
  it.each(["", "G", "-1G", "1..5G", "12X", "0", "1.5.5G", "2 T B"])("rejects %j", (s) => expect(parseUserSize(s)).toBeNull());
});

describe("memparse (the kernel's)", () => {
  it("reads digits and a suffix", () => {
    expect(memparse("256M@16M", 0)).toEqual({ value: 256 * MiB, end: 4, octal: false, unitless: false });
    expect(memparse("1G-4G", 3)).toEqual({ value: 4 * GiB, end: 5, octal: false, unitless: false });
  });
  it("no suffix means bytes", () => expect(memparse("1024:1G", 0)).toEqual({ value: 1024, end: 4, octal: false, unitless: true }));
  it("C base 0: hex and octal", () => {
    expect(memparse("0x10000000", 0)?.value).toBe(256 * MiB);
    expect(memparse("010M", 0)).toEqual({ value: 8 * MiB, end: 4, octal: true, unitless: false });
    expect(memparse("0", 0)).toEqual({ value: 0, end: 1, octal: false, unitless: true });
  });
  it("lower-case suffixes and T/P/E", () => {
    expect(memparse("2t", 0)?.value).toBe(2 * TiB);
    expect(memparse("1p", 0)?.value).toBe(1024 * TiB);
  });
  it("null without digits", () => {
    expect(memparse("M", 0)).toBeNull();
    expect(memparse("", 0)).toBeNull();
    expect(memparse("1G-", 3)).toBeNull();
  });
});

describe("formatting", () => {
  it("formatMB", () => {
    expect(formatMB(2048 * MiB)).toBe("2048 MB (2 GB)");
    expect(formatMB(1825 * MiB)).toBe("1825 MB");
  });
  it("kernelSize and human", () => {
    expect(kernelSize(2 * GiB)).toBe("2G");
    expect(kernelSize(1825 * MiB)).toBe("1825M");
    expect(kernelSize(1000)).toBe("1000");
    expect(human(1.5 * GiB)).toBe("1.5 GB");
    expect(human(2 * TiB)).toBe("2 TB");
  });
});
