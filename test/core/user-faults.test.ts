/**
 * User-space faults (opt-in, class `other`) on the real lab samples of
 * corpora/{x86_64,arm64}/user: crashme run three times per mode in the guest.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeText } from "../../src/index.js";
import { ROOT } from "../corpus.js";

const read = (rel: string) => readFileSync(join(ROOT, rel), "utf8");
const summary = (rel: string) =>
  analyzeText(read(rel), { includeOptIn: true }).incidents.map((i) => ({ class: i.class, kind: i.kind, title: i.title, pid: i.task.pid, fault: i.fault?.summary ?? null }));

describe("user-space faults", () => {
  it("x86_64 segfaults: the page-fault error code decoded, one incident per run (the dmesg replay reported once)", () => {
    expect(summary("corpora/x86_64/user/user-segv-null-write.log")).toEqual(
      [98, 99, 100].map((pid) => ({ class: "other", kind: "user-segfault", title: "user segfault in crashme", pid, fault: "write to a not-present page in user mode at 0x0" })),
    );
    expect(summary("corpora/x86_64/user/user-segv-exec.log")[0]!.fault).toBe("instruction fetch from a not-present page in user mode at 0x0");
  });

  it("x86_64 traps: general protection fault, divide error, int3, invalid opcode", () => {
    expect(summary("corpora/x86_64/user/user-gpf.log")[0]!.title).toBe("user general protection fault in crashme");
    expect(summary("corpora/x86_64/user/user-div0.log")[0]!.title).toBe("user trap: divide error in crashme");
    expect(summary("corpora/x86_64/user/user-int3.log")[0]!.title).toBe("user trap: int3 in crashme");
    expect(summary("corpora/x86_64/user/user-ud2.log")[0]!.title).toBe("user trap: invalid opcode in crashme");
  });

  it("arm64 (debug.exception-trace=1): the ESR decoded; the register dump stays with it", () => {
    const [r] = analyzeText(read("corpora/arm64/user/user-segv-null-read-exception_trace.log"), { includeOptIn: true }).incidents;
    expect(r).toMatchObject({ class: "other", title: "user exception: level 2 translation fault in crashme", task: { pid: 96, comm: "crashme", cpu: 1 } });
    expect(r!.fault?.esr).toMatchObject({ value: "0x0000000092000006" });
    expect(r!.fault?.summary).toBe("data abort from lower EL: read, level 2 translation fault");
    expect(summary("corpora/arm64/user/user-undef-exception_trace.log")[0]!.title).toBe("user exception: undefined instruction in crashme");
    expect(summary("corpora/arm64/user/user-brk-exception_trace.log")[0]!.title).toBe("user exception: User debug trap in crashme");
  });

  it("nothing where the kernel printed nothing (SIGABRT, arm64 without exception-trace, arm64 division by zero)", () => {
    for (const rel of ["corpora/x86_64/user/user-abort.log", "corpora/arm64/user/user-abort.log", "corpora/arm64/user/user-segv-null-read.log", "corpora/arm64/user/user-div0-exception_trace.log", "corpora/x86_64/user/user-segv-null-read-no_exception_trace.log"]) {
      expect(summary(rel), rel).toEqual([]);
    }
  });

  it("are off by default, and never swallow the kernel's panic (init killed by a segfault)", () => {
    expect(analyzeText(read("corpora/x86_64/user/user-segv-null-read.log")).incidents).toEqual([]);
    const rel = "corpora/x86_64/user/user-init-segv-null-read-kill-init.log";
    expect(analyzeText(read(rel)).incidents.map((i) => i.title)).toEqual(["kernel panic: Attempted to kill init!"]);
    expect(summary(rel).map((i) => i.title)).toEqual(["user segfault in crashme", "kernel panic: Attempted to kill init!"]);
  });
});
