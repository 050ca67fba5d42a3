/**
 * Input formats: the same real log rewritten as each format (SYNTHETIC
 * wrappers around real kernel lines from the corpus) gives the same incidents.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText } from "../../src/index.js";
import { detectFormat, normalizerFor } from "../../src/records/formats.js";
import { ROOT } from "../corpus.js";

const plain = readFileSync(join(ROOT, "corpora/x86_64/oops/lkdtm-ACCESS_NULL-panic_on_oops.log"), "utf8")
  .split(/\r?\n/)
  .filter((l) => /^\[ {0,12}\d+\.\d+\] /.test(l));
const TS = /^\[ {0,12}(\d+)\.(\d+)\] (.*)$/;
const parts = (l: string) => {
  const m = TS.exec(l)!;
  return { sec: Number(m[1]), usec: Number(m[2]), msg: m[3]! };
};
const shape = (text: string, opts = {}) =>
  analyzeText(text, opts).incidents.map((i) => ({ title: i.title, guilty: i.guilty, fatal: i.fatal, frames: i.frames.map((f) => f.function), task: i.task }));
const want = shape(plain.join("\n") + "\n");

const variants: Record<string, string> = {
  "dmesg-ctime": plain.map((l) => `[Sat Nov 28 19:0${Math.min(9, parts(l).sec)}:00 2026] ${parts(l).msg}`).join("\n"),
  "dmesg-iso": plain.map((l) => `2026-11-28T19:06:0${Math.min(9, parts(l).sec)},000000+00:00 ${parts(l).msg}`).join("\n"),
  "dmesg-decode": plain.map((l) => `kern  :warn  : ${l}`).join("\n"),
  kmsg: plain.map((l, i) => `4,${i},${parts(l).sec * 1e6 + parts(l).usec},-;${parts(l).msg}\n SUBSYSTEM=none`).join("\n"),
  syslog: plain.flatMap((l, i) => [`Nov 28 19:06:0${i % 10} box kernel: ${l}`, `Nov 28 19:06:0${i % 10} box systemd[1]: BUG: not a kernel line ${i}`]).join("\n"),
  "journal-short": plain.map((l) => `[${TS.exec(l)![0].slice(1, TS.exec(l)![0].indexOf("]"))}] box kernel: ${parts(l).msg}`).join("\n"),
  "journal-json": plain
    .map((l) => JSON.stringify({ MESSAGE: parts(l).msg, _TRANSPORT: "kernel", _SOURCE_MONOTONIC_TIMESTAMP: String(parts(l).sec * 1e6 + parts(l).usec), _BOOT_ID: "b", _HOSTNAME: "box", PRIORITY: "4" }))
    .join("\n"),
};

describe("input formats", () => {
  it("the plain log has the expected incident", () => {
    expect(want.map((w) => w.title)).toEqual(["BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL"]);
  });
  for (const [format, text] of Object.entries(variants)) {
    it(`${format}: detected, and the same incident as plain dmesg`, () => {
      expect(detectFormat(text)).toBe(format === "journal-short" ? "journal-short" : format);
      const r = analyzeText(text + "\n");
      expect(r.diagnostics.find((d) => d.code === "input-format")?.message).toContain(`read as ${format}`);
      expect(shape(text + "\n")).toEqual(want);
      expect(shape(text + "\n", { inputFormat: format })).toEqual(want);
    });
  }
  it("syslog keeps only kernel lines, and only the --host asked for", () => {
    const mixed = `${variants["syslog"]}\n${plain.map((l) => `Nov 28 19:07:00 other kernel: ${l}`).join("\n")}\n`;
    expect(analyzeText(mixed).incidents).toHaveLength(1);
    expect(analyzeText(mixed, { host: "other" }).incidents).toHaveLength(1);
    expect(analyzeText(mixed, { host: "nohost" }).incidents).toHaveLength(0);
    const n = normalizerFor("syslog");
    expect(n("Nov 28 19:06:00 box sshd[123]: BUG: x", 1)).toBeNull();
    expect(n("Nov 28 19:06:00 box kernel: [   90.192379] BUG: x", 1)).toMatchObject({ text: "BUG: x", time: 90.192379, host: "box" });
    expect(n("<4>1 2026-11-28T19:06:00.1Z box kernel - - - BUG: y", 1)).toMatchObject({ text: "BUG: y", level: 4, facility: 0, wallTime: "2026-11-28T19:06:00.1Z" });
  });
  it("kmsg: level, facility, sequence, microseconds, caller, escaped bytes; continuation lines skipped", () => {
    const n = normalizerFor("kmsg");
    expect(n("6,339,5140900,-,caller=T123;hello\\x20world", 7)).toMatchObject({ text: "hello world", level: 6, facility: 0, seq: 339, time: 5.1409, caller: "T123" });
    expect(n(" SUBSYSTEM=pci", 8)).toBeNull();
  });
  it("journal json: byte-array MESSAGE, null MESSAGE, non-kernel transport", () => {
    const n = normalizerFor("journal-json");
    expect(n(JSON.stringify({ MESSAGE: [66, 85, 71], _TRANSPORT: "kernel" }), 1)).toMatchObject({ text: "BUG" });
    expect(n(JSON.stringify({ MESSAGE: null, _TRANSPORT: "kernel" }), 1)).toBeNull();
    expect(n(JSON.stringify({ MESSAGE: "BUG: x", _TRANSPORT: "syslog" }), 1)).toBeNull();
  });
  it("dmesg -T wall clock is flagged approximate, and RFC 3164 syslog's (no year); RFC 3339 syslog's is not", () => {
    expect(analyzeText(variants["dmesg-ctime"]! + "\n").incidents[0]!.time).toMatchObject({ wallClock: expect.stringMatching(/^2026-11-28T19:0/), approximate: true });
    const t = analyzeText(variants["syslog"]! + "\n").incidents[0]!.time;
    expect(t.wallClock).toMatch(/-11-28T19:06:0/);
    expect(t.approximate).toBe(true);
    const iso = analyzeText("2026-11-28T19:06:02.123456+00:00 lab kernel: Kernel panic - not syncing: sysrq triggered crash\n").incidents[0]!.time;
    expect(iso).toMatchObject({ wallClock: "2026-11-28T19:06:02.123456+00:00" });
    expect(iso.approximate).toBeUndefined();
  });

  it("plain dmesg and serial captures stay plain", () => {
    expect(detectFormat(plain.join("\n"))).toBe("dmesg");
    expect(detectFormat(readFileSync(join(ROOT, "corpora/x86_64/panic/sysrq-c.log"), "utf8"))).toBe("dmesg");
  });

  it("a grepped dmesg whose lines look like 'host ident:' is still dmesg (journald's kernel lines say kernel:)", () => {
    const edac = readFileSync(join(ROOT, "corpora/x86_64/hardware/edac-ce-repeated.log"), "utf8").split("\n").filter((l) => l.includes("EDAC MC0:"));
    expect(edac.length).toBeGreaterThan(1);
    expect(detectFormat(edac.join("\n"))).toBe("dmesg");
    expect(detectFormat("[    1.100000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n[    1.200000] usb 1-1: New USB device found\n")).toBe("dmesg");
  });
});

describe("util-linux dmesg --json", () => {
  const t = (l: string) => (parts(l).sec + parts(l).usec / 1e6).toFixed(6).padStart(12);
  it("one field a line, as util-linux 2.38 prints it", () => {
    const recs = plain.map((l) => [`         "pri": 4,`, `         "time": ${t(l)},`, `         "msg": ${JSON.stringify(parts(l).msg)}`].join("\n"));
    const text = ["{", '   "dmesg": [', "      {", recs.join("\n      },{\n"), "      }", "   ]", "}"].join("\n") + "\n";
    expect(detectFormat(text)).toBe("dmesg-json");
    expect(shape(text)).toEqual(want);
    const r = analyzeText(text).incidents[0]!;
    expect(r.time.uptime).toBeGreaterThan(0);
  });
  it("one record a line", () => {
    const lines = plain.map((l) => `      {"pri": 4, "time": ${t(l)}, "msg": ${JSON.stringify(parts(l).msg)}},`);
    const text = ["{", '   "dmesg": [', ...lines, "   ]", "}"].join("\n") + "\n";
    expect(detectFormat(text)).toBe("dmesg-json");
    expect(shape(text)).toEqual(want);
  });
});
