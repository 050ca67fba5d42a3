/**
 * How much memory to reserve for the capture kernel (`crashkernel=`).
 *
 * The rule (the one widely shared for kdump-tools, with its arithmetic fixed):
 *
 *   x86 (i386, i686)   128 MB                       + 12 MB per CPU
 *   x86_64             161 MB + 64 MB per TB of RAM + 12 MB per CPU
 *                      (a started TB counts as a whole one: 1.2 TB → 2)
 *   arm64 (aarch64)    512 MB                       + 12 MB per CPU
 *
 * then rounded up: below 1 GB to the next multiple of 64 MB, from 1 GB on to
 * the next multiple of 256 MB (so 1825 MB → 2048 MB = 2 GB, 300 MB → 320 MB).
 *
 * The copies of this rule in circulation get it wrong in ways kpanic must not:
 * their example writes 161 + 2×64 = 225 (it is 289); their script divides kB
 * by 1024 four times (petabytes, so the per-TB term is always 0), rounds with
 * `%.0f` (rounding down as often as up), and compares `uname -m` with `arm64`
 * and `x86`, which the kernel never reports (it says `aarch64`, `i686`).
 */
import { TiB } from "./units.js";

export type ArchFamily = "x86" | "x86_64" | "arm64";

/** `uname -m` values (and the Debian names) each family answers to. */
export const ARCH_ALIASES: Record<ArchFamily, readonly string[]> = {
  x86: ["i386", "i486", "i586", "i686", "x86"],
  x86_64: ["x86_64", "amd64"],
  arm64: ["aarch64", "arm64"],
};

export const KNOWN_ARCHES: readonly string[] = Object.values(ARCH_ALIASES).flat();

export function archFamily(arch: string): ArchFamily | null {
  const a = arch.trim().toLowerCase();
  for (const [fam, names] of Object.entries(ARCH_ALIASES) as [ArchFamily, readonly string[]][]) {
    if (names.includes(a)) return fam;
  }
  return null;
}

export class UnknownArchError extends Error {
  constructor(readonly arch: string) {
    super(`unknown architecture "${arch}": the sizing rule covers ${KNOWN_ARCHES.join(", ")}`);
  }
}

export const PER_CPU_MB = 12;
export const PER_TB_MB = 64;
export const BASE_MB: Record<ArchFamily, number> = { x86: 128, x86_64: 161, arm64: 512 };

export interface SizingStep {
  /** What this term is, in words: "base for x86_64", "64 MB × 2 TB of RAM". */
  label: string;
  mb: number;
  note?: string;
}

export interface Recommendation {
  arch: string;
  family: ArchFamily;
  ramBytes: number;
  cpus: number;
  steps: SizingStep[];
  /** Sum of the steps, in MB. */
  totalMB: number;
  /** totalMB rounded up (see roundReservation). */
  recommendedMB: number;
  rounding: string;
  /** `crashkernel=` value, in MB: "2048M", "320M". */
  param: string;
}

/**
 * Round a reservation up to a sensible boundary: the next multiple of 64 MB
 * below 1 GB, of 256 MB from 1 GB on. Returns the MB and the rule used.
 */
export function roundReservation(mb: number): { mb: number; rule: string } {
  const m = Math.ceil(mb);
  if (m <= 1024) {
    const r = Math.ceil(m / 64) * 64;
    return { mb: r, rule: "next multiple of 64 MB (below 1 GB)" };
  }
  return { mb: Math.ceil(m / 256) * 256, rule: "next multiple of 256 MB (1 GB and above)" };
}

export function recommend(arch: string, ramBytes: number, cpus: number): Recommendation {
  const family = archFamily(arch);
  if (!family) throw new UnknownArchError(arch);
  if (!(ramBytes > 0)) throw new RangeError("RAM size must be positive");
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError("CPU count must be a positive integer");
  const steps: SizingStep[] = [{ label: `base for ${family}`, mb: BASE_MB[family] }];
  if (family === "x86_64") {
    const tb = Math.ceil(ramBytes / TiB);
    const exact = ramBytes / TiB;
    const step: SizingStep = { label: `${PER_TB_MB} MB × ${tb} TB of RAM`, mb: PER_TB_MB * tb };
    step.note =
      exact === tb
        ? `exactly ${tb} TB (a started TB would count as a whole one)`
        : `${exact < 0.01 ? "under 0.01" : `${exact.toFixed(2)}`} TB: a started TB counts as a whole one, so ${tb}`;
    steps.push(step);
  }
  steps.push({ label: `${PER_CPU_MB} MB × ${cpus} CPU${cpus === 1 ? "" : "s"}`, mb: PER_CPU_MB * cpus });
  const totalMB = steps.reduce((a, s) => a + s.mb, 0);
  const r = roundReservation(totalMB);
  return {
    arch,
    family,
    ramBytes,
    cpus,
    steps,
    totalMB,
    recommendedMB: r.mb,
    rounding: r.rule,
    param: `${r.mb}M`,
  };
}

/** The grub drop-in kdump-tools reads, with the recommended value. */
export const GRUB_DROPIN = "/etc/default/grub.d/kdump-tools.cfg";

export function grubLine(param: string): string {
  return `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=${param}"`;
}

/** Commands that apply a crashkernel= value, per distribution family. */
export function applyCommands(param: string, distro: "debian" | "rhel" | "unknown" = "debian"): string[] {
  if (distro === "rhel") return [`sudo grubby --update-kernel=ALL --args=crashkernel=${param}`, "sudo reboot"];
  return [`echo '${grubLine(param)}' | sudo tee ${GRUB_DROPIN}`, "sudo update-grub", "sudo reboot"];
}
