/**
 * Kernel virtual memory over a dump's physical memory: what the log decoder
 * reads through. Each architecture (x86_64.ts, arm64.ts) says how one page
 * translates; reading, caching and bookkeeping are shared here.
 */
import type { MissingSink, PhysicalDump } from "./dump.js";
import { VmcoreError, type VmcoreDiagnostic } from "./io.js";

export interface VirtualMemory {
  /** Reads kernel virtual memory; unmapped or missing ranges are zero-filled and reported. */
  readVirt(vaddr: bigint, length: number, missing: MissingSink): Promise<Uint8Array>;
}

export type KernelArch = "x86_64" | "arm64";

/** How each page was translated, for --stats. */
export interface Translations {
  /** ELF PT_LOAD virtual addresses. */
  load: number;
  /** The kernel image mapping (x86_64: __START_KERNEL_map + phys_base; arm64: kimage_voffset). */
  text: number;
  /** The linear map (arm64: PAGE_OFFSET and PHYS_OFFSET). x86_64's direct map is walked instead. */
  linear: number;
  /** A page-table walk. */
  pagetable: number;
  failed: number;
}

export type TranslationKind = Exclude<keyof Translations, "load" | "failed">;

export interface KernelMemory extends VirtualMemory {
  readonly arch: KernelArch;
  /**
   * x86_64: phys_base (negative with KASLR when the kernel runs below where it
   * was linked); arm64: PHYS_OFFSET (memstart_addr, "negative" when the linear
   * map is randomised).
   */
  readonly physBase: bigint;
  readonly physBaseSource: string;
  readonly diagnostics: VmcoreDiagnostic[];
  readonly translations: Translations;
  /** Physical address of a virtual one, or undefined. */
  vtop(v: bigint, missing: MissingSink): Promise<number | undefined>;
  /** The page-table walk alone (tests compare it with the other translations; the minimiser keeps the tables it reads). */
  walkVirt(v: bigint, missing: MissingSink): Promise<number | undefined>;
  /** Virtual pages translated so far. */
  translatedPages(): bigint[];
}

const PAGE = 4096;
/** Pages read concurrently by readVirt. */
const READ_AHEAD = 16;
const MASK64 = (1n << 64n) - 1n;
/** Physical addresses beyond this are not memory (52-bit physical address space). */
export const MAX_PHYS = 1n << 52n;

/**
 * Virtual memory read 4 KiB at a time (whatever the kernel's page size: every
 * translation used here is exact at that granularity), translations cached.
 */
export abstract class PagedMemory implements KernelMemory {
  abstract readonly arch: KernelArch;
  abstract readonly physBase: bigint;
  abstract readonly physBaseSource: string;
  readonly diagnostics: VmcoreDiagnostic[] = [];
  readonly translations: Translations = { load: 0, text: 0, linear: 0, pagetable: 0, failed: 0 };
  private readonly cache = new Map<bigint, number | null>();

  protected constructor(protected readonly dump: PhysicalDump) {}

  /** Translation of one 4 KiB-aligned virtual page without PT_LOADs: how, and where. */
  protected abstract translatePage(pageV: bigint, missing: MissingSink): Promise<{ kind: TranslationKind; paddr: number } | undefined>;

  abstract walkVirt(v: bigint, missing: MissingSink): Promise<number | undefined>;

  translatedPages(): bigint[] {
    return [...this.cache.keys()];
  }

  async vtop(v: bigint, missing: MissingSink): Promise<number | undefined> {
    const pageV = v & ~0xfffn;
    let p = this.cache.get(pageV);
    if (p === undefined) {
      let q = this.dump.loadVirtToPhys?.(pageV);
      if (q !== undefined) this.translations.load++;
      else {
        const t = await this.translatePage(pageV, missing);
        if (t !== undefined) {
          this.translations[t.kind]++;
          q = t.paddr;
        } else this.translations.failed++;
      }
      p = q ?? null;
      if (this.cache.size > 1 << 16) this.cache.clear();
      this.cache.set(pageV, p);
    }
    return p === null ? undefined : p + Number(v & 0xfffn);
  }

  async readVirt(vaddr: bigint, length: number, missing: MissingSink): Promise<Uint8Array> {
    if (length < 0 || length > 2 ** 31) throw new VmcoreError("bad-ring", `refusing to read ${length} bytes`);
    const out = new Uint8Array(length);
    // The pieces (one per page, or per PT_LOAD run) in order; read READ_AHEAD at a time
    // (positioned reads are round trips), their missing ranges reported in order.
    const pieces: Array<{ v: bigint; at: number; n: number }> = [];
    for (let done = 0; done < length; ) {
      const v = (vaddr + BigInt(done)) & MASK64;
      const inPage = PAGE - Number(v & 0xfffn);
      let n = Math.min(inPage, length - done);
      const run = this.dump.loadVirtRun?.(v);
      if (run !== undefined) n = Math.min(n, run.length);
      pieces.push({ v, at: done, n });
      done += n;
    }
    for (let i = 0; i < pieces.length; i += READ_AHEAD) {
      const batch = pieces.slice(i, i + READ_AHEAD);
      if (this.dump.prefetch && batch.length > 1) {
        const paddrs: number[] = [];
        for (const pc of batch) {
          if (this.dump.loadVirtRun?.(pc.v) !== undefined) continue;
          const pageV = pc.v & ~0xfffn;
          const known = this.cache.has(pageV);
          const p = await this.vtop(pc.v, () => undefined);
          if (p !== undefined) paddrs.push(p);
          else if (!known) {
            // Translate it again in readPiece, where what is missing gets reported.
            this.cache.delete(pageV);
            this.translations.failed--;
          }
        }
        if (paddrs.length > 1) await this.dump.prefetch(paddrs);
      }
      const results = await Promise.all(batch.map((pc) => this.readPiece(pc.v, pc.n)));
      results.forEach((r, k) => {
        for (const [a, n, why] of r.missing) missing(a, n, why);
        if (r.bytes) out.set(r.bytes, batch[k]!.at);
      });
    }
    return out;
  }

  /** One piece within a page: its bytes, or what is missing. */
  private async readPiece(v: bigint, n: number): Promise<{ bytes: Uint8Array | null; missing: Array<[number, number, string]> }> {
    const calls: Array<[number, number, string]> = [];
    const sink: MissingSink = (a, len, why) => calls.push([a, len, why]);
    // PT_LOAD virtual ranges first, exactly (segments need not start or end on page boundaries).
    const run = this.dump.loadVirtRun?.(v);
    if (run !== undefined) {
      this.translations.load++;
      return { bytes: await this.dump.readPhys(run.paddr, n, sink), missing: calls };
    }
    const p = await this.vtop(v, sink);
    if (p === undefined) {
      calls.push([-1, n, `virtual address ${v.toString(16)} is not mapped`]);
      return { bytes: null, missing: calls };
    }
    return { bytes: await this.dump.readPhys(p, n, sink), missing: calls };
  }

  /** One little-endian 64-bit page-table entry at a physical address, or undefined when it cannot be read. */
  protected async entry(addr: bigint, missing: MissingSink): Promise<bigint | undefined> {
    if (addr < 0n || addr + 8n > MAX_PHYS) return undefined;
    let bad = false;
    const b = await this.dump.readPhys(Number(addr), 8, (a, n, why) => {
      bad = true;
      missing(a, n, `page table: ${why}`);
    });
    if (bad) return undefined;
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
}

export function fmtSigned(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}
