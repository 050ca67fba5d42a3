/**
 * Private temporary directories that hold copies of a machine's memory (a
 * decompressed vmcore, the VmCore of an apport report): removed when the
 * process exits, also when it is interrupted (SIGINT, SIGTERM, SIGHUP: exit
 * 128 + n), not only by the code that made them.
 */
import { rmSync } from "node:fs";

const live = new Set<string>();
let hooked = false;

function sweep(): void {
  for (const d of live) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  live.clear();
}

/** Remove `dir` at exit or on a termination signal unless released first. */
export function trackTempDir(dir: string): void {
  live.add(dir);
  if (hooked) return;
  hooked = true;
  process.on("exit", sweep);
  for (const [sig, n] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const) {
    process.once(sig, () => {
      sweep();
      process.exit(128 + n);
    });
  }
}

/** The directory was removed by its owner. */
export function releaseTempDir(dir: string): void {
  live.delete(dir);
}
