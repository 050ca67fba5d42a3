import { describe, expect, it } from "vitest";
import { applyCommands, archFamily, grubLine, recommend, roundReservation, UnknownArchError } from "../../src/kdump/sizing.js";
import { GiB, TiB } from "../../src/kdump/units.js";

describe("the crashkernel sizing rule", () => {
  it("2 TB, 128 CPUs, x86_64: 161 + 2×64 + 128×12 = 1825 MB, recommend 2 GB (not 1761, not 225)", () => {
    const r = recommend("x86_64", 2 * TiB, 128);
    expect(r.steps.map((s) => s.mb)).toEqual([161, 128, 1536]);
    expect(161 + 2 * 64).toBe(289); // the widely shared example writes 225
    expect(r.totalMB).toBe(1825);
    expect(r.recommendedMB).toBe(2048);
    expect(r.param).toBe("2048M");
    expect(r.steps[1]!.label).toBe("64 MB × 2 TB of RAM");
  });

  it("a started TB counts as a whole one, and says so", () => {
    const r = recommend("x86_64", 1.2 * TiB, 4);
    expect(r.steps[1]!.mb).toBe(128);
    expect(r.steps[1]!.note).toContain("a started TB counts as a whole one");
    expect(recommend("x86_64", 16 * GiB, 8).steps[1]!.mb).toBe(64); // 161 + 64 + 96 = 321 → 384
    expect(recommend("x86_64", 16 * GiB, 8).recommendedMB).toBe(384);
  });

  it("the per-TB term is not always 0 (the script divided kB by 1024 four times)", () => {
    expect(recommend("x86_64", 3 * TiB, 1).steps[1]!.mb).toBe(192);
  });

  it("arm64: 512 MB + 12 MB per CPU, as aarch64 or arm64; no per-TB term", () => {
    for (const a of ["aarch64", "arm64"]) {
      const r = recommend(a, 64 * GiB, 16);
      expect(r.family).toBe("arm64");
      expect(r.totalMB).toBe(704);
      expect(r.recommendedMB).toBe(704);
    }
    expect(recommend("aarch64", 2 * TiB, 128).totalMB).toBe(512 + 1536);
  });

  it("x86: 128 MB + 12 MB per CPU for i386 and i686 (what uname -m says, not 'x86')", () => {
    expect(recommend("i686", 4 * GiB, 2).totalMB).toBe(152);
    expect(recommend("i386", 4 * GiB, 2).recommendedMB).toBe(192);
  });

  it("unknown architectures: a clear error listing the known ones", () => {
    expect(() => recommend("riscv64", GiB, 1)).toThrow(UnknownArchError);
    expect(() => recommend("riscv64", GiB, 1)).toThrow(/x86_64.*aarch64.*arm64/);
    expect(archFamily("ppc64le")).toBeNull();
  });

  it("rounds up to 64 MB below 1 GB and to 256 MB from 1 GB (never down, unlike %.0f)", () => {
    expect(roundReservation(321).mb).toBe(384);
    expect(roundReservation(320).mb).toBe(320);
    expect(roundReservation(1000).mb).toBe(1024);
    expect(roundReservation(1024).mb).toBe(1024);
    expect(roundReservation(1025).mb).toBe(1280);
    expect(roundReservation(1825).mb).toBe(2048);
    expect(roundReservation(2049).mb).toBe(2304);
  });

  it("rejects nonsense", () => {
    expect(() => recommend("x86_64", 0, 1)).toThrow(RangeError);
    expect(() => recommend("x86_64", GiB, 0)).toThrow(RangeError);
  });

  it("grub line and commands", () => {
    expect(grubLine("2048M")).toBe('GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=2048M"');
    expect(applyCommands("2048M")).toEqual([
      `echo '${grubLine("2048M")}' | sudo tee /etc/default/grub.d/kdump-tools.cfg`,
      "sudo update-grub",
      "sudo reboot",
    ]);
    expect(applyCommands("448M", "rhel")[0]).toBe("sudo grubby --update-kernel=ALL --args=crashkernel=448M");
  });
});
