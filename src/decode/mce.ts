/**
 * x86 machine-check bank status (IA32_MCi_STATUS) in words: the flag bits and
 * the architectural MCA error code (bits 15:0). Facts from the Intel SDM vol. 3B
 * ch. 16 ("Interpreting the MCA Error Codes") and arch/x86/include/asm/mce.h.
 * Model-specific bits (31:16 and 52:38) are not decoded.
 */

import type { MceStatusInfo } from "../types.js";

export type { MceStatusInfo };

const FLAG_BITS: Array<[number, string]> = [
  [63, "VAL"],
  [62, "OVER"],
  [61, "UC"],
  [60, "EN"],
  [59, "MISCV"],
  [58, "ADDRV"],
  [57, "PCC"],
  [56, "S"],
  [55, "AR"],
];

const MEM_OPS = ["generic", "read", "write", "address/command", "scrubbing"];
const CACHE_OPS = ["generic", "read", "write", "data read", "data write", "instruction fetch", "prefetch", "eviction", "snoop"];
const TT = ["instruction", "data", "generic"];
const LL = ["L0", "L1", "L2", "generic level"];
const PP = ["local processor originated", "local processor responded", "local processor observed", "generic"];
const II = ["memory access", "reserved", "I/O", "other transaction"];

/** The architectural meaning of an MCA error code (bits 15:0). */
export function mcaErrorCode(code: number): string {
  const c = code & 0xefff; // bit 12: corrected-error filtering, not part of the class
  if (c === 0) return "no error";
  if (c === 1) return "unclassified error";
  if (c === 2) return "microcode ROM parity error";
  if (c === 3) return "external error (BINIT# from another processor)";
  if (c === 4) return "functional redundancy check error";
  if (c === 5) return "internal parity error";
  if (c === 6) return "SMM handler code access violation";
  if (c === 0x400) return "internal timer error";
  if ((c & 0xfc00) === 0x400) return "internal unclassified error";
  if (c & 0x800) {
    const pp = (c >> 9) & 3;
    const t = (c >> 8) & 1;
    const r = (c >> 4) & 0xf;
    const ii = (c >> 2) & 3;
    return `bus/interconnect error: ${CACHE_OPS[r] ?? `request ${r}`}, ${II[ii]}, ${PP[pp]}${t ? ", timeout" : ""} (${LL[c & 3]})`;
  }
  if (c & 0x100) {
    const r = (c >> 4) & 0xf;
    return `cache hierarchy error: ${CACHE_OPS[r] ?? `request ${r}`} in the ${LL[c & 3]} ${TT[(c >> 2) & 3] ?? "?"} cache`;
  }
  if (c & 0x80) {
    const m = (c >> 4) & 7;
    const ch = c & 0xf;
    return `memory controller ${MEM_OPS[m] ?? `operation ${m}`} error (${ch === 0xf ? "channel unknown" : `channel ${ch}`})`;
  }
  if ((c & 0xfff0) === 0x10) return `TLB error: ${TT[(c >> 2) & 3] ?? "?"} TLB, ${LL[c & 3]}`;
  return "model-specific or unknown error code";
}

/** Decodes a bank status as the kernel prints it ("be00000000000150"); null when it is not hex. */
export function decodeMceStatus(hex: string): MceStatusInfo | null {
  const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(hex.trim());
  if (!m) return null;
  const v = BigInt("0x" + m[1]!);
  const flags = FLAG_BITS.filter(([b]) => ((v >> BigInt(b)) & 1n) === 1n).map(([, n]) => n);
  const has = (f: string): boolean => flags.includes(f);
  const code = Number(v & 0xffffn);
  const error = mcaErrorCode(code);
  const corrected = has("VAL") && !has("UC");
  let severity: string;
  if (!has("VAL")) severity = "no valid error logged";
  else if (corrected) severity = "corrected error";
  else if (has("PCC")) severity = "uncorrected error, processor context corrupt (the CPU cannot continue)";
  else if (has("S") && has("AR")) severity = "uncorrected error, recovery action required (SRAR)";
  else if (has("S")) severity = "uncorrected error, no action required (SRAO)";
  else severity = "uncorrected error";
  const extra = [has("OVER") ? "an earlier error was overwritten" : "", has("ADDRV") ? "address valid" : ""].filter(Boolean);
  return {
    status: "0x" + m[1]!.toLowerCase().padStart(16, "0"),
    flags,
    corrected,
    errorCode: "0x" + code.toString(16).padStart(4, "0"),
    error,
    summary: `${severity}: ${error}${extra.length ? ` (${extra.join(", ")})` : ""}`,
  };
}
