/**
 * VMCOREINFO: the `KEY=value` lines the kernel exports for dump tools
 * (kernel/vmcore_info.c, arch_crash_save_vmcoreinfo). Only these are used to
 * read the log: no debug symbols.
 */
import type { VmcoreDiagnostic } from "./io.js";

export interface VmcoreInfo {
  osrelease?: string;
  buildId?: string;
  pageSize?: number;
  /** KERNELOFFSET= (KASLR slide of the kernel text). */
  kernelOffset?: bigint;
  /** CRASHTIME= seconds since the epoch. */
  crashTime?: number;
  symbols: Map<string, bigint>;
  sizes: Map<string, number>;
  offsets: Map<string, number>;
  numbers: Map<string, bigint>;
  lengths: Map<string, number>;
  /** Every line as given, for `info --raw`. */
  raw: Map<string, string>;
  diagnostics: VmcoreDiagnostic[];
}

const HEX = /^(?:0x)?[0-9a-f]{1,16}$/i;
const DEC = /^-?[0-9]{1,20}$/;
const SHEX = /^-?0x[0-9a-f]{1,16}$/i;

function parseHex(v: string): bigint | undefined {
  if (!HEX.test(v)) return undefined;
  return BigInt(v.startsWith("0x") || v.startsWith("0X") ? v : `0x${v}`);
}

/** Decimal, or 0x-hex (arm64 prints some NUMBER()s in hex), signed. */
function parseNum(v: string): bigint | undefined {
  if (DEC.test(v)) return BigInt(v);
  if (SHEX.test(v)) return v.startsWith("-") ? -BigInt(v.slice(1)) : BigInt(v);
  return undefined;
}

/** Inner name of `KIND(name)`, or undefined. */
function inner(key: string, kind: string): string | undefined {
  if (key.length > kind.length + 2 && key.startsWith(`${kind}(`) && key.endsWith(")")) return key.slice(kind.length + 1, -1);
  return undefined;
}

/** Parses the note text. Never throws: bad lines become diagnostics. Input is capped at 1 MiB. */
export function parseVmcoreinfo(text: string): VmcoreInfo {
  const info: VmcoreInfo = {
    symbols: new Map(),
    sizes: new Map(),
    offsets: new Map(),
    numbers: new Map(),
    lengths: new Map(),
    raw: new Map(),
    diagnostics: [],
  };
  const bad = (line: string): void => {
    if (info.diagnostics.length < 20) {
      info.diagnostics.push({ code: "bad-vmcoreinfo", severity: "warning", message: `VMCOREINFO: ignoring malformed line ${JSON.stringify(line.slice(0, 120))}` });
    }
  };
  for (const line of text.slice(0, 1 << 20).split("\n")) {
    if (line === "" || line === "\0") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      bad(line);
      continue;
    }
    const key = line.slice(0, eq);
    let end = line.length;
    while (end > eq + 1 && line.charCodeAt(end - 1) === 0) end--;
    const value = line.slice(eq + 1, end);
    info.raw.set(key, value);
    let name: string | undefined;
    if ((name = inner(key, "SYMBOL")) !== undefined) {
      const v = parseHex(value);
      if (v === undefined) bad(line);
      else info.symbols.set(name, v);
    } else if ((name = inner(key, "SIZE")) !== undefined || (name = inner(key, "OFFSET")) !== undefined || (name = inner(key, "LENGTH")) !== undefined) {
      const v = parseNum(value);
      const map = key.startsWith("SIZE") ? info.sizes : key.startsWith("OFFSET") ? info.offsets : info.lengths;
      if (v === undefined || v < -(1n << 40n) || v > 1n << 40n) bad(line);
      else map.set(name, Number(v));
    } else if ((name = inner(key, "NUMBER")) !== undefined) {
      const v = parseNum(value);
      if (v === undefined) bad(line);
      else info.numbers.set(name, v);
    } else if (key === "OSRELEASE") info.osrelease = value;
    else if (key === "BUILD-ID") info.buildId = value;
    else if (key === "PAGESIZE") {
      const v = parseNum(value);
      if (v === undefined || v < 512n || v > 1n << 24n || (v & (v - 1n)) !== 0n) bad(line);
      else info.pageSize = Number(v);
    } else if (key === "KERNELOFFSET") {
      const v = parseHex(value);
      if (v === undefined) bad(line);
      else info.kernelOffset = v;
    } else if (key === "CRASHTIME") {
      const v = parseNum(value);
      if (v === undefined || v < 0n || v > 1n << 40n) bad(line);
      else info.crashTime = Number(v);
    }
  }
  return info;
}
