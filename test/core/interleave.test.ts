/**
 * Two tasks oopsing at once with CONFIG_PRINTK_CALLER: their lines interleave
 * line by line, and each line is routed to its task's report. Built from two
 * real corpus reports (a NULL-pointer Oops from `sh` and a refcount WARNING),
 * tagged [  T98] and [ T112] as the kernel tags them, and merged.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText, type Incident } from "../../src/index.js";
import { ROOT } from "../corpus.js";

/** The lines from first to last incident line of a corpus log, caller id added after the timestamp. */
function report(rel: string, caller: string): string[] {
  const text = readFileSync(join(ROOT, rel), "utf8").replace(/\r/g, "");
  const [inc] = analyzeText(text).incidents;
  return text
    .split("\n")
    .slice(inc!.source.startLine - 1, inc!.source.endLine)
    .map((l) => l.replace(/^(\[ {0,4}[0-9]{1,5}\.[0-9]{6}\])/, `$1[${caller}]`));
}

const essentials = (i: Incident) => ({ title: i.title, guilty: i.guilty, ip: i.ip?.function ?? null, frames: i.frames.map((f) => f.function), task: i.task.comm });

describe("interleaved reports of two tasks (caller ids)", () => {
  const a = report("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log", "  T98");
  const b = report("corpora/x86_64/warning/lkdtm-REFCOUNT_INC_OVERFLOW.log", " T112");
  const alone = [...analyzeText(a.join("\n")).incidents, ...analyzeText(b.join("\n")).incidents].map(essentials);

  it("each report keeps its own frames, title and task when they alternate line by line", () => {
    const mixed: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) mixed.push(a[i]!);
      if (i < b.length) mixed.push(b[i]!);
    }
    const got = analyzeText(mixed.join("\n")).incidents.map(essentials);
    expect(got.sort((x, y) => x.title.localeCompare(y.title))).toEqual([...alone].sort((x, y) => x.title.localeCompare(y.title)));
  });

  it("and when the second starts in the middle of the first's stack", () => {
    const cut = a.findIndex((l) => l.includes("Call Trace:")) + 3;
    const mixed = [...a.slice(0, cut), ...b.slice(0, 12), ...a.slice(cut), ...b.slice(12)];
    const got = analyzeText(mixed.join("\n")).incidents.map(essentials);
    expect(got.sort((x, y) => x.title.localeCompare(y.title))).toEqual([...alone].sort((x, y) => x.title.localeCompare(y.title)));
  });
});

describe("interleaved reports without caller ids", () => {
  it("a report whose stack has not come when another begins is marked corrupted, and so is the other", () => {
    const a = report("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log", "").map((l) => l.replace("[]", ""));
    const b = report("corpora/x86_64/warning/lkdtm-REFCOUNT_INC_OVERFLOW.log", "").map((l) => l.replace("[]", ""));
    // The WARNING starts right after the Oops's CPU: line, before any of its frames.
    const at = a.findIndex((l) => l.includes(" Comm: ")) + 1;
    const mixed = [...a.slice(0, at), ...b, ...a.slice(at)];
    const got = analyzeText(mixed.join("\n")).incidents;
    const first = got.find((i) => i.class === "oops")!;
    const second = got.find((i) => i.class === "warning")!;
    expect(first).toMatchObject({ corrupted: true, corruptedReason: "interleaved-report" });
    expect(second).toMatchObject({ corrupted: true, corruptedReason: "interleaved-report" });
  });

  it("reports one after the other are not", () => {
    const a = report("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log", "").map((l) => l.replace("[]", ""));
    const b = report("corpora/x86_64/warning/lkdtm-REFCOUNT_INC_OVERFLOW.log", "").map((l) => l.replace("[]", ""));
    const got = analyzeText([...a, ...b].join("\n")).incidents;
    expect(got.map((i) => i.corrupted)).toEqual([false, false]);
  });
});

describe("another task's register dump inside a report (no caller ids)", () => {
  it("a second CPU: line of another PID before the stack marks the report corrupted and nothing after it is taken", () => {
    const a = report("corpora/x86_64/oops/lkdtm-ACCESS_NULL.log", "").map((l) => l.replace("[]", ""));
    const b = report("corpora/x86_64/warning/lkdtm-REFCOUNT_INC_OVERFLOW.log", "").map((l) => l.replace("[]", ""));
    const at = a.findIndex((l) => l.includes("Call Trace:")) + 1;
    // b's register dump and stack without its header lines (as when the console lost them), another PID.
    const bBody = b.filter((l) => !/WARNING:|refcount_t:/.test(l)).map((l) => l.replace(/PID: [0-9]+/, "PID: 4242"));
    const got = analyzeText([...a.slice(0, at), ...bBody, ...a.slice(at)].join("\n")).incidents;
    const oops = got.find((i) => i.class === "oops")!;
    expect(oops).toMatchObject({ corrupted: true, corruptedReason: "interleaved-report" });
    expect(oops.frames.map((f) => f.function)).not.toContain("lkdtm_REFCOUNT_INC_OVERFLOW");
  });
});

describe("RCU stall task dumps", () => {
  it("'Task dump for CPU N:' (s390x, arm64) stays inside the stall report as a per-CPU stack", () => {
    const text = readFileSync(join(ROOT, "corpora/s390x/lockup/lkdtm-HARDLOCKUP-rcu_stall_panic.log"), "utf8");
    const [inc] = analyzeText(text).incidents;
    expect(inc!.title).toBe("INFO: rcu detected stall in tick_sched_timer");
    expect(inc!.text.some((l) => l.includes("Task dump for CPU 0:"))).toBe(true);
    expect(inc!.fatal).toBe(true);
  });
});

describe("a WARNING the stall detector hits while it prints", () => {
  it("is absorbed by the RCU stall report it interrupts (before the stall's stack), as syzbot reads it", () => {
    const stall = report("corpora/x86_64/lockup/lkdtm-HARDLOCKUP-rcu_stall_panic.log", "").map((l) => l.replace("[]", ""));
    const warn = report("corpora/x86_64/warning/lkdtm-WARNING.log", "").map((l) => l.replace("[]", ""));
    // The WARNING's lines right after the stall's header line.
    const got = analyzeText([stall[0]!, ...warn, ...stall.slice(1)].join("\n")).incidents;
    expect(got.map((i) => i.class)).toEqual(["stall"]);
    expect(got[0]!.text.some((l) => l.includes("WARNING: CPU:"))).toBe(true);
    // Without the stall header first, the WARNING is its own incident.
    expect(analyzeText(warn.join("\n")).incidents.map((i) => i.class)).toEqual(["warning"]);
  });
});
