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
import { VmcoreError, type VmcoreDiagnostic } from "./io.js";

export const START_KERNEL_MAP = 0xffffffff80000000n;
const DEFAULT_KERNEL_IMAGE_SIZE = 1n << 30n;
const PTE_ADDR = 0x000ffffffffff000n;
const PAGE = 4096;
const MASK64 = (1n << 64n) - 1n;

export interface VirtualMemory {
  /** Reads kernel virtual memory; unmapped or missing ranges are zero-filled and reported. */
  readVirt(vaddr: bigint, length: number, missing: MissingSink): Promise<Uint8Array>;
}

export class X86_64Memory implements VirtualMemory {
  readonly physBase: bigint;
  readonly physBaseSource: string;
  private readonly kernelImageEnd: bigint;
  private readonly topPgt: bigint | undefined;
  private readonly levels: 4 | 5;
  private readonly sme: bigint;
  private readonly cache = new Map<bigint, number | null>();
  readonly diagnostics: VmcoreDiagnostic[] = [];
  /** How each page was translated, for --stats. */
  readonly translations = { load: 0, text: 0, pagetable: 0, failed: 0 };

  constructor(
    private readonly dump: PhysicalDump,
    info: VmcoreInfo,
  ) {
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

  private async entry(tablePhys: bigint, index: bigint, missing: MissingSink): Promise<bigint | undefined> {
    const addr = tablePhys + index * 8n;
    if (addr < 0n || addr >= 1n << 52n) return undefined;
    let bad = false;
    const b = await this.dump.readPhys(Number(addr), 8, (a, n, why) => {
      bad = true;
      missing(a, n, `page table: ${why}`);
    });
    if (bad) return undefined;
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
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
      const e = await this.entry(table, (v >> shift) & 511n, missing);
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

  /** Virtual pages translated so far. */
  translatedPages(): bigint[] {
    return [...this.cache.keys()];
  }

  /** Physical address of a virtual one, or undefined. */
  async vtop(v: bigint, missing: MissingSink): Promise<number | undefined> {
    const pageV = v & ~0xfffn;
    let p = this.cache.get(pageV);
    if (p === undefined) {
      let q = this.dump.loadVirtToPhys?.(pageV);
      if (q !== undefined) this.translations.load++;
      else if ((q = this.textToPhys(pageV)) !== undefined) this.translations.text++;
      else if ((q = await this.walk(pageV, missing)) !== undefined) this.translations.pagetable++;
      else this.translations.failed++;
      p = q ?? null;
      if (this.cache.size > 1 << 16) this.cache.clear();
      this.cache.set(pageV, p);
    }
    return p === null ? undefined : p + Number(v & 0xfffn);
  }

  async readVirt(vaddr: bigint, length: number, missing: MissingSink): Promise<Uint8Array> {
    if (length < 0 || length > 2 ** 31) throw new VmcoreError("bad-ring", `refusing to read ${length} bytes`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const v = (vaddr + BigInt(done)) & MASK64;
      const inPage = PAGE - Number(v & 0xfffn);
      let n = Math.min(inPage, length - done);
      // PT_LOAD virtual ranges first, exactly (segments need not start or end on page boundaries).
      const run = this.dump.loadVirtRun?.(v);
      if (run !== undefined) {
        n = Math.min(n, run.length);
        this.translations.load++;
        out.set(await this.dump.readPhys(run.paddr, n, missing), done);
        done += n;
        continue;
      }
      const p = await this.vtop(v, missing);
      if (p === undefined) missing(-1, n, `virtual address ${v.toString(16)} is not mapped`);
      else out.set(await this.dump.readPhys(p, n, missing), done);
      done += n;
    }
    return out;
  }
}

export function fmtSigned(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}
