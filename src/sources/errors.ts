/**
 * Errors of the input layer, in a module of their own so that the lean paths
 * (kpanic dmesg) need not load the decompressors of ./file.ts.
 */

/** An input that cannot be read, with a message that says what to do. */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = "SourceError";
  }
}

/** A filesystem error as a message that says what to do about it. */
export function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
      return `${path}: no such file; check the path (kdump writes /var/crash/<stamp>/dmesg.<stamp>)`;
    case "EACCES":
    case "EPERM":
      return `${path}: permission denied; kernel logs are usually readable by root only: try sudo`;
    case "EISDIR":
      return `${path} is a directory; give a log file, or use 'kpanic scan ${path}'`;
    default:
      return `${path}: ${(e as Error)?.message ?? String(e)}`;
  }
}
