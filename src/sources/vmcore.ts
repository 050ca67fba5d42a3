/**
 * vmcore files: positioned reads (fs.open + read at offsets; a dump is never
 * read whole) for the readers in src/vmcore, and the kernel log of a vmcore as
 * a text stream for the analyser.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import { formatMakedumpfile, inspectVmcore, readVmcoreLog, sniffVmcore, type RandomAccess, type ReadStats, type VmcoreDiagnostic, type VmcoreInspection, type VmcoreLog } from "../vmcore/index.js";
import type { RingOptions } from "../vmcore/printk.js";
import { compressionOf, type Compression } from "./compression.js";
import { describeFsError, SourceError } from "./errors.js";
import { FileRandomAccess } from "./random-access.js";
import { releaseTempDir, trackTempDir } from "./tempdirs.js";

export { FileRandomAccess };

/** The first 64 bytes of a file; null when it cannot be read. */
async function readHeadOf(path: string): Promise<Uint8Array | null> {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const b = Buffer.alloc(64);
    return b.subarray(0, readSync(fd, b, 0, 64, 0));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The first bytes of a file say whether it is a vmcore (ELF core, KDUMP, flattened); compressed files are not looked into. */
export async function isVmcoreFile(path: string): Promise<boolean> {
  const h = await readHeadOf(path);
  return h !== null && sniffVmcore(h) !== null;
}

/** A wrapped dump decompressed to a private temporary file. */
export interface Unwrapped {
  /** The temporary copy (mode 0600 in a mode 0700 directory). */
  path: string;
  wrapping: Compression;
  /** Decompressed size. */
  bytes: number;
  ms: number;
  remove(): Promise<void>;
}

/** What reading a vmcore file may announce before it is done (a long decompression). */
export interface VmcoreFileOptions extends RingOptions {
  /** Called before a compressed dump is decompressed to a temporary file. */
  notice?: ((message: string) => void) | undefined;
}

/**
 * A compressed file (gzip, xz, zstd, bzip2) whose content starts like a
 * vmcore, decompressed as a stream into a private temporary file: none of
 * these wrappings allows reading a page in place (gzip and bzip2 streams have
 * no index; xz and zstd ones only when written in independent blocks, which
 * the usual tools do not), and the readers need positioned reads. null when
 * the content is not a vmcore (a compressed log). The caller removes the copy.
 */
export async function unwrapVmcore(path: string, wrapping: Compression, notice?: (message: string) => void): Promise<Unwrapped | null> {
  const { openSource } = await import("./file.js");
  const { mkdtemp, open, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const src = await openSource(path);
  const it = src.stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let have = 0;
  try {
    while (have < 64) {
      const r = await it.next();
      if (r.done) break;
      const c = typeof r.value === "string" ? Buffer.from(r.value, "latin1") : r.value;
      head.push(c);
      have += c.length;
    }
    if (sniffVmcore(Buffer.concat(head).subarray(0, 64)) === null) return null;
    const t0 = process.hrtime.bigint();
    const dir = await mkdtemp(join(tmpdir(), "kpanic-vmcore-"));
    trackTempDir(dir);
    notice?.(`${path} is ${wrapping}-compressed; decompressing it to a private temporary file in ${dir} first (a compressed dump cannot be read in place; decompress it once to skip this)`);
    const remove = async (): Promise<void> => {
      await rm(dir, { recursive: true, force: true });
      releaseTempDir(dir);
    };
    const file = join(dir, basename(path).replace(/\.(?:gz|xz|zst|bz2)$/, "") || "vmcore");
    let bytes = 0;
    try {
      const fh = await open(file, "wx", 0o600);
      try {
        for (const c of head) {
          await fh.write(c);
          bytes += c.length;
        }
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          const c = typeof r.value === "string" ? Buffer.from(r.value, "latin1") : r.value;
          await fh.write(c);
          bytes += c.length;
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      await remove();
      if (e instanceof SourceError) throw e;
      throw new SourceError(`${path}: could not decompress it to ${dir}: ${(e as Error)?.message ?? String(e)}; set TMPDIR to a file system with room for the whole dump, or decompress it yourself`, path);
    }
    return { path: file, wrapping, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6, remove };
  } finally {
    // Stopping a decoder early (a compressed log, not a dump, after its first bytes) can make it
    // complain as it is torn down (xz-decompress's cancel): that is not an error of the input.
    await Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/** The dump as the readers see it, and the file actually read (for --stats). */
interface OpenedFile {
  src: RandomAccess;
  file: FileRandomAccess;
  unwrapped: Unwrapped | null;
  /** An .xz dump read block by block in place. */
  xz?: XzBlocks;
}

/** What block-wise reading of an .xz dump did. */
export interface XzBlocks {
  total: number;
  decoded: number;
  largest: number;
}

/**
 * A vmcore file; an .xz one written in independent blocks, read in place block by block; any
 * other compressed one decompressed to a temporary copy; null when it is neither.
 */
async function openDump(path: string, notice?: (message: string) => void): Promise<OpenedFile | null> {
  const f = await FileRandomAccess.open(path);
  let head: Uint8Array;
  try {
    head = await f.read(0, 64);
  } catch (e) {
    await f.close();
    throw new SourceError(describeFsError(e, path), path);
  }
  if (sniffVmcore(head) !== null) return { src: f, file: f, unwrapped: null };
  const w = compressionOf(head);
  if (w === "xz") {
    const { XzBlockAccess } = await import("./xzblocks.js");
    const xa = await XzBlockAccess.open(f, path).catch(() => null);
    if (xa) {
      const h = await xa.read(0, 64).catch(() => null);
      if (h !== null && sniffVmcore(h) !== null) {
        const xz: XzBlocks = { total: xa.blockCount, decoded: 0, largest: xa.largestBlock };
        const src: RandomAccess = {
          size: xa.size,
          read: async (o, l) => {
            const b = await xa.read(o, l);
            xz.decoded = xa.blocksDecoded;
            return b;
          },
        };
        xz.decoded = xa.blocksDecoded;
        return { src, file: f, unwrapped: null, xz };
      }
      if (h !== null) {
        // A compressed log, not a dump: its first block said so; no need to decompress it again.
        await f.close();
        return null;
      }
    }
  }
  await f.close();
  if (w === null) return null;
  const u = await unwrapVmcore(path, w, notice);
  if (u === null) return null;
  try {
    const c = await FileRandomAccess.open(u.path);
    return { src: c, file: c, unwrapped: u };
  } catch (e) {
    await u.remove();
    throw e;
  }
}

function xzDiagnostic(path: string, x: XzBlocks): VmcoreDiagnostic {
  return {
    code: "xz-blocks",
    severity: "info",
    message: `${path} is xz-compressed in ${x.total} independent blocks (up to ${(x.largest / 1048576).toFixed(1)} MiB each): read in place, ${x.decoded} block${x.decoded === 1 ? "" : "s"} decompressed`,
  };
}

function unwrapDiagnostic(path: string, u: Unwrapped): VmcoreDiagnostic {
  return {
    code: "decompressed-copy",
    severity: "info",
    message: `${path} is ${u.wrapping}-compressed: read from a temporary decompressed copy (${u.bytes} bytes, ${(u.ms / 1000).toFixed(1)} s), removed afterwards`,
  };
}

/** Opens a vmcore file and decodes its log; the caller gets the file's read statistics too. */
export async function readVmcoreFile(path: string, opts: VmcoreFileOptions = {}): Promise<{ log: VmcoreLog; stats: ReadStats; size: number; unwrapped?: Unwrapped; xz?: XzBlocks }> {
  const d = await openDump(path, opts.notice);
  // Not a vmcore: the readers say why (no ELF core, KDUMP or flattened signature).
  if (d === null) return readPlain(path, opts);
  const { src, file, unwrapped, xz } = d;
  try {
    const log = await readVmcoreLog(src, opts);
    if (unwrapped) log.diagnostics.unshift(unwrapDiagnostic(path, unwrapped));
    if (xz) log.diagnostics.unshift(xzDiagnostic(path, xz));
    return { log, stats: file.stats, size: file.size, ...(unwrapped ? { unwrapped } : {}), ...(xz ? { xz } : {}) };
  } finally {
    await file.close();
    await unwrapped?.remove();
  }
}

async function readPlain(path: string, opts: RingOptions): Promise<{ log: VmcoreLog; stats: ReadStats; size: number }> {
  const f = await FileRandomAccess.open(path);
  try {
    const log = await readVmcoreLog(f, opts);
    return { log, stats: f.stats, size: f.size };
  } finally {
    await f.close();
  }
}

/** Opens a vmcore file and describes it, reading its log when possible (kpanic info). */
export async function inspectVmcoreFile(path: string, opts: VmcoreFileOptions = {}): Promise<{ inspection: VmcoreInspection; stats: ReadStats; size: number; unwrapped?: Unwrapped; xz?: XzBlocks }> {
  const d = await openDump(path, opts.notice);
  const file = d?.file ?? (await FileRandomAccess.open(path));
  const unwrapped = d?.unwrapped ?? null;
  try {
    const inspection = await inspectVmcore(d?.src ?? file, opts);
    if (unwrapped) inspection.diagnostics.unshift(unwrapDiagnostic(path, unwrapped));
    if (d?.xz) inspection.diagnostics.unshift(xzDiagnostic(path, d.xz));
    return { inspection, stats: file.stats, size: file.size, ...(unwrapped ? { unwrapped } : {}), ...(d?.xz ? { xz: d.xz } : {}) };
  } finally {
    await file.close();
    await unwrapped?.remove();
  }
}

/** Records per text chunk of the stream. */
const RECORDS_PER_CHUNK = 256;

/**
 * The kernel log of a vmcore as text chunks in `makedumpfile --dump-dmesg`
 * format, for `kpanic analyze VMCORE`; null when the file is not a vmcore.
 * Decoding errors (no VMCOREINFO, unreadable ring...) reject the promise with
 * a VmcoreError whose message says why.
 */
export async function openVmcoreLog(path: string, opts: VmcoreFileOptions = {}): Promise<{ name: string; stream: AsyncIterable<string> } | null> {
  const head = await readHeadOf(path);
  if (head === null || (sniffVmcore(head) === null && compressionOf(head) === null)) return null;
  const d = await openDump(path, opts.notice);
  if (d === null) return null; // a compressed log, not a dump
  let log: VmcoreLog;
  try {
    log = await readVmcoreLog(d.src, opts);
  } finally {
    await d.file.close();
    await d.unwrapped?.remove();
  }
  const records = log.records;
  async function* stream(): AsyncGenerator<string> {
    for (let i = 0; i < records.length; i += RECORDS_PER_CHUNK) {
      let s = "";
      for (const r of records.slice(i, i + RECORDS_PER_CHUNK)) s += formatMakedumpfile(r);
      yield s;
    }
  }
  return { name: path, stream: stream() };
}
