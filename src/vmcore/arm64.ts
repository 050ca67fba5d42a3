/**
 * arm64 kernel virtual → physical, from VMCOREINFO alone
 * (arch/arm64/kernel/crash_core.c, vmcore_info.c: NUMBER(VA_BITS) in decimal,
 * NUMBER(kimage_voffset), NUMBER(PHYS_OFFSET), NUMBER(TCR_EL1_T1SZ) in hex):
 *  1. ELF PT_LOAD ranges that carry kernel virtual addresses (/proc/vmcore);
 *  2. the kernel image (where `prb`, `printk_rb_static` and `__log_buf` live):
 *     phys = va - kimage_voffset;
 *  3. the linear map (a ring allocated at boot with log_buf_len=):
 *     phys = va - PAGE_OFFSET + PHYS_OFFSET, where since 5.4 ("flipped"
 *     layout) PAGE_OFFSET = -(1 << VA_BITS) and the linear map is the lower
 *     part of the kernel half, the image the upper; before 5.4 PAGE_OFFSET =
 *     -(1 << (VA_BITS - 1)) and the two are the other way round. PHYS_OFFSET
 *     (memstart_addr) is "negative" when KASLR randomised the linear map;
 *     all arithmetic is modulo 2^64;
 *  4. a walk of the TTBR1 tables from SYMBOL(swapper_pg_dir) for the rest:
 *     4 KiB, 16 KiB or 64 KiB granule (PAGESIZE), as many levels as
 *     64 - TCR_EL1.T1SZ bits of address need (48-bit VA, 4 KiB: 4 levels),
 *     block entries where the granule allows them, 52-bit output addresses for
 *     64 KiB pages with MAX_PHYSMEM_BITS 52 (FEAT_LPA) and for 4/16 KiB pages
 *     with 52-bit VA (FEAT_LPA2).
 */
import type { MissingSink, PhysicalDump } from "./dump.js";
import { Elf64Dump } from "./elf.js";
import { fmtSigned, MAX_PHYS, PagedMemory, type TranslationKind } from "./memory.js";
import type { VmcoreInfo } from "./vmcoreinfo.js";

export const EM_AARCH64 = 183;

const TWO64 = 1n << 64n;
const MASK64 = TWO64 - 1n;
/** The kernel image window after _stext's 2 MiB-aligned base: images are tens of MiB. */
const IMAGE_WINDOW = 256n << 20n;

const signed64 = (v: bigint): bigint => {
  const u = v & MASK64;
  return u >= 1n << 63n ? u - TWO64 : u;
};

/** VMCOREINFO says arm64 (for dumps whose header does not: QEMU writes machine "Unknown", ELF cores of any kind). */
export function looksArm64(info: VmcoreInfo): boolean {
  return info.numbers.has("kimage_voffset") || info.numbers.has("TCR_EL1_T1SZ");
}

export class Arm64Memory extends PagedMemory {
  readonly arch = "arm64";
  /** PHYS_OFFSET (memstart_addr), signed. */
  readonly physBase: bigint;
  readonly physBaseSource: string;
  readonly kimageVoffset: bigint | undefined;
  readonly vaBits: number;
  /** Bits of address TTBR1 translates: 64 - TCR_EL1.T1SZ (48 on a 52-bit VA kernel without FEAT_LVA). */
  readonly ttbr1Bits: number;
  readonly pageOffset: bigint;
  /** The 5.4+ layout: linear map below the kernel image. */
  readonly flipped: boolean;
  private readonly linearStart: bigint;
  private readonly linearEnd: bigint;
  private readonly imageStart: bigint | undefined;
  private readonly pageShift: number;
  private readonly swapper: bigint | undefined;
  private readonly lpa: "none" | "lpa" | "lpa2";
  /** Largest block mapping (log2 bytes) the granule allows. */
  private readonly maxBlockShift: bigint;
  /** PHYS_OFFSET is known (VMCOREINFO or the kdump header): the linear map translates without the page tables. */
  private readonly linearKnown: boolean;

  constructor(dump: PhysicalDump, info: VmcoreInfo) {
    super(dump);
    const num = (k: string): bigint | undefined => info.numbers.get(k);
    const va = num("VA_BITS");
    this.vaBits = va !== undefined && va >= 36n && va <= 52n ? Number(va) : 48;
    if (va === undefined) this.diagnostics.push({ code: "no-vmcoreinfo", severity: "warning", message: "VMCOREINFO lacks NUMBER(VA_BITS): assuming 48" });
    const t1sz = num("TCR_EL1_T1SZ");
    this.ttbr1Bits = t1sz !== undefined && t1sz >= 12n && t1sz <= 28n ? 64 - Number(t1sz) : this.vaBits;
    const ps = info.pageSize ?? 4096;
    this.pageShift = ps === 65536 ? 16 : ps === 16384 ? 14 : 12;
    this.lpa = this.pageShift === 16 ? (num("MAX_PHYSMEM_BITS") === 52n ? "lpa" : "none") : this.ttbr1Bits === 52 ? "lpa2" : "none";
    this.maxBlockShift = BigInt((this.pageShift === 12 ? 30 : this.pageShift === 14 ? 25 : 29) + (this.lpa === "none" ? 0 : this.pageShift - 3));

    const kv = num("kimage_voffset");
    this.kimageVoffset = kv !== undefined ? kv & MASK64 : undefined;
    if (kv === undefined) this.diagnostics.push({ code: "no-vmcoreinfo", severity: "warning", message: "VMCOREINFO lacks NUMBER(kimage_voffset): kernel-image addresses need the page tables or PT_LOADs" });

    const po = num("PHYS_OFFSET");
    this.linearKnown = po !== undefined || dump.physBase !== undefined;
    if (po !== undefined) {
      this.physBase = signed64(po);
      this.physBaseSource = "VMCOREINFO NUMBER(PHYS_OFFSET)";
      if (dump.physBase !== undefined && signed64(dump.physBase) !== this.physBase) {
        this.diagnostics.push({
          code: "phys-base-mismatch",
          severity: "info",
          message: `PHYS_OFFSET differs: dump header phys_base ${fmtSigned(signed64(dump.physBase))}, VMCOREINFO ${fmtSigned(this.physBase)}; using VMCOREINFO's`,
        });
      }
    } else if (dump.physBase !== undefined) {
      this.physBase = signed64(dump.physBase);
      this.physBaseSource = "kdump sub-header phys_base";
    } else if (dump instanceof Elf64Dump && dump.loads.length > 0) {
      this.physBase = BigInt(dump.loads[0]!.paddr);
      this.physBaseSource = "lowest PT_LOAD (a guess: linear-map addresses go through the page tables)";
    } else {
      this.physBase = 0n;
      this.physBaseSource = "assumed 0";
    }

    const stext = info.symbols.get("_stext");
    this.swapper = info.symbols.get("swapper_pg_dir");
    const ref = stext ?? this.swapper;
    const vaMin = Math.min(this.vaBits, 48);
    // Since 5.4 the image is in the top half of the kernel's range and the linear map below it.
    this.flipped = ref !== undefined ? ref >= TWO64 - (1n << BigInt(vaMin - 1)) : true;
    if (this.flipped) {
      this.pageOffset = TWO64 - (1n << BigInt(this.vaBits));
      this.linearStart = this.pageOffset;
      this.linearEnd = TWO64 - (1n << BigInt(vaMin - 1));
    } else {
      this.pageOffset = TWO64 - (1n << BigInt(this.vaBits - 1));
      this.linearStart = this.pageOffset;
      this.linearEnd = TWO64;
    }
    if (stext !== undefined) this.imageStart = stext & ~0x1fffffn;
    else {
      const modEnd = num("MODULES_END");
      this.imageStart = modEnd !== undefined && info.kernelOffset !== undefined ? (modEnd + info.kernelOffset) & MASK64 : undefined;
    }
  }

  /** Kernel image: va - kimage_voffset. */
  imageToPhys(v: bigint): number | undefined {
    if (this.kimageVoffset === undefined) return undefined;
    if (v >= this.linearStart && v < this.linearEnd) return undefined;
    if (this.imageStart !== undefined && (v < this.imageStart || v >= this.imageStart + IMAGE_WINDOW)) return undefined;
    const p = (v - this.kimageVoffset) & MASK64;
    return p < MAX_PHYS ? Number(p) : undefined;
  }

  /** Linear map: va - PAGE_OFFSET + PHYS_OFFSET. */
  linearToPhys(v: bigint): number | undefined {
    if (!this.linearKnown || v < this.linearStart || v >= this.linearEnd) return undefined;
    const p = (v - this.pageOffset + this.physBase) & MASK64;
    return p < MAX_PHYS ? Number(p) : undefined;
  }

  /** Output address of a descriptor (next table, block or page). */
  private outputAddress(e: bigint): bigint {
    const g = BigInt(this.pageShift);
    if (this.lpa === "lpa") return (e & 0x0000ffffffff0000n) | (((e >> 12n) & 0xfn) << 48n);
    if (this.lpa === "lpa2") return (e & ((1n << 50n) - (1n << g))) | (((e >> 8n) & 3n) << 50n);
    return e & ((1n << 48n) - (1n << g));
  }

  private async walk(v: bigint, missing: MissingSink): Promise<number | undefined> {
    if (this.swapper === undefined) return undefined;
    const ia = BigInt(this.ttbr1Bits);
    if (v < TWO64 - (1n << ia)) return undefined;
    const top = this.imageToPhys(this.swapper) ?? this.dump.loadVirtToPhys?.(this.swapper);
    if (top === undefined) return undefined;
    const g = this.pageShift;
    const stride = g - 3;
    const levels = Math.ceil((this.ttbr1Bits - g) / stride);
    let table = BigInt(top);
    for (let l = 0; l < levels; l++) {
      const shift = BigInt(g + (levels - 1 - l) * stride);
      const idxBits = l === 0 ? ia - shift : BigInt(stride);
      const idx = (v >> shift) & ((1n << idxBits) - 1n);
      const e = await this.entry(table + idx * 8n, missing);
      if (e === undefined || (e & 1n) === 0n) return undefined;
      const span = (1n << shift) - 1n;
      if (l === levels - 1) {
        if ((e & 3n) !== 3n) return undefined;
        const p = this.outputAddress(e) + (v & span);
        return p < MAX_PHYS ? Number(p) : undefined;
      }
      if ((e & 2n) === 0n) {
        // Block entry: 1 GiB / 2 MiB (4 KiB granule), 32 MiB (16 KiB), 512 MiB (64 KiB); one level more with LPA/LPA2.
        if (shift > this.maxBlockShift) return undefined;
        const p = (this.outputAddress(e) & ~span) + (v & span);
        return p < MAX_PHYS ? Number(p) : undefined;
      }
      table = this.outputAddress(e);
    }
    return undefined;
  }

  walkVirt(v: bigint, missing: MissingSink): Promise<number | undefined> {
    return this.walk(v & MASK64, missing);
  }

  protected async translatePage(pageV: bigint, missing: MissingSink): Promise<{ kind: TranslationKind; paddr: number } | undefined> {
    const img = this.imageToPhys(pageV);
    if (img !== undefined) return { kind: "text", paddr: img };
    const lin = this.linearToPhys(pageV);
    if (lin !== undefined) return { kind: "linear", paddr: lin };
    const w = await this.walk(pageV, missing);
    return w === undefined ? undefined : { kind: "pagetable", paddr: w };
  }
}
