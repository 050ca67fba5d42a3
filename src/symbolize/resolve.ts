/**
 * The pure half of symbolization: which object, section and address a
 * backtrace frame means; parsing addr2line's answers; turning build paths into
 * kernel-tree paths; attaching the results to frames. The I/O half (reading
 * objects, running addr2line) is src/sources/symbolizer.ts.
 *
 * Resolution goes through the function's own start (`func+off/size`), never
 * through runtime addresses, so KASLR and module load addresses do not matter.
 */
import type { Frame, InlinedFrame } from "../types.js";
import type { SymbolTable } from "./symtab.js";

/** One object whose symbols and lines can be asked for. */
export interface SymbolObject {
  /** The path addr2line is run on (a decompressed temporary copy for .ko.xz). */
  path: string;
  /** What the user named (for messages). */
  displayPath: string;
  kind: "vmlinux" | "module" | "map";
  /** Module name (`lkdtm`), null for vmlinux and maps. */
  module: string | null;
  machine: string | null;
  release: string | null;
  buildId: string | null;
  /** Section-relative addresses (a relocatable .ko): addr2line needs `-j section`. */
  relocatable: boolean;
  hasDebugInfo: boolean;
  table: SymbolTable;
  /** A map of runtime addresses (/proc/kallsyms) rather than link-time ones (System.map). */
  runtime?: boolean;
}

export interface LineQuery {
  object: SymbolObject;
  /** The section for relocatable objects, else null. */
  section: string | null;
  address: bigint;
}

export type FramePlan = { query: LineQuery; symbol: string; ambiguous: number } | { unresolved: string };

export function parseHex(s: string | null | undefined): bigint | null {
  if (!s) return null;
  const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(s);
  return m ? BigInt("0x" + m[1]!) : null;
}

/** Module names are printed with `_`; file names may use `-`. */
export function normalizeModuleName(name: string): string {
  return name.replace(/-/g, "_");
}

/**
 * Where a `func+off/size [mod]` frame points. `exact` is for the faulting IP
 * (RIP, pc); other frames hold return addresses, looked up at addr-1 so a call
 * that ends a function is not attributed to the next line or function.
 */
export function planFrame(frame: Frame, exact: boolean, object: SymbolObject | undefined): FramePlan {
  if (!object) return { unresolved: frame.module ? `no symbols for module ${frame.module}` : "no vmlinux symbols" };
  const off = parseHex(frame.offset);
  const size = parseHex(frame.size);
  if (off === null) return { unresolved: "the frame has no offset" };
  const { matches, sizeMismatch } = object.table.lookupName(frame.function, size === null ? null : Number(size));
  if (matches.length === 0) return { unresolved: `${frame.function} is not in ${object.displayPath}` };
  if (sizeMismatch) {
    return {
      unresolved: `${frame.function} has size ${frame.size} in the log but 0x${(matches[0]!.size ?? 0).toString(16)} in ${object.displayPath}: the symbols are from a different build`,
    };
  }
  const sym = matches[0]!;
  const limit = Math.max(sym.size ?? 0, sym.span ?? 0, size === null ? 0 : Number(size));
  if (limit > 0 && off > BigInt(limit)) return { unresolved: `offset ${frame.offset} is past the end of ${frame.function}` };
  const back = !exact && off > 0n ? 1n : 0n;
  return { query: { object, section: sym.section, address: sym.address + off - back }, symbol: sym.name, ambiguous: matches.length };
}

export interface SourceLocation {
  function: string | null;
  file: string | null;
  line: number | null;
}

/**
 * Parses `addr2line -a -f -i -p` output: per address a line
 * `0x0000000000000c39: func at /path/file.c:265` and one
 * ` (inlined by) caller at /path/file.c:37` line per enclosing inlined call.
 * Returns one location list per address, innermost first.
 */
export function parseAddr2line(out: string): Map<bigint, SourceLocation[]> {
  const res = new Map<bigint, SourceLocation[]>();
  let cur: SourceLocation[] | null = null;
  for (const raw of out.split("\n")) {
    const line = raw.replace(/\r$/, "");
    let m = /^0x([0-9a-fA-F]{1,16}): (.{0,2048})$/.exec(line);
    if (m) {
      cur = [];
      const addr = BigInt("0x" + m[1]!);
      if (!res.has(addr)) res.set(addr, cur);
      else cur = res.get(addr)!;
      if (cur.length > 0) cur = [];
      cur.push(parseLocation(m[2]!));
      continue;
    }
    m = /^ {0,4}\(inlined by\) (.{0,2048})$/.exec(line);
    if (m && cur) cur.push(parseLocation(m[1]!));
  }
  return res;
}

function parseLocation(s: string): SourceLocation {
  // "func at file:line (discriminator N)", "?? ??:0", "func at ??:?"
  const at = s.lastIndexOf(" at ");
  const func = at >= 0 ? s.slice(0, at) : s.split(" ")[0] ?? "";
  let where = at >= 0 ? s.slice(at + 4) : "";
  where = where.replace(/ \(discriminator [0-9]{1,10}\)$/, "");
  const colon = where.lastIndexOf(":");
  const file = colon > 0 ? where.slice(0, colon) : where;
  const lineNo = colon > 0 ? Number.parseInt(where.slice(colon + 1), 10) : NaN;
  return {
    function: func && func !== "??" ? func : null,
    file: file && file !== "??" ? file : null,
    line: Number.isFinite(lineNo) && lineNo > 0 ? lineNo : null,
  };
}

/** Top-level directories of the kernel tree that hold code a backtrace can point into. */
const TREE_DIRS = new Set([
  "arch", "block", "crypto", "drivers", "fs", "include", "init", "io_uring", "ipc",
  "kernel", "lib", "mm", "net", "rust", "security", "sound", "virt",
]);

/**
 * A build path relative to the kernel tree: `/build/linux-6.1/drivers/x.c` →
 * `drivers/x.c`, `debian/build/build_amd64_none_amd64/fs/x.c` → `fs/x.c`.
 * With `exists` (a --source tree), the first split whose rest exists wins;
 * otherwise the first tree directory after a non-empty prefix. Unrecognisable
 * paths are returned as they are.
 */
export function treeRelative(path: string, exists?: (rel: string) => boolean): string {
  const p = path.replace(/^(?:\.\/)+/, "");
  const parts = p.split("/");
  const absolute = p.startsWith("/");
  if (!absolute && TREE_DIRS.has(parts[0]!) && !exists) return p;
  const candidates: string[] = [];
  if (!absolute && TREE_DIRS.has(parts[0]!)) candidates.push(p);
  // A prefix of at least one directory (`/build/linux-6.1/`, Debian's `debian/build/build_amd64_none_amd64/`).
  for (let i = absolute ? 2 : 1; i < parts.length - 1; i++) {
    if (TREE_DIRS.has(parts[i]!)) candidates.push(parts.slice(i).join("/"));
  }
  if (exists) {
    for (const c of candidates) if (exists(c)) return c;
  }
  return candidates[0] ?? p;
}

export interface ResolvedFrameInfo {
  file: string;
  line: number | null;
  inlined: InlinedFrame[];
}

/**
 * addr2line's answer for one frame → the frame's own `file:line` (the
 * outermost location: the function itself) and the inlined chain (innermost
 * first), each path made tree-relative.
 */
export function frameInfo(locs: readonly SourceLocation[], rel: (p: string) => string): ResolvedFrameInfo | null {
  const known = locs.filter((l) => l.file !== null);
  if (known.length === 0) return null;
  const outer = locs[locs.length - 1]!;
  if (outer.file === null) return null;
  const inlined: InlinedFrame[] = [];
  for (const l of locs.slice(0, -1)) {
    inlined.push({ function: l.function ?? "??", file: l.file === null ? null : rel(l.file), line: l.line });
  }
  return { file: rel(outer.file), line: outer.line, inlined };
}

/** A `kpanic sym` query: `func`, `func+0x16`, `func+22`, `func+0x14/0x53 [mod]`, `mod:func+off`, or an address. */
export type SymQuery =
  | { kind: "symbol"; function: string; offset: bigint; size: bigint | null; module: string | null }
  | { kind: "address"; address: bigint };

const SYM_QUERY =
  /^(?:(?<mod>[A-Za-z0-9_-]{1,64}):)?(?<func>[A-Za-z_.$][A-Za-z0-9_.$]{0,255})(?:\+(?<off>0x[0-9a-fA-F]{1,16}|[0-9]{1,20})(?:\/(?<size>0x[0-9a-fA-F]{1,16}))?)?(?: \[(?<mod2>[A-Za-z0-9_-]{1,64})\])?$/;

export function parseSymQuery(q: string): SymQuery | null {
  const t = q.trim();
  const a = /^(?:0x([0-9a-fA-F]{1,16})|([0-9a-fA-F]{8,16}))$/.exec(t);
  if (a) return { kind: "address", address: BigInt("0x" + (a[1] ?? a[2])!) };
  const m = SYM_QUERY.exec(t);
  if (!m?.groups) return null;
  const g = m.groups;
  const off = g["off"] ? BigInt(g["off"]) : 0n;
  const size = g["size"] ? BigInt(g["size"]) : null;
  const mod = g["mod"] ?? g["mod2"] ?? null;
  return { kind: "symbol", function: g["func"]!, offset: off, size, module: mod ? normalizeModuleName(mod) : null };
}

/** What `kpanic sym` answers for one query. */
export interface SymAnswer {
  query: string;
  function: string | null;
  offset: number | null;
  module: string | null;
  /** The address asked for, or the link-time address of func+off in a vmlinux. */
  address: string | null;
  file: string | null;
  line: number | null;
  inlined: InlinedFrame[];
  error: string | null;
}

/** crash's `sym` style: `sysrq_handle_crash+22 drivers/tty/sysrq.c: 155`. */
export function formatSymAnswer(a: SymAnswer): string {
  if (a.error) return `${a.query}: ${a.error}`;
  const head = a.address && parseSymQuery(a.query)?.kind === "address" ? `${a.address.replace(/^0x/, "")} ` : "";
  const fn = `${a.function}+${a.offset ?? 0}${a.module ? ` [${a.module}]` : ""}`;
  const where = a.file ? ` ${a.file}: ${a.line ?? "?"}` : "";
  const lines = [`${head}${fn}${where}`];
  for (const i of a.inlined) lines.push(`    inlined: ${i.function}${i.file ? ` ${i.file}: ${i.line ?? "?"}` : ""}`);
  return lines.join("\n");
}
