/**
 * Symbolization's I/O half: finding and reading symbol objects (a vmlinux
 * with DWARF, module .ko files — also .ko.xz/.zst/.gz —, System.map and
 * /proc/kallsyms), and running addr2line on them. The planning and parsing
 * are pure (src/symbolize/resolve.ts).
 *
 * Engine: binutils `addr2line` (or its cross variants such as
 * `aarch64-linux-gnu-addr2line`), because only it resolves section-relative
 * addresses in a relocatable .ko (`-j .text.unlikely`); `llvm-symbolizer`
 * serves a vmlinux of an architecture no installed binutils reads. One
 * process per object and section per batch, addresses on its standard input.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { constants, createWriteStream, existsSync, readFileSync } from "node:fs";
import { access, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { ElfError, readElf, type ElfInfo } from "../symbolize/elf.js";
import { parseSymbolMap, tableFromElf } from "../symbolize/symtab.js";
import {
  frameInfo,
  normalizeModuleName,
  parseAddr2line,
  parseHex,
  parseSymQuery,
  planFrame,
  treeRelative,
  type SymAnswer,
  type LineQuery,
  type SourceLocation,
  type SymbolObject,
} from "../symbolize/resolve.js";
import type { Diagnostic, Frame, Incident, UnnamedResolution } from "../types.js";
import type { AddressLookup } from "../symbolize/symtab.js";
import { compressionOf } from "./compression.js";
import { openSource, readHead } from "./file.js";
import { FileRandomAccess } from "./vmcore.js";

export interface SymbolizerOptions {
  /** `--symbols`: vmlinux, .ko, directories of them, System.map, kallsyms. */
  symbols: readonly string[];
  /** Also look where distributions install debug symbols (default true). */
  auto?: boolean;
  /** Filesystem root for that automatic lookup (tests). */
  root?: string;
  /** `--source`: a kernel source tree, for path recognition and the faulting line. */
  source?: string;
  /** Use symbols even when their release differs from the log's. */
  force?: boolean;
  /** PATH to find the tools on (default: the process's). */
  path?: string;
  /** Per addr2line run; vmlinux DWARF can take a while to load. */
  timeoutMs?: number;
  /** Ask debuginfod (`debuginfod-find`, DEBUGINFOD_URLS) for objects by build id: network use. */
  debuginfod?: boolean;
}

/**
 * Per ELF machine: Debian's cross-binutils prefixes (`aarch64-linux-gnu-addr2line`)
 * and the BFD target names a (multiarch) `addr2line --help` lists when it reads them.
 */
const BINUTILS: Record<string, { triples: string[]; bfd: string[] }> = {
  x86_64: { triples: ["x86_64-linux-gnu"], bfd: ["elf64-x86-64"] },
  i386: { triples: ["i686-linux-gnu", "x86_64-linux-gnu"], bfd: ["elf32-i386"] },
  arm64: { triples: ["aarch64-linux-gnu"], bfd: ["elf64-littleaarch64"] },
  arm: { triples: ["arm-linux-gnueabihf", "arm-linux-gnueabi"], bfd: ["elf32-littlearm"] },
  riscv: { triples: ["riscv64-linux-gnu"], bfd: ["elf64-littleriscv"] },
  powerpc64: { triples: ["powerpc64le-linux-gnu", "powerpc64-linux-gnu"], bfd: ["elf64-powerpcle", "elf64-powerpc"] },
  powerpc: { triples: ["powerpc-linux-gnu"], bfd: ["elf32-powerpc"] },
  s390: { triples: ["s390x-linux-gnu"], bfd: ["elf64-s390"] },
  mips: { triples: ["mips64el-linux-gnuabi64", "mipsel-linux-gnu"], bfd: ["elf64-tradlittlemips", "elf32-tradlittlemips"] },
  loongarch: { triples: ["loongarch64-linux-gnu"], bfd: ["elf64-loongarch"] },
};

interface Engine {
  kind: "binutils" | "llvm";
  cmd: string;
}

async function which(cmd: string, path: string): Promise<string | null> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The tools that can answer for objects of one machine, best first. */
class Engines {
  private hostTargets: Promise<string> | null = null;
  private readonly cache = new Map<string, Promise<{ binutils: Engine | null; llvm: Engine | null }>>();
  constructor(private readonly path: string) {}

  private targets(addr2line: string): Promise<string> {
    this.hostTargets ??= run(addr2line, ["--help"], 10_000);
    return this.hostTargets;
  }

  forMachine(machine: string): Promise<{ binutils: Engine | null; llvm: Engine | null }> {
    let p = this.cache.get(machine);
    if (!p) {
      p = (async () => {
        let binutils: Engine | null = null;
        for (const t of BINUTILS[machine]?.triples ?? []) {
          const c = await which(`${t}-addr2line`, this.path);
          if (c) {
            binutils = { kind: "binutils", cmd: c };
            break;
          }
        }
        if (!binutils) {
          const c = await which("addr2line", this.path);
          if (c) {
            const supported = await this.targets(c);
            if ((BINUTILS[machine]?.bfd ?? []).some((t) => supported.includes(` ${t}`))) binutils = { kind: "binutils", cmd: c };
          }
        }
        const l = (await which("llvm-symbolizer", this.path)) ?? (await which("llvm-symbolizer-14", this.path));
        return { binutils, llvm: l ? { kind: "llvm", cmd: l } : null };
      })();
      this.cache.set(machine, p);
    }
    return p;
  }
}

/** What to install for a machine's binutils. */
function binutilsPackage(machine: string): string {
  const t = BINUTILS[machine]?.triples[0];
  return t ? `binutils (binutils-${t} for ${machine} objects on another host, or binutils-multiarch)` : "binutils-multiarch";
}

/**
 * A long-lived addr2line (or llvm-symbolizer in GNU mode) reading addresses
 * on stdin. It answers each address with a `0x...:` header line plus one
 * ` (inlined by)` line per inlined level, flushing after each; a batch is
 * complete when the header of a sentinel (the batch's last address, asked
 * again: already cached, so instant) arrives. Lines after the sentinel's
 * header belong to it and are dropped.
 */
class Addr2lineProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  dead = false;
  private why = "";
  private buf = "";
  private pending: Array<{ expect: number; seen: number; out: string[]; resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];

  constructor(cmd: string, args: readonly string[]) {
    this.child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (c: string) => this.onData(c));
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (c: string) => {
      if (this.why.length < 2000) this.why += c;
    });
    this.child.on("error", (e) => this.fail(e.message));
    this.child.on("close", (code) => this.fail(this.why.trim().split("\n")[0] || `exited with status ${code}`));
    this.child.stdin.on("error", () => {
      /* it exited: 'close' says why */
    });
  }

  ask(addrs: readonly bigint[], timeoutMs: number): Promise<string> {
    if (this.dead) return Promise.reject(new Error(this.why.trim().split("\n")[0] || "not running"));
    if (addrs.length === 0) return Promise.resolve("");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`no answer within ${Math.round(timeoutMs / 1000)} s`);
        this.stop();
      }, timeoutMs);
      this.pending.push({ expect: addrs.length + 1, seen: 0, out: [], resolve, reject, timer });
      const hex = addrs.map((a) => "0x" + a.toString(16));
      this.child.stdin.write(hex.join("\n") + "\n" + hex[hex.length - 1] + "\n");
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const p = this.pending[0];
      if (!p) continue; // the sentinel's inlined lines
      const header = line.startsWith("0x");
      if (header) p.seen++;
      if (p.seen === 0) continue; // leftovers of the previous sentinel
      if (p.seen === p.expect) {
        // The sentinel: the batch is complete.
        clearTimeout(p.timer);
        this.pending.shift();
        p.resolve(p.out.join("\n") + "\n");
        continue;
      }
      p.out.push(line);
    }
  }

  private fail(why: string): void {
    if (!this.why) this.why = why;
    this.dead = true;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
  }

  stop(): void {
    this.dead = true;
    this.child.stdin.end();
    this.child.kill();
  }
}

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.on("error", () => resolve(""));
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const MODULE_FILE = /^(.{1,200})\.ko(?:\.(?:xz|zst|gz))?$/;

interface Candidate {
  path: string;
  loaded?: Promise<SymbolObject | null>;
}

/**
 * A symbolizer: index of the symbol files given, objects loaded on first use,
 * temporary copies of compressed modules removed by close().
 */
export class Symbolizer {
  private readonly vmlinuxes: Candidate[] = [];
  private readonly maps: Candidate[] = [];
  private readonly modules = new Map<string, Candidate[]>();
  private readonly dirsWalked = new Set<string>();
  private readonly autoDone = new Set<string>();
  private readonly engines: Engines;
  private tmp: Promise<string> | null = null;
  private readonly reported = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];
  /** addr2line processes started, for the bench and tests. */
  runs = 0;
  /** One long-lived addr2line per object and section: DWARF is loaded once. */
  private readonly procs = new Map<string, Addr2lineProcess>();
  private copies = 0;

  private constructor(private readonly opts: SymbolizerOptions) {
    this.engines = new Engines(opts.path ?? process.env["PATH"] ?? "/usr/bin:/bin");
  }

  static async create(opts: SymbolizerOptions): Promise<Symbolizer> {
    const s = new Symbolizer(opts);
    for (const p of opts.symbols) await s.addPath(p, true);
    return s;
  }

  private diag(severity: Diagnostic["severity"], message: string, source?: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    const d: Diagnostic = { code: "symbols", severity, message };
    if (source !== undefined) d.source = source;
    this.diagnostics.push(d);
  }

  /** Adds a file or directory of symbols. */
  private async addPath(p: string, explicit: boolean): Promise<void> {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      if (explicit) this.diag("error", `--symbols ${p}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`, p);
      return;
    }
    if (st.isDirectory()) {
      await this.walk(p, 0);
      return;
    }
    const name = basename(p);
    const mod = MODULE_FILE.exec(name);
    if (mod) {
      this.addModule(normalizeModuleName(mod[1]!), p);
      return;
    }
    const head = await headOrEmpty(p, 8);
    if (head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
      this.vmlinuxes.push({ path: p });
    } else if (compressionOf(head) !== null) {
      this.vmlinuxes.push({ path: p }); // a compressed vmlinux: sorted out when loaded
    } else if (explicit || /^(?:System\.map|kallsyms)/.test(name)) {
      this.maps.push({ path: p });
    }
  }

  private addModule(name: string, path: string): void {
    const l = this.modules.get(name);
    if (l) {
      if (!l.some((c) => c.path === path)) l.push({ path });
    } else this.modules.set(name, [{ path }]);
  }

  private async walk(dir: string, depth: number): Promise<void> {
    if (depth > 12 || this.dirsWalked.has(dir) || this.dirsWalked.size > 20000) return;
    this.dirsWalked.add(dir);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (depth === 0) this.diag("error", `--symbols ${dir}: ${(e as Error).message}`, dir);
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== ".build-id" && e.name !== "source" && e.name !== "build") await this.walk(p, depth + 1);
      } else if (e.isFile() || e.isSymbolicLink()) {
        const mod = MODULE_FILE.exec(e.name);
        if (mod) this.addModule(normalizeModuleName(mod[1]!), p);
        else if (/^vmlinux(?:-|$|\.debug$)/.test(e.name)) this.vmlinuxes.push({ path: p });
        else if (/^System\.map(?:-|$)/.test(e.name)) this.maps.push({ path: p });
      }
    }
  }

  /** Where Debian, Fedora and others install symbols for a release. */
  private async autoDiscover(release: string): Promise<void> {
    if (this.opts.auto === false || this.autoDone.has(release) || !/^[A-Za-z0-9._+~-]{1,128}$/.test(release)) return;
    this.autoDone.add(release);
    const root = this.opts.root ?? "/";
    const files = [
      `usr/lib/debug/boot/vmlinux-${release}`,
      `usr/lib/debug/lib/modules/${release}/vmlinux`,
      `lib/modules/${release}/build/vmlinux`,
      `boot/System.map-${release}`,
    ];
    for (const f of files) {
      const p = join(root, f);
      if (existsSync(p) && !this.vmlinuxes.some((c) => c.path === p) && !this.maps.some((c) => c.path === p)) await this.addPath(p, false);
    }
    for (const d of [`usr/lib/debug/lib/modules/${release}`, `lib/modules/${release}`]) {
      const p = join(root, d);
      if (existsSync(p)) await this.walk(p, 0);
    }
  }

  private tmpDir(): Promise<string> {
    // Private to the user: module copies hold nothing secret, but no one else needs them.
    this.tmp ??= mkdtemp(join(tmpdir(), "kpanic-sym-"));
    return this.tmp;
  }

  /** Reads one object (decompressing a .ko.xz to a private temporary file first). */
  private async load(c: Candidate, kindHint: "vmlinux" | "module" | "map", module: string | null): Promise<SymbolObject | null> {
    if (kindHint === "map") {
      let text: string;
      try {
        text = readFileSync(c.path, "latin1");
      } catch (e) {
        this.diag("error", `${c.path}: ${(e as Error).message}`, c.path);
        return null;
      }
      const m = parseSymbolMap(text);
      if (m.table.size === 0) {
        this.diag("error", `${c.path}: not a System.map, kallsyms, vmlinux or module`, c.path);
        return null;
      }
      if (m.allZero) {
        this.diag("warning", `${c.path}: every address is 0 (kallsyms read without privilege): read /proc/kallsyms as root`, c.path);
      }
      const rel = /System\.map-(.{1,128})$/.exec(basename(c.path))?.[1] ?? null;
      // kallsyms (runtime addresses) rather than System.map (link-time): by name, or module entries.
      const runtime = /kallsyms/.test(basename(c.path)) || m.table.entries.some((e) => e.module !== undefined);
      return { path: c.path, displayPath: c.path, kind: "map", module: null, machine: null, release: rel, buildId: null, relocatable: false, hasDebugInfo: false, table: m.table, runtime };
    }
    let path = c.path;
    const head = await headOrEmpty(path, 8);
    if (compressionOf(head) !== null) {
      try {
        const dir = await this.tmpDir();
        const out = join(dir, `${this.copies++}-${basename(path).replace(/\.(?:xz|zst|gz)$/, "")}`);
        const src = await openSource(path);
        await pipeline(Readable.from(src.stream), createWriteStream(out, { mode: 0o600 }));
        path = out;
      } catch (e) {
        this.diag("error", `${c.path}: cannot decompress (${(e as Error).message})`, c.path);
        return null;
      }
    }
    let info: ElfInfo;
    let fra: FileRandomAccess | null = null;
    try {
      fra = await FileRandomAccess.open(path);
      info = await readElf(fra);
    } catch (e) {
      const why = e instanceof ElfError ? e.message : (e as Error).message;
      this.diag("error", `${c.path}: cannot read symbols: ${why}`, c.path);
      return null;
    } finally {
      await fra?.close();
    }
    if (info.symbols.length === 0) {
      this.diag("error", `${c.path}: has no symbol table (stripped); give the unstripped object (Debian: linux-image-<release>-dbg)`, c.path);
      return null;
    }
    if (!info.hasDebugInfo) {
      this.diag("warning", `${c.path}: has no DWARF line information (stripped of debug info): frames keep their names only; Debian ships it in linux-image-<release>-dbg`, c.path);
    }
    const isModule = info.type === 1;
    const modName = isModule ? normalizeModuleName(info.modinfo["name"] ?? module ?? moduleNameOf(basename(c.path))) : null;
    const release = info.release ?? /vmlinux-(.{1,128})$/.exec(basename(c.path))?.[1] ?? null;
    return {
      path,
      displayPath: c.path,
      kind: isModule ? "module" : "vmlinux",
      module: modName,
      machine: info.machine,
      release,
      buildId: info.buildId,
      relocatable: isModule,
      hasDebugInfo: info.hasDebugInfo,
      table: tableFromElf(info),
    };
  }

  private loaded(c: Candidate, kind: "vmlinux" | "module" | "map", module: string | null): Promise<SymbolObject | null> {
    c.loaded ??= this.load(c, kind, module);
    return c.loaded;
  }

  /** The release check: symbols of another build resolve to wrong lines. */
  private releaseOk(o: SymbolObject, release: string | null): boolean {
    if (!release || !o.release || o.release === release) return true;
    if (this.opts.force) {
      this.diag("warning", `${o.displayPath} is for release ${o.release}, the log is from ${release}; used anyway (--force-symbols)`, o.displayPath);
      return true;
    }
    this.diag("error", `${o.displayPath} is for release ${o.release}, but the log is from ${release}: give symbols of ${release}, or --force-symbols to use them anyway`, o.displayPath);
    return false;
  }

  private readonly byId = new Map<string, Promise<SymbolObject | null>>();

  /**
   * An object by build id: `.build-id/ab/cdef....debug` under /usr/lib/debug
   * and the directories given, then debuginfod when allowed.
   */
  private objectByBuildId(id: string, kind: "vmlinux" | "module", module: string | null): Promise<SymbolObject | null> {
    let p = this.byId.get(id);
    if (!p) {
      p = (async () => {
        const rel = join(".build-id", id.slice(0, 2), `${id.slice(2)}.debug`);
        const roots = [
          ...(this.opts.auto === false ? [] : [join(this.opts.root ?? "/", "usr/lib/debug")]),
          ...this.opts.symbols.flatMap((d) => [d, join(d, "usr/lib/debug")]),
        ];
        for (const r of roots) {
          const f = join(r, rel);
          if (existsSync(f)) {
            const o = await this.loaded({ path: f }, kind, module);
            if (o && o.buildId === id) return o;
          }
        }
        if (!this.opts.debuginfod) return null;
        const cmd = await which("debuginfod-find", this.opts.path ?? process.env["PATH"] ?? "");
        if (!cmd) {
          this.diag("error", "--debuginfod: debuginfod-find is not installed (Debian: apt install debuginfod)");
          return null;
        }
        if (!process.env["DEBUGINFOD_URLS"]) {
          this.diag("warning", "--debuginfod: DEBUGINFOD_URLS is not set, so debuginfod-find has no server to ask (e.g. DEBUGINFOD_URLS=https://debuginfod.debian.net)");
        }
        const out = (await run(cmd, ["debuginfo", id], this.opts.timeoutMs ?? 120_000)).trim().split("\n");
        const path = out.find((l) => l.startsWith("/") && existsSync(l));
        if (!path) {
          this.diag("warning", `debuginfod has no debug info for build id ${id}${module ? ` (${module})` : " (vmlinux)"}: ${out[out.length - 1] ?? ""}`.trim());
          return null;
        }
        const o = await this.loaded({ path }, kind, module);
        return o && o.buildId === id ? o : null;
      })();
      this.byId.set(id, p);
    }
    return p;
  }

  /**
   * The function containing a runtime address: kallsyms holds runtime
   * addresses; System.map and a vmlinux link-time ones (runtime minus the
   * KASLR offset).
   */
  private async nameAddress(addr: bigint, kaslr: bigint, release: string | null): Promise<{ hit: AddressLookup | null; object: SymbolObject | null; linkAddress: bigint; tables: number }> {
    const tables: SymbolObject[] = [];
    const k = await this.kernelObject(release);
    if (k) tables.push(k);
    for (const c of this.maps) {
      const o = await this.loaded(c, "map", null);
      if (o && o !== k) tables.push(o);
    }
    for (const o of tables) {
      const runtime = o.kind === "map" && o.runtime === true;
      const linkAddress = runtime ? addr : addr - kaslr;
      const hit = o.table.lookupAddress(linkAddress);
      if (hit) return { hit, object: o, linkAddress, tables: tables.length };
    }
    return { hit: null, object: null, linkAddress: addr - kaslr, tables: tables.length };
  }

  /** An object whose build id differs from the log's was built differently: its lines would lie. */
  private buildIdOk(o: SymbolObject, id: string | undefined): boolean {
    if (!id || !o.buildId || o.buildId === id) return true;
    if (this.opts.force) return true;
    this.diag("error", `${o.displayPath} has build id ${o.buildId}, but the log's ${o.module ?? "vmlinux"} has ${id}: give the matching object, or --force-symbols to use it anyway`, o.displayPath);
    return false;
  }

  /** The object for a frame (module or vmlinux), by build id when the log has one. */
  async objectFor(frame: Frame, inc: Incident): Promise<SymbolObject | null> {
    const release = inc.kernel.release;
    const id = frame.module ? frame.buildId : inc.kernel.buildId;
    let o = frame.module ? await this.moduleObject(frame.module, release) : await this.kernelObject(release);
    if (id && (!o || (o.buildId !== null && o.buildId !== id))) {
      o = (await this.objectByBuildId(id, frame.module ? "module" : "vmlinux", frame.module)) ?? o;
    }
    if (o && id && !this.buildIdOk(o, id)) return null;
    if (o && !this.releaseOk(o, release)) return null;
    return o;
  }

  /** The vmlinux (or failing that, a System.map) for a release. */
  async kernelObject(release: string | null): Promise<SymbolObject | null> {
    if (release) await this.autoDiscover(release);
    let fallback: SymbolObject | null = null;
    for (const c of this.vmlinuxes) {
      const o = await this.loaded(c, "vmlinux", null);
      if (!o || o.kind !== "vmlinux") continue;
      if (!release || o.release === release) return o;
      fallback ??= o;
    }
    for (const c of this.maps) {
      const o = await this.loaded(c, "map", null);
      if (!o) continue;
      if (!release || !o.release || o.release === release) return fallback ?? o;
      fallback ??= o;
    }
    if (fallback && this.releaseOk(fallback, release)) return fallback;
    return null;
  }

  async moduleObject(name: string, release: string | null): Promise<SymbolObject | null> {
    if (release) await this.autoDiscover(release);
    const cands = this.modules.get(normalizeModuleName(name)) ?? [];
    let fallback: SymbolObject | null = null;
    for (const c of cands) {
      const o = await this.loaded(c, "module", name);
      if (!o) continue;
      if (!release || !o.release || o.release === release) {
        if (o.hasDebugInfo) return o;
        fallback ??= o;
      } else if (!fallback && this.releaseOk(o, release)) fallback = o;
    }
    return fallback;
  }

  /** Runs addr2line for a batch of queries on one object and section. */
  private async lines(object: SymbolObject, section: string | null, addrs: bigint[]): Promise<Map<bigint, SourceLocation[]>> {
    const machine = object.machine ?? "x86_64";
    const { binutils, llvm } = await this.engines.forMachine(machine);
    let engine: Engine | null = binutils;
    if (!engine && !object.relocatable) engine = llvm;
    if (!engine) {
      this.diag(
        "error",
        `no addr2line that reads ${machine} ${object.relocatable ? "modules" : "objects"}: install ${binutilsPackage(machine)}${object.relocatable ? "" : " or llvm"}`,
      );
      return new Map();
    }
    const args =
      engine.kind === "binutils"
        ? ["-e", object.path, ...(section ? ["-j", section] : []), "-a", "-f", "-i", "-p"]
        : [`--obj=${object.path}`, "--output-style=GNU", "-a", "-f", "-i", "-p"];
    const key = `${object.path}\0${section ?? ""}`;
    let proc = this.procs.get(key);
    if (!proc || proc.dead) {
      proc = new Addr2lineProcess(engine.cmd, args);
      this.procs.set(key, proc);
      this.runs++;
    }
    try {
      return parseAddr2line(await proc.ask(addrs, this.opts.timeoutMs ?? 120_000));
    } catch (e) {
      this.diag("error", `${basename(engine.cmd)} failed on ${object.displayPath}: ${(e as Error).message}`, object.displayPath);
      return new Map();
    }
  }

  /** Makes a build path tree-relative, checking against --source when given. */
  private rel = (p: string): string => {
    const src = this.opts.source;
    return treeRelative(p, src ? (r) => existsSync(join(src, r)) : undefined);
  };

  /**
   * Adds `file`, `line` and `inlined` to every frame that can be resolved,
   * and an incident-level summary; the rest of each incident is untouched.
   */
  async symbolize(incidents: readonly Incident[]): Promise<void> {
    interface Job {
      incident: Incident;
      frame: Frame;
      query: LineQuery;
    }
    const jobs: Job[] = [];
    const unnamedOf = new Map<Frame, UnnamedResolution>();
    const perIncident = new Map<Incident, { total: number; reasons: string[]; objects: Set<string> }>();
    for (const inc of incidents) {
      const st = { total: 0, reasons: [] as string[], objects: new Set<string>() };
      perIncident.set(inc, st);
      const frames: Array<[Frame, boolean]> = [];
      if (inc.ip) frames.push([inc.ip, true]);
      // arm64 and others start the trace with the faulting pc itself: exact too.
      inc.frames.forEach((f, i) => frames.push([f, i === 0 && !!inc.ip && f.function === inc.ip.function && f.offset === inc.ip.offset && f.module === inc.ip.module]));
      for (const s of inc.stacks) for (const f of s.frames) frames.push([f, false]);
      // Bare addresses: named through kallsyms, or System.map/vmlinux after taking away the KASLR offset.
      if (inc.unnamed) {
        const u = inc.unnamed;
        const kaslr = parseHex(inc.kaslrOffset) ?? 0n;
        const items: Array<{ addr: string; exact: boolean; set: (r: UnnamedResolution) => void }> = [];
        if (u.ip) items.push({ addr: u.ip, exact: true, set: (r) => (u.ipResolved = r) });
        for (const f of u.frames) items.push({ addr: f.address, exact: false, set: (r) => (f.resolved = r) });
        for (const it of items) {
          const a = parseHex(it.addr);
          const named = a === null ? null : (await this.nameAddress(a, kaslr, inc.kernel.release)).hit;
          if (!named) {
            st.total++;
            addReason(st.reasons, `no function at ${it.addr}${inc.kaslrOffset ? "" : " (no 'Kernel Offset:' in the log: a KASLR kernel cannot be looked up in System.map or vmlinux)"}`);
            continue;
          }
          const res: UnnamedResolution = { function: named.symbol.name, offset: "0x" + named.offset.toString(16), module: named.symbol.module ?? null };
          it.set(res);
          const fr: Frame = { function: res.function, offset: res.offset, size: named.symbol.size ? "0x" + named.symbol.size.toString(16) : null, module: res.module, reliable: true, context: null };
          frames.push([fr, it.exact]);
          unnamedOf.set(fr, res);
        }
      }
      for (const [frame, exact] of frames) {
        st.total++;
        const obj = await this.objectFor(frame, inc);
        if (obj?.kind === "map") {
          addReason(st.reasons, `${obj.displayPath} has names only (no lines): give a vmlinux with debug info`);
          continue;
        }
        const plan = planFrame(frame, exact, obj ?? undefined);
        if ("unresolved" in plan) {
          addReason(st.reasons, plan.unresolved);
          continue;
        }
        if (plan.ambiguous > 1) addReason(st.reasons, `${plan.symbol}: ${plan.ambiguous} functions of that name and size; the first was used`);
        st.objects.add(obj!.displayPath);
        jobs.push({ incident: inc, frame, query: plan.query });
      }
    }
    // One addr2line per object and section for the whole batch.
    const groups = new Map<string, Job[]>();
    for (const j of jobs) {
      const k = `${j.query.object.path}\0${j.query.section ?? ""}`;
      const g = groups.get(k);
      if (g) g.push(j);
      else groups.set(k, [j]);
    }
    const resolved = new Map<Incident, number>();
    for (const g of groups.values()) {
      const { object, section } = g[0]!.query;
      const addrs = [...new Set(g.map((j) => j.query.address))];
      const res = await this.lines(object, section, addrs);
      for (const j of g) {
        const locs = res.get(j.query.address);
        const info = locs ? frameInfo(locs, this.rel) : null;
        if (!info) {
          addReason(perIncident.get(j.incident)!.reasons, object.hasDebugInfo ? `no line for ${j.frame.function} in ${object.displayPath}` : `${object.displayPath} has no debug info`);
          continue;
        }
        const target: Frame | UnnamedResolution = unnamedOf.get(j.frame) ?? j.frame;
        target.file = info.file;
        target.line = info.line;
        if (info.inlined.length > 0) target.inlined = info.inlined;
        resolved.set(j.incident, (resolved.get(j.incident) ?? 0) + 1);
      }
    }
    for (const inc of incidents) {
      const st = perIncident.get(inc)!;
      // Without --symbols, say nothing unless automatic lookup found some.
      if (st.total === 0 || (st.objects.size === 0 && this.opts.symbols.length === 0)) continue;
      const n = resolved.get(inc) ?? 0;
      inc.symbolization = { resolved: n, unresolved: st.total - n, reasons: st.reasons, objects: [...st.objects] };
      const src = this.opts.source;
      const top = inc.ip?.file ? inc.ip : inc.frames.find((f) => f.file);
      if (src && top?.file && top.line) {
        const inner = top.inlined?.[0];
        const file = inner?.file && inner.line ? inner.file : top.file;
        const line = inner?.file && inner.line ? inner.line : top.line;
        const text = sourceLine(join(src, file), line);
        if (text !== null) inc.symbolization.source = { file, line, text };
      }
    }
  }

  /** Every module object given explicitly or found so far (loaded on demand). */
  private async allModules(): Promise<SymbolObject[]> {
    const out: SymbolObject[] = [];
    for (const [name, cands] of this.modules) {
      for (const c of cands) {
        const o = await this.loaded(c, "module", name);
        if (o) out.push(o);
      }
    }
    return out;
  }

  /**
   * `kpanic sym`: func+off (through the function's start) or an address
   * (through the vmlinux symbol table, System.map or kallsyms, after taking
   * away `kernelOffset`, the KASLR shift printed as `Kernel Offset:`).
   */
  async sym(queries: readonly string[], opts: { kernelOffset?: bigint; release?: string | null } = {}): Promise<SymAnswer[]> {
    const release = opts.release ?? null;
    const answers: SymAnswer[] = [];
    const pending: Array<{ a: SymAnswer; q: LineQuery }> = [];
    for (const q of queries) {
      const a: SymAnswer = { query: q, function: null, offset: null, module: null, address: null, file: null, line: null, inlined: [], error: null };
      answers.push(a);
      const pq = parseSymQuery(q);
      if (!pq) {
        a.error = "not a symbol (func, func+0x16, func+0x14/0x53 [mod]) or an address (0xffffffff81234567)";
        continue;
      }
      let object: SymbolObject | null;
      let frame: Frame;
      if (pq.kind === "address") {
        a.address = "0x" + pq.address.toString(16);
        const named = await this.nameAddress(pq.address, opts.kernelOffset ?? 0n, release);
        if (!named.hit || !named.object) {
          a.error = named.tables === 0 ? "no vmlinux, System.map or kallsyms to look addresses up in" : `no function at ${a.address}${opts.kernelOffset ? " (after taking away the kernel offset)" : " (a KASLR kernel? give --kernel-offset from the log's 'Kernel Offset:' line)"}`;
          continue;
        }
        const { symbol, offset } = named.hit;
        a.function = symbol.name;
        a.offset = Number(offset);
        a.module = symbol.module ?? null;
        if (named.object.kind === "vmlinux") {
          pending.push({ a, q: { object: named.object, section: null, address: named.linkAddress } });
          continue;
        }
        if (!symbol.module) {
          const k = await this.kernelObject(release);
          if (k?.kind !== "vmlinux") continue; // names only
        }
        frame = { function: symbol.name, offset: "0x" + offset.toString(16), size: symbol.size ? "0x" + symbol.size.toString(16) : null, module: symbol.module ?? null, reliable: true, context: null };
      } else {
        a.function = pq.function;
        a.offset = Number(pq.offset);
        a.module = pq.module;
        frame = { function: pq.function, offset: "0x" + pq.offset.toString(16), size: pq.size === null ? null : "0x" + pq.size.toString(16), module: pq.module, reliable: true, context: null };
      }
      if (frame.module) object = await this.moduleObject(frame.module, release);
      else {
        const k = await this.kernelObject(release);
        const cands = [...(k && k.kind === "vmlinux" ? [k] : []), ...(await this.allModules())];
        object = cands.find((o) => o.table.lookupName(frame.function, null).matches.length > 0) ?? cands[0] ?? k;
        if (object?.kind === "module") a.module = object.module;
      }
      if (object?.kind === "map") {
        a.error = `${object.displayPath} has names only: give a vmlinux with debug info for file and line`;
        continue;
      }
      const plan = planFrame(frame, true, object ?? undefined);
      if ("unresolved" in plan) {
        a.error = plan.unresolved;
        continue;
      }
      if (!plan.query.object.relocatable) a.address ??= "0x" + plan.query.address.toString(16);
      pending.push({ a, q: plan.query });
    }
    // One addr2line per object and section, as for incidents.
    const groups = new Map<string, Array<{ a: SymAnswer; q: LineQuery }>>();
    for (const p of pending) {
      const k = `${p.q.object.path}\0${p.q.section ?? ""}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const g of groups.values()) {
      const { object, section } = g[0]!.q;
      const res = await this.lines(object, section, [...new Set(g.map((p) => p.q.address))]);
      for (const { a, q } of g) {
        this.fill(a, res.get(q.address));
        if (!a.file) a.error = object.hasDebugInfo ? "no line information at that address" : `${object.displayPath} has no debug info`;
      }
    }
    return answers;
  }

  private fill(a: SymAnswer, locs: SourceLocation[] | undefined): void {
    const info = locs ? frameInfo(locs, this.rel) : null;
    if (!info) return;
    a.file = info.file;
    a.line = info.line;
    a.inlined = info.inlined;
  }

  /** Stops the addr2line processes and removes the temporary copies of decompressed modules. */
  async close(): Promise<void> {
    for (const p of this.procs.values()) p.stop();
    this.procs.clear();
    if (this.tmp) {
      const d = await this.tmp.catch(() => null);
      this.tmp = null;
      if (d) await rm(d, { recursive: true, force: true });
    }
  }
}

/** `lkdtm.ko.xz` → `lkdtm`. */
function moduleNameOf(file: string): string {
  const i = file.indexOf(".ko");
  return i > 0 ? file.slice(0, i) : file;
}

function addReason(reasons: string[], r: string): void {
  if (reasons.length < 8 && !reasons.includes(r)) reasons.push(r);
}

function sourceLine(path: string, line: number): string | null {
  try {
    const lines = readFileSync(path, "utf8").split("\n");
    const t = lines[line - 1];
    return t === undefined ? null : t.trimEnd();
  } catch {
    return null;
  }
}

async function headOrEmpty(path: string, n: number): Promise<Uint8Array> {
  return readHead(path, n).catch(() => new Uint8Array(0));
}
