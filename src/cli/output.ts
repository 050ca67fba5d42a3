/**
 * The part of the CLI's shared ground that the lean paths (kpanic dmesg, see
 * ./fast.ts) need too: exit codes, usage errors, stdout that survives a closed pipe.
 */

export const EXIT_OK = 0;
/** Something the user asked to be told about was found (--fail-on, a FAIL check). */
export const EXIT_FOUND = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

/** stdout that ignores EPIPE (`kpanic ... | head`). */
export class Output {
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
