/**
 * What every dump format gives the log decoder: physical memory, the
 * VMCOREINFO note text, and what the format itself says about the dump.
 */
import type { VmcoreDiagnostic } from "./io.js";

export type DumpFormat = "kdump-compressed" | "kdump-flattened" | "elf64";

/** Called for each physical range that could not be read (excluded, not in the dump, truncated, corrupt). */
export type MissingSink = (paddr: number, length: number, why: string) => void;

export interface PhysicalDump {
  format: DumpFormat;
  /** Human description of the variant: "kdump-compressed v6, zlib", "ELF64 (QEMU dump-guest-memory)". */
  description: string;
  vmcoreinfo: string | null;
  /** From the kdump sub-header (may be negative with KASLR); undefined for ELF. */
  physBase?: bigint;
  /** makedumpfile -d level, when the format records it. */
  dumpLevel?: number;
  /** Page size of the dump format (block size), when it has one. */
  blockSize?: number;
  /** False when the dump says it is incomplete or the file is shorter than its headers say. */
  complete: boolean;
  utsname?: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string };
  /** Dump creation time (kdump header timestamp), seconds since the epoch. */
  timestamp?: number;
  diagnostics: VmcoreDiagnostic[];
  /** Virtual-to-physical from the ELF program headers, where they carry virtual addresses. */
  loadVirtToPhys?(vaddr: bigint): number | undefined;
  /** The same, with the number of bytes the segment maps contiguously from there. */
  loadVirtRun?(vaddr: bigint): { paddr: number; length: number } | undefined;
  /**
   * Physical memory; ranges that cannot be read are zero-filled and reported
   * to `missing`.
   */
  readPhys(paddr: number, length: number, missing: MissingSink): Promise<Uint8Array>;
  /**
   * A hint: these physical addresses are about to be read. A dump whose pages
   * lie back to back in the file reads them in a few large reads instead of
   * one per page; errors are left for readPhys to report.
   */
  prefetch?(paddrs: readonly number[]): Promise<void>;
  /** The physical ranges the dump holds data for, as far as its file goes (for scanning it whole). */
  physRanges?(): Promise<Array<{ start: number; length: number }>>;
}
