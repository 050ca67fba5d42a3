/**
 * x86_64 kernel virtual → physical, from VMCOREINFO alone:
 *  1. ELF PT_LOAD ranges that carry virtual addresses (/proc/vmcore, makedumpfile -E);
 *  2. the kernel-text mapping: v - __START_KERNEL_map + phys_base (phys_base
 *     may be negative with KASLR: the kernel runs below where it was linked);
 *  3. a page-table walk from SYMBOL(init_top_pgt) (4 or 5 levels, 1 GiB and
 *     2 MiB pages, NUMBER(sme_mask) cleared from entries) for everything else,
 *     e.g. a log buffer allocated in the direct map at boot.
 */
import type { MissingSink, PhysicalDump } from "./dump.js";
import type { VmcoreInfo } from "./vmcoreinfo.js";
import { fmtSigned, PagedMemory, type TranslationKind } from "./memory.js";

export type { VirtualMemory } from "./memory.js";
export { fmtSigned } from "./memory.js";

export const START_KERNEL_MAP = 0xffffffff80000000n;
const DEFAULT_KERNEL_IMAGE_SIZE = 1n << 30n;
const PTE_ADDR = 0x000ffffffffff000n;
const MASK64 = (1n << 64n) - 1n;

export class X86_64Memory extends PagedMemory {
  readonly arch = "x86_64";
  readonly physBase: bigint;
  readonly physBaseSource: string;
  private readonly kernelImageEnd: bigint;
  private readonly topPgt: bigint | undefined;
  private readonly levels: 4 | 5;
  private readonly sme: bigint;

  constructor(dump: PhysicalDump, info: VmcoreInfo) {
    super(dump);
    const vmPhysBase = info.numbers.get("phys_base");
    if (vmPhysBase !== undefined) {
      this.physBase = vmPhysBase;
      this.physBaseSource = "VMCOREINFO NUMBER(phys_base)";
      if (dump.physBase !== undefined && dump.physBase !== vmPhysBase) {
        this.diagnostics.push({
          code: "phys-base-mismatch",
          severity: "info",
          message: `phys_base differs: dump header ${fmtSigned(dump.physBase)}, VMCOREINFO ${fmtSigned(vmPhysBase)}; using VMCOREINFO's`,
        });
      }
    } else if (dump.physBase !== undefined) {
      this.physBase = dump.physBase;
      this.physBaseSource = "kdump sub-header";
    } else {
      const stext = info.symbols.get("_stext");
      const p = stext !== undefined ? dump.loadVirtToPhys?.(stext) : undefined;
      if (stext !== undefined && p !== undefined) {
        this.physBase = BigInt(p) - (stext - START_KERNEL_MAP);
        this.physBaseSource = "PT_LOAD of _stext";
      } else {
        this.physBase = 0n;
        this.physBaseSource = "assumed 0";
      }
    }
    const size = info.numbers.get("KERNEL_IMAGE_SIZE");
    this.kernelImageEnd = START_KERNEL_MAP + (size !== undefined && size > 0n && size <= 1n << 31n ? size : DEFAULT_KERNEL_IMAGE_SIZE);
    this.topPgt = info.symbols.get("init_top_pgt") ?? info.symbols.get("swapper_pg_dir");
    this.levels = info.numbers.get("pgtable_l5_enabled") === 1n ? 5 : 4;
    this.sme = (info.numbers.get("sme_mask") ?? 0n) & MASK64;
  }

  private textToPhys(v: bigint): number | undefined {
    if (v < START_KERNEL_MAP || v >= this.kernelImageEnd) return undefined;
    const p = v - START_KERNEL_MAP + this.physBase;
    return p >= 0n && p < 1n << 52n ? Number(p) : undefined;
  }

  private async walk(v: bigint, missing: MissingSink): Promise<number | undefined> {
    if (this.topPgt === undefined) return undefined;
    const top = this.textToPhys(this.topPgt) ?? this.dump.loadVirtToPhys?.(this.topPgt);
    if (top === undefined) return undefined;
    const mask = PTE_ADDR & ~this.sme;
    let table = BigInt(top);
    const shifts = this.levels === 5 ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
    for (let i = 0; i < shifts.length; i++) {
      const shift = shifts[i]!;
      const e = await this.entry(table + ((v >> shift) & 511n) * 8n, missing);
      if (e === undefined || (e & 1n) === 0n) return undefined;
      const isLeafLarge = (shift === 30n || shift === 21n) && (e & 0x80n) !== 0n;
      if (isLeafLarge) {
        const pageMask = (1n << shift) - 1n;
        return Number(((e & mask) & ~pageMask) + (v & pageMask));
      }
      if (shift === 12n) return Number((e & mask) + (v & 0xfffn));
      table = e & mask;
    }
    return undefined;
  }

  /** The page-table walk alone (the minimiser uses it to keep the tables makedumpfile walks). */
  walkVirt(v: bigint, missing: MissingSink): Promise<number | undefined> {
    return this.walk(v, missing);
  }

  protected async translatePage(pageV: bigint, missing: MissingSink): Promise<{ kind: TranslationKind; paddr: number } | undefined> {
    const t = this.textToPhys(pageV);
    if (t !== undefined) return { kind: "text", paddr: t };
    const w = await this.walk(pageV, missing);
    return w === undefined ? undefined : { kind: "pagetable", paddr: w };
  }
}
