/**
 * 32-bit x86 (i386) reports, as Debian's 6.1.0-50-686-pae kernel prints them
 * (corpora/i386): `EIP: func+0x../0x.. [mod]`, `EAX: ... EBX: ...`, PAE page-table
 * lines (`*pdpt = ... *pde = ...`), no <TASK> markers, and the syscall's user-mode
 * registers (`EIP: 0xb7f3c559`) at the bottom of the trace.
 */
import { describe, expect, it } from "vitest";
import { analyzeText } from "../../src/index.js";

const stamp = (i: number): string => `[    4.${String(832000 + i).padStart(6, "0")}] `;
const log = (lines: string[]): string => lines.map((l, i) => stamp(i) + l).join("\n") + "\n";

// corpora/i386/oops/lkdtm-ACCESS_NULL.log, the live report (Code: lines shortened).
const ACCESS_NULL = [
  "lkdtm: Performing direct entry ACCESS_NULL",
  "BUG: kernel NULL pointer dereference, address: 00000000",
  "#PF: supervisor read access in kernel mode",
  "#PF: error_code(0x0000) - not-present page",
  "*pdpt = 0000000001d7f001 *pde = 0000000000000000 ",
  "Oops: 0000 [#1] PREEMPT SMP PTI",
  "CPU: 1 PID: 97 Comm: sh Tainted: G           OE      6.1.0-50-686-pae #1  Debian 6.1.176-1",
  "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
  "EIP: lkdtm_ACCESS_NULL+0x15/0x4f [lkdtm]",
  "Code: ab fc 58 8b 5d fc c9 c3 68 54 6b 80 e0 e8 69 db 0e fd <8b> 1d 00 00 00 00 68 e0 6b 80 e0",
  "EAX: 00000026 EBX: 0000000c ECX: c1cf3da0 EDX: ddce14ac",
  "ESI: c1d14000 EDI: e080a980 EBP: c1cf3e74 ESP: c1cf3e68",
  "DS: 007b ES: 007b FS: 00d8 GS: 0033 SS: 0068 EFLAGS: 00000286",
  "CR0: 80050033 CR2: 00000000 CR3: 01e8a000 CR4: 00350ef0",
  "Call Trace:",
  " lkdtm_do_action+0x18/0x30 [lkdtm]",
  " direct_entry.cold+0x13/0x26 [lkdtm]",
  " ? lkdtm_kprobe_handler+0xa0/0xa0 [lkdtm]",
  " full_proxy_write+0x43/0x80",
  " vfs_write+0xa8/0x3a0",
  " ksys_write+0x69/0xe0",
  " __ia32_sys_write+0x15/0x20",
  " ia32_sys_call+0x18a5/0x28a0",
  " __do_fast_syscall_32+0x67/0xb0",
  " do_fast_syscall_32+0x29/0x60",
  " do_SYSENTER_32+0x15/0x20",
  " entry_SYSENTER_32+0x98/0xfb",
  "EIP: 0xb7f73559",
  "Code: 03 74 c0 01 10 05 03 74 b8 01 10 06 03 74 b4 01 10 07 03 74 <5d> 5a 59 c3 90 90 90 90",
  "EAX: ffffffda EBX: 00000001 ECX: 099d6b10 EDX: 0000000c",
  "ESI: 0823df28 EDI: 099d6b10 EBP: 0000000c ESP: bfdae0b0",
  "DS: 007b ES: 007b FS: 0000 GS: 0033 SS: 007b EFLAGS: 00000246",
  "Modules linked in: lkdtm(OE)",
  "CR2: 0000000000000000",
  "---[ end trace 0000000000000000 ]---",
  "EIP: lkdtm_ACCESS_NULL+0x15/0x4f [lkdtm]",
  "Code: ab fc 58 8b 5d fc c9 c3 68 54 6b 80 e0 e8 69 db 0e fd <8b> 1d 00 00 00 00 68 e0 6b 80 e0",
  "EAX: 00000026 EBX: 0000000c ECX: c1cf3da0 EDX: ddce14ac",
  "ESI: c1d14000 EDI: e080a980 EBP: c1cf3e74 ESP: c1cf3e68",
  "DS: 007b ES: 007b FS: 00d8 GS: 0033 SS: 0068 EFLAGS: 00000286",
  "CR0: 80050033 CR2: 00000000 CR3: 01e8a000 CR4: 00350ef0",
  "note: sh[97] exited with irqs disabled",
];

describe("i386 reports (EIP:)", () => {
  it("reads a NULL-pointer Oops: arch i386, the EIP function, the 32-bit fault address", () => {
    const [i, ...rest] = analyzeText(log(ACCESS_NULL)).incidents;
    expect(rest).toEqual([]);
    expect(i!.arch).toBe("i386");
    expect(i!.title).toBe("BUG: unable to handle kernel NULL pointer dereference in lkdtm_ACCESS_NULL");
    expect(i!.guilty).toBe("lkdtm_ACCESS_NULL");
    expect(i!.ip).toMatchObject({ function: "lkdtm_ACCESS_NULL", offset: "0x15", size: "0x4f", module: "lkdtm", reliable: true });
    expect(i!.fault).toMatchObject({ address: "0x00000000", errorCode: "0x0000" });
    expect(i!.oops).toMatchObject({ code: "0000", counter: 1, flags: ["PREEMPT", "SMP", "PTI"] });
    expect(i!.kernel.release).toBe("6.1.0-50-686-pae");
  });

  it("ends the trace at the syscall's user-mode 'EIP: 0x...': the EIP that die() repeats after '---[ end trace' is no frame", () => {
    const [i] = analyzeText(log(ACCESS_NULL)).incidents;
    const fs = i!.frames.map((f) => f.function);
    expect(fs[0]).toBe("lkdtm_do_action");
    expect(fs.at(-1)).toBe("entry_SYSENTER_32");
    expect(fs).not.toContain("lkdtm_ACCESS_NULL");
    // the registers after it still belong to the report
    expect(i!.source.endLine).toBe(ACCESS_NULL.length);
  });

  it("still reads a kernel-mode 'EIP: func+0x..' inside a trace as the interrupted context's top frame", () => {
    // corpora/i386/lockup/lkdtm-HARDLOCKUP-rcu_stall_panic.log: the idle CPU's panic stack
    const lines = [
      "Kernel panic - not syncing: RCU Stall",
      "CPU: 0 PID: 0 Comm: swapper/0 Tainted: G           OE      6.1.0-50-686-pae #1  Debian 6.1.176-1",
      "Call Trace:",
      " dump_stack_lvl+0x34/0x44",
      " panic+0xad/0x263",
      " panic_on_rcu_stall+0x2e/0x2f",
      " rcu_sched_clock_irq.cold+0x26c/0x3e6",
      " sysvec_apic_timer_interrupt+0x22/0x40",
      " handle_exception+0x133/0x133",
      "EIP: default_idle+0x13/0x20",
      "EAX: d392fce0 EBX: d3c5f4c0 ECX: d3c5f4c0 EDX: df99bf00",
      " ? default_idle+0x13/0x20",
      " arch_cpu_idle+0x12/0x20",
      " do_idle+0x18d/0x1f0",
      "Kernel Offset: disabled",
      "---[ end Kernel panic - not syncing: RCU Stall ]---",
    ];
    const [i] = analyzeText(log(lines)).incidents;
    expect(i!.arch).toBe("i386");
    const fs = i!.frames.map((f) => f.function);
    expect(fs.slice(fs.indexOf("handle_exception"))).toEqual(["handle_exception", "default_idle", "default_idle", "arch_cpu_idle", "do_idle"]);
  });
});
