/**
 * One boot of a real Debian bookworm userland (systemd 252, rsyslog 8.2302,
 * util-linux 2.38) on the corpus kernel, a WARNING and an Oops provoked in it,
 * and its kernel log exported 17 ways (corpora/journal/systemd-WARNING-ACCESS_NULL.*,
 * made by corpora/generate/systemd-guest.sh): every format gives the same
 * incidents, and those equal the plain corpus logs' of the same crashes.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText, type Incident } from "../../src/index.js";
import { ROOT } from "../corpus.js";

const DIR = join(ROOT, "corpora/journal");
const files = readdirSync(DIR).filter((f) => f.startsWith("systemd-WARNING-ACCESS_NULL.") && !f.endsWith(".json"));
const shape = (i: Incident) => ({ title: i.title, fingerprint: i.fingerprint, frames: i.frames.map((f) => f.function), task: i.task.comm, pid: i.task.pid });

describe("real journald, syslog, dmesg and kmsg captures of one boot", () => {
  it("holds all the formats", () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });
  const ref = analyzeText(readFileSync(join(DIR, "systemd-WARNING-ACCESS_NULL.dmesg"))).incidents.map(shape);
  it("the plain dmesg has the WARNING and the Oops", () => {
    expect(ref.map((i) => i.title)).toEqual(["WARNING in lkdtm_WARNING", "BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL"]);
  });
  for (const f of files) {
    it(`${f} gives the same incidents`, () => {
      expect(analyzeText(readFileSync(join(DIR, f))).incidents.map(shape)).toEqual(ref);
    });
  }
  it("the same crashes as the corpus's own lkdtm-WARNING and lkdtm-ACCESS_NULL logs (fingerprints)", () => {
    const fp = (rel: string) => analyzeText(readFileSync(join(ROOT, rel))).incidents[0]!.fingerprint;
    expect(ref.map((i) => i.fingerprint)).toEqual([fp("corpora/x86_64/warning/lkdtm-WARNING.log"), fp("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log")]);
  });
  it("journald's and syslog's wall clocks reach the incidents; --host filters syslog", () => {
    for (const f of ["systemd-WARNING-ACCESS_NULL.export", "systemd-WARNING-ACCESS_NULL.jsonl", "systemd-WARNING-ACCESS_NULL.kern.log", "systemd-WARNING-ACCESS_NULL.short-iso.log"]) {
      const [w] = analyzeText(readFileSync(join(DIR, f))).incidents;
      expect(w!.time.wallClock, f).toMatch(/^2026-11-28T/);
    }
    expect(analyzeText(readFileSync(join(DIR, "systemd-WARNING-ACCESS_NULL.kern.log")), { host: "other" }).incidents).toEqual([]);
  });
});
