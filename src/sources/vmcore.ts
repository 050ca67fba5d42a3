/**
 * vmcore files: positioned reads (fs.open + read at offsets; a dump is never
 * read whole) for the readers in src/vmcore, and the kernel log of a vmcore as
 * a text stream for the analyser.
 */
import { open, type FileHandle } from "node:fs/promises";
import { formatMakedumpfile, inspectVmcore, readVmcoreLog, sniffVmcore, type RandomAccess, type ReadStats, type VmcoreInspection, type VmcoreLog } from "../vmcore/index.js";
import type { RingOptions } from "../vmcore/printk.js";
import { describeFsError, SourceError } from "./file.js";

/** A file read by positioned reads, counting what it reads. */
export class FileRandomAccess implements RandomAccess {
  readonly stats: ReadStats = { reads: 0, bytesRead: 0 };
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileRandomAccess> {
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (e) {
      throw new SourceError(describeFsError(e, path), path);
    }
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new SourceError(`${path} is a directory; give a vmcore file`, path);
    }
    return new FileRandomAccess(fh, st.size, path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.max(0, offset);
    const len = Math.max(0, Math.min(length, this.size - start));
    if (len === 0) return new Uint8Array(0);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(buf, got, len - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.stats.reads++;
    this.stats.bytesRead += got;
    return got === len ? buf : buf.subarray(0, got);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The first bytes of a file say whether it is a vmcore (ELF core, KDUMP, flattened). */
export async function isVmcoreFile(path: string): Promise<boolean> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, "r");
    const b = Buffer.alloc(64);
    const { bytesRead } = await fh.read(b, 0, 64, 0);
    return sniffVmcore(b.subarray(0, bytesRead)) !== null;
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/** Opens a vmcore file and decodes its log; the caller gets the file's read statistics too. */
export async function readVmcoreFile(path: string, opts: RingOptions = {}): Promise<{ log: VmcoreLog; stats: ReadStats; size: number }> {
  const f = await FileRandomAccess.open(path);
  try {
    const log = await readVmcoreLog(f, opts);
    return { log, stats: f.stats, size: f.size };
  } finally {
    await f.close();
  }
}

/** Opens a vmcore file and describes it, reading its log when possible (kpanic info). */
export async function inspectVmcoreFile(path: string, opts: RingOptions = {}): Promise<{ inspection: VmcoreInspection; stats: ReadStats; size: number }> {
  const f = await FileRandomAccess.open(path);
  try {
    const inspection = await inspectVmcore(f, opts);
    return { inspection, stats: f.stats, size: f.size };
  } finally {
    await f.close();
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
export async function openVmcoreLog(path: string, opts: RingOptions = {}): Promise<{ name: string; stream: AsyncIterable<string> } | null> {
  if (!(await isVmcoreFile(path))) return null;
  const { log } = await readVmcoreFile(path, opts);
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
