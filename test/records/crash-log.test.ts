/**
 * crash's `log` command output, in its four real shapes (corpora/kdump/crash:
 * `log`, `log -T` with the zone in the stamp, `log -m` with the level after
 * the stamp, `log -t` without stamps), gives the one incident of that dump.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText } from "../../src/index.js";
import { ROOT } from "../corpus.js";

const read = (o: string) => analyzeText(readFileSync(join(ROOT, `corpora/kdump/crash/crash-log${o}.log`), "utf8"));

describe("crash> log output", () => {
  const plain = read("").incidents;
  it("the plain log has the sysrq panic", () => {
    expect(plain.map((i) => i.title)).toEqual(["kernel panic: sysrq triggered crash"]);
  });
  for (const o of ["-T", "-m", "-t"]) {
    it(`log ${o} gives the same incident (title, frames, fingerprint)`, () => {
      const got = read(o).incidents;
      expect(got.map((i) => [i.title, i.fingerprint, i.frames.map((f) => f.function)])).toEqual(plain.map((i) => [i.title, i.fingerprint, i.frames.map((f) => f.function)]));
    });
  }
  it("log -T keeps the wall clock (UTC), log -m the level", () => {
    expect(read("-T").incidents[0]!.time).toMatchObject({ wallClock: "2026-11-28T19:06:02Z", approximate: true });
    const r = analyzeText("[    8.663679] <0>Kernel panic - not syncing: sysrq triggered crash\n");
    expect(r.incidents[0]!.headline).toBe("Kernel panic - not syncing: sysrq triggered crash");
  });
});
