/**
 * The running kernel's log buffer, read once: /dev/kmsg opened non-blocking
 * and read record by record until EAGAIN (what is buffered now), or, when
 * that is not allowed, `journalctl -k -b` for the current boot.
 */
import { closeSync, constants, openSync, readSync } from "node:fs";

/** Returns the buffered /dev/kmsg records as text (one record a line), or throws (EACCES/EPERM: dmesg_restrict). */
export function readKmsgBuffered(path = "/dev/kmsg", maxBytes = 64 << 20): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(1 << 16);
  const parts: string[] = [];
  let total = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") break; // everything buffered has been read
        if (code === "EPIPE") continue; // a record was overwritten while reading: go on
        throw e;
      }
      if (n <= 0) break;
      const rec = buf.toString("utf8", 0, n);
      parts.push(rec.endsWith("\n") ? rec : rec + "\n");
      total += n;
      if (total > maxBytes) break;
    }
  } finally {
    closeSync(fd);
  }
  return parts.join("");
}
