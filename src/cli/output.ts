/**
 * The part of the CLI's shared ground that the lean paths (kpanic dmesg, see
 * ./fast.ts) need too: exit codes, usage errors, stdout that survives a closed pipe.
 */
import { writeSync } from "node:fs";

export const EXIT_OK = 0;
/** Something the user asked to be told about was found (--fail-on, a FAIL check). */
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

/** Where a command writes text: stdout, stderr. */
export interface Writer {
  write(s: string): void;
}

/** stdout that ignores EPIPE (`kpanic ... | head`). */
export class Output implements Writer {
  private broken = false;
  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") this.broken = true;
      else throw e;
    });
  }
  write(s: string): void {
    if (!this.broken) this.stream.write(s);
  }
}

/** How long to wait before writing again to a full non-blocking pipe. */
const EAGAIN_WAIT_MS = 1;
let sleeper: Int32Array | undefined;

/**
 * A file descriptor written with synchronous write(2) calls, for the lean
 * paths: process.stdout and process.stderr load Node's stream machinery,
 * which costs more than `kpanic dmesg` takes to read a dump (measured: about
 * 3.5 ms). Writes the whole string, waiting out EAGAIN (a non-blocking pipe
 * that is full); after EPIPE (`kpanic dmesg VMCORE | head`) it writes nothing
 * more. Any other error is thrown.
 */
export class FdOutput implements Writer {
  private broken = false;
  constructor(private readonly fd: number) {}

  write(s: string): void {
    if (this.broken || s.length === 0) return;
    const b = Buffer.from(s, "utf8");
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EPIPE") {
          this.broken = true;
          return;
        }
        if (code !== "EAGAIN") throw e;
        Atomics.wait((sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, EAGAIN_WAIT_MS);
      }
    }
  }
}
