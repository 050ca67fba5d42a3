/**
 * The state machine on small SYNTHETIC logs: each is a real report's shape cut
 * down to the lines a behaviour depends on (real logs are in corpora/).
 */
import { describe, expect, it } from "vitest";
import { analyzeText, createAnalyzer, type Incident } from "../../src/index.js";

const ts = (s: number) => `[${s.toFixed(6).padStart(12)}]`;
const log = (lines: [number, string][]) => lines.map(([t, l]) => `${ts(t)} ${l}`).join("\n") + "\n";

const oops = (t: number, fn = "lkdtm_ACCESS_NULL"): [number, string][] => [
  [t, "BUG: kernel NULL pointer dereference, address: 0000000000000000"],
  [t, "#PF: supervisor read access in kernel mode"],
  [t, "#PF: error_code(0x0000) - not-present page"],
  [t, "Oops: 0000 [#1] PREEMPT SMP NOPTI"],
  [t, "CPU: 1 PID: 98 Comm: sh Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2"],
  [t, `RIP: 0010:${fn}+0x14/0x53 [lkdtm]`],
  [t, "Call Trace:"],
  [t, " <TASK>"],
  [t, " direct_entry.cold+0x18/0x24 [lkdtm]"],
  [t, " ? exit_to_user_mode_prepare+0x44/0x240"],
  [t, " entry_SYSCALL_64_after_hwframe+0x6e/0xd8"],
  [t, " </TASK>"],
  [t, "Modules linked in: lkdtm(OE) aaa bbb(E)"],
  [t, "CR2: 0000000000000000"],
  [t, "---[ end trace 0000000000000000 ]---"],
  [t, `RIP: 0010:${fn}+0x14/0x53 [lkdtm]`],
];

describe("incident machine (synthetic logs)", () => {
  it("joins the die line into the fault report and decodes it", () => {
    const { incidents } = analyzeText(log(oops(4.3)));
    expect(incidents).toHaveLength(1);
    const i = incidents[0]!;
    expect(i.title).toBe("BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL");
    expect(i.oops).toEqual({ code: "0000", counter: 1, flags: ["PREEMPT", "SMP", "NOPTI"], message: "Oops" });
    expect(i.fault?.summary).toBe("read from a not-present page in kernel mode at 0x0");
    expect(i.frames.map((f) => [f.function, f.reliable, f.context])).toEqual([
      ["direct_entry.cold", true, "task"],
      ["exit_to_user_mode_prepare", false, "task"],
      ["entry_SYSCALL_64_after_hwframe", true, "task"],
    ]);
    expect(i.modules).toEqual(["lkdtm", "aaa", "bbb"]);
    expect(i.fatal).toBe(false);
  });

  it("a panic right after the report makes it fatal instead of a second incident", () => {
    const { incidents } = analyzeText(log([...oops(4.3), [4.4, "Kernel panic - not syncing: Fatal exception"], [4.4, "Kernel Offset: 0x16000000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)"], [4.4, "---[ end Kernel panic - not syncing: Fatal exception ]---"]]));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.fatal).toBe(true);
    expect(incidents[0]!.panic).toEqual({ message: "Fatal exception" });
    expect(incidents[0]!.kaslrOffset).toBe("0x16000000");
  });

  it("a consequence panic joins the report even after unrelated lines; another panic does not", () => {
    const stall: [number, string][] = [
      [3.7, "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"],
      [3.7, "Sending NMI from CPU 0 to CPUs 1:"],
      [3.7, "NMI backtrace for cpu 1"],
      [3.7, "RIP: 0010:lkdtm_HARDLOCKUP+0x10/0x20 [lkdtm]"],
      [3.7, "Call Trace:"],
      [3.7, " <TASK>"],
      [3.7, " lkdtm_do_action+0x16/0x30 [lkdtm]"],
      [3.7, " full_proxy_write+0x53/0x80"],
      [3.7, " vfs_write+0xc7/0x3f0"],
      [3.7, " </TASK>"],
      [3.8, "INFO: NMI handler (nmi_cpu_backtrace_handler) took too long to run: 12.861 msecs"],
    ];
    const joined = analyzeText(log([...stall, [13.7, "Kernel panic - not syncing: RCU Stall"]]));
    expect(joined.incidents.map((i) => [i.title, i.fatal])).toEqual([["INFO: rcu detected stall in full_proxy_write", true]]);
    const separate = analyzeText(log([...stall, [13.7, "Kernel panic - not syncing: sysrq triggered crash"]]));
    expect(separate.incidents.map((i) => [i.title, i.fatal])).toEqual([
      ["INFO: rcu detected stall in full_proxy_write", false],
      ["kernel panic: sysrq triggered crash", true],
    ]);
  });

  it("a report printed twice (console, then a dmesg replay) is reported once", () => {
    const text = log([[1, "Linux version 6.1.0-56-amd64 (x) #1 SMP"], ...oops(4.3), [5, "unrelated"], [0, "Linux version 6.1.0-56-amd64 (x) #1 SMP"], ...oops(4.3), [5, "unrelated"]]);
    const { incidents, diagnostics } = analyzeText(text);
    expect(incidents).toHaveLength(1);
    expect(diagnostics.map((d) => d.code)).toContain("duplicate-incident");
  });

  it("the same report at another time is a second incident", () => {
    const { incidents } = analyzeText(log([...oops(4.3), [5, "unrelated"], ...oops(9.1)]));
    expect(incidents).toHaveLength(2);
    expect(incidents[0]!.fingerprint).toBe(incidents[1]!.fingerprint);
  });

  it("keeps the WARN message printed between 'cut here' and the WARNING line", () => {
    const { incidents } = analyzeText(log([
      [2, "------------[ cut here ]------------"],
      [2, "Warning message trigger count: 1"],
      [2, "WARNING: CPU: 1 PID: 98 at drivers/misc/lkdtm/bugs.c:97 lkdtm_WARNING_MESSAGE+0x1b/0x30 [lkdtm]"],
      [2, "RIP: 0010:lkdtm_WARNING_MESSAGE+0x1b/0x30 [lkdtm]"],
      [2, "Call Trace:"],
      [2, " <TASK>"],
      [2, " direct_entry.cold+0x18/0x24 [lkdtm]"],
      [2, " </TASK>"],
      [2, "---[ end trace 0000000000000000 ]---"],
    ]));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.title).toBe("WARNING in lkdtm_WARNING_MESSAGE");
    expect(incidents[0]!.details["message"]).toBe("Warning message trigger count: 1");
    expect(incidents[0]!.location).toEqual({ file: "drivers/misc/lkdtm/bugs.c", line: 97 });
    expect(incidents[0]!.text[0]).toContain("cut here");
  });

  it("list corruption followed by BUG() is one incident", () => {
    const { incidents } = analyzeText(log([
      [3, "list_del corruption. next->prev should be ffffcf1b003fba20, but was 0000000000000000. (next=ffffcf1b003fba48)"],
      [3, "------------[ cut here ]------------"],
      [3, "kernel BUG at lib/list_debug.c:62!"],
      [3, "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI"],
      [3, "RIP: 0010:__list_del_entry_valid.cold+0x12/0x47"],
      [3, "Call Trace:"],
      [3, " <TASK>"],
      [3, " lkdtm_CORRUPT_LIST_DEL+0x6a/0xd0 [lkdtm]"],
      [3, " </TASK>"],
    ]));
    expect(incidents.map((i) => [i.title, i.kind, i.oops?.message])).toEqual([["BUG: corrupted list in lkdtm_CORRUPT_LIST_DEL", "list-corruption", "invalid opcode"]]);
  });

  it("ignores other tasks' lines interleaved by CONFIG_PRINTK_CALLER", () => {
    const text = [
      "[   10.000001][ T100] WARNING: CPU: 0 PID: 100 at kernel/foo.c:1 foo_func+0x1/0x2",
      "[   10.000002][ T100] RIP: 0010:foo_func+0x1/0x2",
      "[   10.000003][ T200] bar: some chatter from another task",
      "[   10.000004][ T100] Call Trace:",
      "[   10.000005][ T100]  <TASK>",
      "[   10.000006][ T200] more chatter",
      "[   10.000007][ T100]  caller_func+0x10/0x20",
      "[   10.000008][ T100]  </TASK>",
      "",
    ].join("\n");
    const { incidents } = analyzeText(text);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.text.some((l) => l.includes("chatter"))).toBe(false);
    expect(incidents[0]!.frames.map((f) => f.function)).toEqual(["caller_func"]);
  });

  it("reads pre-5.x frames and a wrapped module list", () => {
    const { incidents } = analyzeText(log([
      [1, "kernel BUG at mm/slub.c:3870!"],
      [1, "invalid opcode: 0000 [#1] SMP"],
      [1, "Modules linked in: aaa(O) bbb ccc"],
      [1, " ddd eee [last unloaded: fff]"],
      [1, "CPU: 0 PID: 1 Comm: init Not tainted 4.4.0 #1"],
      [1, "RIP: 0010:[<ffffffff811a2c3d>]  [<ffffffff811a2c3d>] foo_bug_site+0x1ed/0x220"],
      [1, "Call Trace:"],
      [1, " [<ffffffff81234567>] ? something_else+0x1/0x2"],
      [1, " [<ffffffff81234568>] real_caller+0x11/0x22"],
      [1, "Code: 00 00"],
    ]));
    const i = incidents[0]!;
    expect(i.modules).toEqual(["aaa", "bbb", "ccc", "ddd", "eee"]);
    expect(i.details["lastUnloaded"]).toBe("fff");
    expect(i.ip?.function).toBe("foo_bug_site");
    expect(i.frames.map((f) => [f.function, f.reliable, f.address])).toEqual([
      ["something_else", false, "ffffffff81234567"],
      ["real_caller", true, "ffffffff81234568"],
    ]);
    expect(i.title).toBe("kernel BUG in foo_bug_site");
    expect(i.kernel).toMatchObject({ release: "4.4.0", tainted: false });
  });

  it("a report cut off by the end of input is flagged, not dropped", () => {
    const { incidents, diagnostics } = analyzeText(log(oops(4.3).slice(0, 6)));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.corrupted).toBe(true);
    expect(incidents[0]!.corruptedReason).toBe("truncated");
    expect(diagnostics.map((d) => d.code)).toContain("truncated-incident");
  });

  it("reports dropped printk messages", () => {
    const { diagnostics } = analyzeText("** 12 printk messages dropped **\n");
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([["printk-dropped", 1]]);
  });

  it("flush() emits a closed report that waits for a possible panic", () => {
    const got: Incident[] = [];
    const a = createAnalyzer({}, (i) => got.push(i), () => {});
    a.push(log([...oops(4.3), [5, "unrelated"]]));
    expect(got).toHaveLength(0);
    a.flush();
    expect(got).toHaveLength(1);
    a.end();
    expect(got).toHaveLength(1);
  });

  it("flush() also ends a report that has printed its stack (live input gone quiet)", () => {
    const got: Incident[] = [];
    const a = createAnalyzer({}, (i) => got.push(i), () => {});
    a.push(log(oops(4.3)));
    expect(got).toHaveLength(0);
    a.flush();
    expect(got.map((i) => i.title)).toEqual(["BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL"]);
    a.end();
    expect(got).toHaveLength(1);
  });

  it("CRLF and ANSI escapes do not change the result", () => {
    const plain = analyzeText(log(oops(4.3))).incidents;
    const crlf = analyzeText("\x1bc\x1b[?7l" + log(oops(4.3)).replace(/\n/g, "\r\n")).incidents;
    expect(crlf.map((i) => [i.title, i.guilty, i.frames.length])).toEqual(plain.map((i) => [i.title, i.guilty, i.frames.length]));
  });
});

describe("hints (grammars/hints.yaml)", () => {
  const withAddress = (addr: string) =>
    oops(2).map(([t, l]): [number, string] => [
      t,
      l.startsWith("BUG: kernel NULL") ? `BUG: kernel NULL pointer dereference, address: ${addr}` : l,
    ]);
  it("says NULL for a small fault address", () => {
    const [i] = analyzeText(log(withAddress("0000000000000018"))).incidents;
    expect(i!.hints.some((h) => h.startsWith("a NULL pointer was dereferenced"))).toBe(true);
  });
  it("does not say NULL for an address beyond a field offset", () => {
    const [i] = analyzeText(log(withAddress("0000000000012345"))).incidents;
    expect(i!.hints.some((h) => h.startsWith("a NULL pointer"))).toBe(false);
  });
  it("blames the out-of-tree module the guilty function lives in", () => {
    const [i] = analyzeText(log(oops(2))).incidents;
    expect(i!.hints.some((h) => h.includes("report to the module's vendor"))).toBe(true);
  });
  it("gives no vendor hint when the guilty module itself is not flagged (another module tainted the kernel)", () => {
    const lines = oops(2).map(([t, l]): [number, string] => [t, l.startsWith("Modules linked in:") ? "Modules linked in: lkdtm aaa bbb(OE)" : l]);
    const [i] = analyzeText(log(lines)).incidents;
    expect(i!.kernel.taint.map((x) => x.letter)).toContain("O");
    expect(i!.hints.some((h) => h.includes("module's vendor"))).toBe(false);
  });
  it("gives no module hint when the guilty function is in the core kernel", () => {
    const lines = oops(2).map(([t, l]): [number, string] => [t, l.replace(/ \[lkdtm\]$/, "")]);
    const [i] = analyzeText(log(lines)).incidents;
    expect(i!.hints.some((h) => h.includes("module's vendor"))).toBe(false);
  });
});

describe("journald boot ids", () => {
  const journal = (bootId: string) =>
    oops(3)
      .map(([t, l]) =>
        JSON.stringify({ _TRANSPORT: "kernel", _BOOT_ID: bootId, __MONOTONIC_TIMESTAMP: String(t * 1e6), PRIORITY: "4", MESSAGE: l }),
      )
      .join("\n") + "\n";
  const a = "0123456789abcdef0123456789abcdef";
  const b = "fedcba9876543210fedcba9876543210";
  it("puts the boot id on the incident, and a crash at the same uptime in another boot is a new incident", () => {
    const { incidents, diagnostics } = analyzeText(journal(a) + journal(b));
    expect(incidents.map((i) => i.time.bootId)).toEqual([a, b]);
    expect(diagnostics.some((d) => d.code === "duplicate-incident")).toBe(false);
  });
  it("the same boot's record twice is still one incident", () => {
    const { incidents, diagnostics } = analyzeText(journal(a) + journal(a));
    expect(incidents).toHaveLength(1);
    expect(diagnostics.some((d) => d.code === "duplicate-incident")).toBe(true);
  });
  it("ignores a _BOOT_ID that is not 32 hex digits", () => {
    const { incidents } = analyzeText(journal("../../etc"));
    expect(incidents[0]!.time.bootId).toBeUndefined();
  });
});

describe("replayed incidents", () => {
  it("lists the first three repeats and counts the rest in one diagnostic", () => {
    const { incidents, diagnostics } = analyzeText(log([...Array(7)].flatMap(() => oops(4.3))));
    expect(incidents).toHaveLength(1);
    const dups = diagnostics.filter((d) => d.code === "duplicate-incident");
    expect(dups).toHaveLength(4);
    expect(dups.slice(0, 3).every((d) => d.line !== undefined)).toBe(true);
    expect(dups[3]!.message).toMatch(/^3 more repeated incidents/);
  });
});

describe("lockdep irq lock order (print_bad_irq_dependency)", () => {
  // The shape of kernel/locking/lockdep.c's report, with made-up locks and functions.
  const report = (withChain: boolean): [number, string][] => {
    const l: [number, string][] = [
      [9.1, "====================================================="],
      [9.1, "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"],
      [9.1, "6.1.0 #1 Not tainted"],
      [9.1, "-----------------------------------------------------"],
      [9.1, "worker/77 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:"],
      [9.1, "ffff888026df22b8 (&dev->stat_lock){.+.+}-{2:2}, at: demo_read_stats+0x14b/0x460"],
      [9.1, ""],
      [9.1, "and this task is already holding:"],
      [9.1, "ffff888022a48498 (&ring->lock){-...}-{2:2}, at: demo_flush+0x4d/0x3a0"],
    ];
    if (withChain) {
      l.push(
        [9.1, "but this new dependency connects a HARDIRQ-irq-safe lock:"],
        [9.1, " (&ring->lock){-...}-{2:2}"],
        [9.1, ""],
        [9.1, "... which became HARDIRQ-irq-safe at:"],
        [9.1, "  lock_acquire+0x29d/0x740"],
        [9.1, "  _raw_spin_lock_irqsave+0x39/0x50"],
        [9.1, "  demo_timer_fn+0x6f/0x3d0"],
        [9.1, "  __hrtimer_run_queues+0x693/0xea0"],
        [9.1, ""],
        [9.1, "to a HARDIRQ-irq-unsafe lock:"],
        [9.1, " (&dev->stat_lock){.+.+}-{2:2}"],
        [9.1, ""],
        [9.1, "... which became HARDIRQ-irq-unsafe at:"],
        [9.1, "..."],
        [9.1, "  lock_acquire+0x29d/0x740"],
        [9.1, "  _raw_read_lock+0x5b/0x70"],
        [9.1, "  demo_read_stats+0x14b/0x460"],
        [9.1, ""],
        [9.1, "stack backtrace:"],
        [9.1, "CPU: 0 PID: 77 Comm: worker Not tainted 6.1.0 #1"],
        [9.1, "Call Trace:"],
        [9.1, " <TASK>"],
        [9.1, " dump_stack_lvl+0x44/0x5c"],
        [9.1, " lock_acquire+0x29d/0x740"],
        [9.1, " demo_read_stats+0x14b/0x460"],
        [9.1, " </TASK>"],
      );
    }
    return l;
  };
  it("blames the first frame of the irq-safe chain, past lock primitives", () => {
    const { incidents } = analyzeText(log(report(true)));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.title).toBe("possible deadlock in demo_timer_fn");
    expect(incidents[0]!.guilty).toBe("demo_timer_fn");
  });
  it("falls back to the acquisition site when the report is cut before the chain", () => {
    const { incidents } = analyzeText(log(report(false)));
    expect(incidents[0]!.title).toBe("possible deadlock in demo_read_stats");
  });
});

describe("KFENCE reports (mm/kfence/report.c)", () => {
  // The report's shape with made-up functions: the access stack comes first, then the object's.
  const kfence = (access: string, extra: [number, string][] = []): [number, string][] => [
    [5.0, "=================================================================="],
    [5.0, "BUG: KFENCE: use-after-free read in memcmp+0x57/0x150"],
    [5.0, ""],
    [5.0, access],
    [5.0, " memcmp+0x57/0x150"],
    [5.0, " demo_lookup+0x57/0x150"],
    [5.0, " demo_ioctl+0x26/0x130"],
    [5.0, ""],
    [5.0, "kfence-#7 [0xffff88823bc8ce00-0xffff88823bc8cfa7, size=424, cache=kmalloc-512] allocated by task 99 on cpu 1 at 4.100000s:"],
    [5.0, " demo_alloc+0x19c/0x850"],
    [5.0, " demo_ioctl+0x10/0x130"],
    [5.0, ""],
    [5.0, "freed by task 99 on cpu 1 at 4.200000s:"],
    [5.0, " demo_release+0x13b/0x190"],
    [5.0, ""],
    ...extra,
    [5.0, "CPU: 1 PID: 99 Comm: demo Not tainted 6.1.0 #1"],
    [5.0, "=================================================================="],
  ];
  it("reads the access stack as the primary one and the object's stacks as labelled ones", () => {
    const { incidents } = analyzeText(log(kfence("Use-after-free read at 0xffff88823bc8cf68 (in kfence-#7):")));
    expect(incidents).toHaveLength(1);
    const i = incidents[0]!;
    expect(i.title).toBe("KFENCE: use-after-free read in demo_lookup");
    expect(i.corrupted).toBe(false);
    expect(i.frames.map((f) => f.function)).toEqual(["memcmp", "demo_lookup", "demo_ioctl"]);
    expect(i.stacks.map((s) => [s.label.replace(/ \[.*\]/, ""), s.frames.map((f) => f.function)])).toEqual([
      ["kfence-#7 allocated by task 99 on cpu 1 at 4.100000s", ["demo_alloc", "demo_ioctl"]],
      ["freed by task 99 on cpu 1 at 4.200000s", ["demo_release"]],
    ]);
  });
  it.each([
    "Out-of-bounds read at 0xffff8c2aae23c020 (1B right of kfence-#7):",
    "Invalid free of 0xffff8c2aae244fe0 (in kfence-#7):",
    "Corrupted memory at 0xffff8c2aae24c020 [ 0x2a ! . . . ] (in kfence-#7):",
    "Invalid read at 0xffffffffff0000c0:",
  ])("starts the access stack at %j", (access) => {
    const i = analyzeText(log(kfence(access))).incidents[0]!;
    expect(i.frames[1]?.function).toBe("demo_lookup");
  });
  it("reads the object's stacks in the newer layout (object on its own line, '(... ago)', 'rcu freeing')", () => {
    // mm/kfence/report.c of 6.12 (corpora/riscv64/kfence): "kfence-#N: 0x..-0x.., size=, cache=",
    // then "allocated by task N on cpu N at T s (D s ago):" and "freed by task ...:" alike.
    const l: [number, string][] = [
      [1.9, "=================================================================="],
      [1.9, "BUG: KFENCE: use-after-free read in demo_lookup+0x38/0x50 [demo]"],
      [1.9, ""],
      [1.9, "Use-after-free read at 0x000000004ad69895 (in kfence-#229):"],
      [1.9, " demo_lookup+0x38/0x50 [demo]"],
      [1.9, " demo_ioctl+0x8a/0x100 [demo]"],
      [1.9, ""],
      [1.9, "kfence-#229: 0x000000004ad69895-0x0000000035f0586d, size=64, cache=kmalloc-64"],
      [1.9, ""],
      [1.9, "allocated by task 141 on cpu 0 at 1.907479s (0.007418s ago):"],
      [1.9, " demo_alloc+0x84/0x12e [demo]"],
      [1.9, " demo_ioctl+0x1c/0x100 [demo]"],
      [1.9, ""],
      [1.9, "rcu freeing by task 141 on cpu 0 at 1.907800s (0.008000s ago):"],
      [1.9, " demo_release+0x38/0x50 [demo]"],
      [1.9, ""],
      [1.9, "CPU: 0 UID: 0 PID: 141 Comm: demo Tainted: G           OE      6.12.117 #1"],
      [1.9, "=================================================================="],
    ];
    const i = analyzeText(log(l)).incidents[0]!;
    expect(i.title).toBe("KFENCE: use-after-free read in demo_lookup");
    expect(i.frames.map((f) => f.function)).toEqual(["demo_lookup", "demo_ioctl"]);
    expect(i.stacks.map((s) => [s.label, s.frames.map((f) => f.function)])).toEqual([
      ["allocated by task 141 on cpu 0 at 1.907479s (0.007418s ago)", ["demo_alloc", "demo_ioctl"]],
      ["rcu freeing by task 141 on cpu 0 at 1.907800s (0.008000s ago)", ["demo_release"]],
    ]);
  });
});

describe("skip entries", () => {
  it("KASAN's arm64 tag-check skips are anchored: they do not skip a function that merely contains el1_", () => {
    const l: [number, string][] = [
      [7.0, "=================================================================="],
      [7.0, "BUG: KASAN: invalid-access in __list_add_valid+0x10/0x90"],
      [7.0, "Read at addr f6ff00001d527690 by task demo/77"],
      [7.0, "CPU: 1 PID: 77 Comm: demo Not tainted 6.1.0 #1"],
      [7.0, "Call trace:"],
      [7.0, " kasan_report+0x134/0x380"],
      [7.0, " do_tag_check_fault+0x74/0x90"],
      [7.0, " el1_abort+0x40/0x60"],
      [7.0, " el1h_64_sync_handler+0xb0/0xd0"],
      [7.0, " __list_add_valid+0x10/0x90"],
      [7.0, " demo_del1_src+0x78/0x7c"],
      [7.0, " demo_ioctl+0x1a4/0x460"],
      [7.0, "=================================================================="],
    ];
    const i = analyzeText(log(l)).incidents[0]!;
    expect(i.title).toBe("KASAN: invalid-access Read in demo_del1_src");
  });
});

describe("another task's panic inside a report (caller ids)", () => {
  // The shape of a real interleaving: task 100's KASAN report, task 200 panics after its header.
  const c = (s: number, caller: string, text: string) => `[${s.toFixed(6).padStart(12)}][${caller.padStart(6)}] ${text}`;
  const lines = [
    c(9.0, "T100", "=================================================================="),
    c(9.0, "T100", "BUG: KASAN: out-of-bounds in stack_trace_consume_entry+0x141/0x160"),
    c(9.0, "T100", "Write of size 8 at addr ffffc90002f7f910 by task kworker/0:1/100"),
    c(9.1, "T200", "Kernel panic - not syncing: corrupted stack end detected inside scheduler"),
    c(9.1, "T200", "CPU: 1 PID: 200 Comm: kworker/u16:3 Not tainted 6.3.0 #0"),
    c(9.1, "T200", "Call Trace:"),
    c(9.1, "T200", " <TASK>"),
    c(9.1, "T200", " panic+0x688/0x730"),
    c(9.1, "T200", " __schedule+0x5301/0x5770"),
    c(9.1, "T200", " worker_thread+0x160/0x1090"),
    c(9.1, "T200", " </TASK>"),
    c(9.2, "T100", "CPU: 0 PID: 100 Comm: kworker/0:1 Not tainted 6.3.0 #0"),
    c(9.2, "T100", "Workqueue: events demo_trap_report_work"),
    c(9.2, "T100", "Call Trace:"),
    c(9.2, "T100", " <TASK>"),
    c(9.2, "T100", " kasan_report+0x11c/0x130"),
    c(9.2, "T100", " stack_trace_consume_entry+0x141/0x160"),
    c(9.2, "T100", " insert_work+0x48/0x350"),
    c(9.2, "T100", " queue_delayed_work_on+0x109/0x120"),
    c(9.2, "T100", " demo_trap_report_work+0x9d1/0xc80"),
    c(9.2, "T100", " process_one_work+0x991/0x15c0"),
    c(9.2, "T100", " </TASK>"),
    c(9.3, "T100", "=================================================================="),
    c(9.4, "T200", "Rebooting in 86400 seconds.."),
  ];
  it("keeps the panic's task and stack apart and reads the report's own lines as the report", () => {
    const { incidents } = analyzeText(lines.join("\n") + "\n");
    expect(incidents).toHaveLength(1);
    const i = incidents[0]!;
    expect(i.title).toBe("KASAN: out-of-bounds Write in demo_trap_report_work");
    expect(i.task).toMatchObject({ pid: 100, comm: "kworker/0:1" });
    expect(i.fatal).toBe(true);
    expect(i.panic?.message).toBe("corrupted stack end detected inside scheduler");
    expect(i.frames.map((f) => f.function)).toContain("demo_trap_report_work");
    expect(i.stacks.find((s) => s.label === "panic")?.frames.map((f) => f.function)).toEqual(["panic", "__schedule", "worker_thread"]);
  });
});

describe("an empty trace", () => {
  const head: [number, string][] = [
    [9.0, "Kernel panic - not syncing: demo failure in demo_open"],
    [9.0, "CPU: 1 PID: 77 Comm: demo Not tainted 6.1.0 #1"],
    [9.0, "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)"],
    [9.0, "Call Trace:"],
  ];
  it("at the end of the log: the report was cut short", () => {
    const i = analyzeText(log(head)).incidents[0]!;
    expect(i.corrupted).toBe(true);
    expect(i.corruptedReason).toBe("truncated");
  });
  it("followed by the panic's own end: complete, the kernel printed no frames", () => {
    const i = analyzeText(log([...head, [9.1, "Kernel Offset: disabled"], [9.1, "Rebooting in 86400 seconds.."]])).incidents[0]!;
    expect(i.corrupted).toBe(false);
  });
});

describe("a sanitizer report the reporting itself crashed in", () => {
  it("is corrupted (report-inside-report), keeps its title from the header", () => {
    const l: [number, string][] = [
      [8.0, "=================================================================="],
      [8.0, "BUG: KASAN: slab-out-of-bounds in demo_write+0x2d/0x330"],
      [8.0, "Write of size 88 at addr ffff8801d818fe98 by task demo/77"],
      [8.0, "CPU: 1 PID: 77 Comm: demo Not tainted 6.1.0 #1"],
      [8.0, "Call Trace:"],
      [8.0, " demo_write+0x2d/0x330"],
      [8.0, " demo_ioctl+0x10/0x80"],
      [8.0, ""],
      [8.0, "Allocated by task 77:"],
      [8.1, "BUG: unable to handle page fault for address: 000000007c8b2954"],
      [8.1, "Oops: 0000 [#1] SMP KASAN"],
      [8.1, "RIP: 0010:depot_fetch_stack+0x11/0x40"],
    ];
    const i = analyzeText(log(l)).incidents[0]!;
    expect(i.title).toBe("KASAN: slab-out-of-bounds Write in demo_write");
    expect(i.corrupted).toBe(true);
    expect(i.corruptedReason).toBe("report-inside-report");
  });
  it("a WARNING inside a KMSAN report does the same", () => {
    const l: [number, string][] = [
      [8.0, "====================================================="],
      [8.0, "BUG: KMSAN: uninit-value in demo_sched_in+0x2b6/0xca0"],
      [8.0, " demo_sched_in+0x2b6/0xca0"],
      [8.0, " demo_switch+0x72c/0xad0"],
      [8.0, ""],
      [8.0, "------------[ cut here ]------------"],
      [8.0, "WARNING: CPU: 1 PID: 0 at lib/stackdepot.c:293 stack_depot_fetch+0x2f/0x60"],
      [8.0, "CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0 #1"],
      [8.0, "Call Trace:"],
      [8.0, " kmsan_print_origin+0x41/0x2e0"],
      [8.0, "====================================================="],
    ];
    const i = analyzeText(log(l)).incidents[0]!;
    expect(i.title).toBe("KMSAN: uninit-value in demo_sched_in");
    expect(i.corruptedReason).toBe("report-inside-report");
  });
});

describe("the unwinder's own warning inside a report", () => {
  it("marks the report's trace unreliable (corrupted), not a second incident", () => {
    const l: [number, string][] = [
      [10.5, "PANIC: double fault, error_code: 0x0"],
      [10.5, "CPU: 0 PID: 917 Comm: demo Not tainted 6.1.0 #1"],
      [10.5, "RIP: 0010:demo_ioctl+0xfea/0x103e"],
      [10.5, "Kernel panic - not syncing: Machine halted."],
      [10.5, "Call Trace:"],
      [10.5, " <#DF>"],
      [10.5, " dump_stack+0x8f/0xc4"],
      [10.5, " panic+0xda/0x22f"],
      [10.5, "WARNING: kernel stack regs at ffff880019a05f58 in demo:917 has bad 'bp' value ffffc90000277e18"],
      [10.5, "unwind stack type:0 next_sp:0000000000277d78 mask:0x10 graph_idx:0"],
    ];
    const { incidents } = analyzeText(log(l));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.title).toBe("PANIC: double fault in demo_ioctl");
    expect(incidents[0]!.corruptedReason).toBe("unreliable-unwind");
  });
});
