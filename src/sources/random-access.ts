/**
 * A file read by positioned reads, in a module of its own: the lean
 * `kpanic dmesg` path (src/cli/fast.ts) reads plain dumps through it without
 * loading ./vmcore.ts's decompressing openers.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { RandomAccess, ReadStats } from "../vmcore/index.js";
import { describeFsError, SourceError } from "./errors.js";

/**
 * A file read by positioned reads, counting what it reads. The reads are
 * synchronous (pread on this thread): a log takes a few hundred page-sized
 * reads, and a round trip through libuv's thread pool for each cost more than
 * the reads themselves (measured: about 10 ms of 20 on the corpus's kdump dump).
 */
export class FileRandomAccess implements RandomAccess {
  readonly stats: ReadStats = { reads: 0, bytesRead: 0 };
  private closed = false;
  private constructor(
    private readonly fd: number,
    readonly size: number,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileRandomAccess> {
    if (path === "-" || path === "") {
      throw new SourceError("a vmcore is read at random offsets, not as a stream, so standard input will not do: save it to a file first (e.g. cat > /var/tmp/vmcore) and give its path", path || "-");
    }
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === "ENOENT") {
        throw new SourceError(`${path}: no such file; check the path (kdump writes /var/crash/<stamp>/dump.<stamp>; RHEL /var/crash/<host>-<date>/vmcore)`, path);
      }
      throw new SourceError(describeFsError(e, path), path);
    }
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      closeSync(fd);
      throw new SourceError(`${path} is a directory; give a vmcore file`, path);
    }
    return new FileRandomAccess(fd, st.size, path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.readSync(offset, length);
  }

  readSync(offset: number, length: number): Uint8Array {
    const start = Math.max(0, offset);
    const len = Math.max(0, Math.min(length, this.size - start));
    if (len === 0) return new Uint8Array(0);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, start + got);
      if (n === 0) break;
      got += n;
    }
    this.stats.reads++;
    this.stats.bytesRead += got;
    return got === len ? buf : buf.subarray(0, got);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
