/**
 * kpanic's own state for `kpanic hook`: the ledger of what has been reported,
 * the report files, and the run lock. Everything is written atomically
 * (temporary file, fsync, rename) and readable by root only: kernel logs leak
 * kernel addresses.
 */
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";

export class StateError extends Error {}

/** Makes sure `dir` is a real directory we own, private (0700), not a symlink, not writable by others. */
export function ensurePrivateDir(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    st = lstatSync(dir);
  }
  if (st.isSymbolicLink()) throw new StateError(`${dir} is a symlink; refusing to keep state there (remove it or choose another --state-dir)`);
  if (!st.isDirectory()) throw new StateError(`${dir} exists and is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new StateError(`${dir} belongs to uid ${st.uid}, not to this user (${uid}); refusing to use it`);
  if ((st.mode & 0o022) !== 0) throw new StateError(`${dir} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); fix with: chmod 700 ${dir}`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Writes a file atomically with mode 0600: temporary file in the same directory, fsync, rename. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // fsync the directory so the rename itself survives a crash
  try {
    const dfd = openSync(join(path, ".."), constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems refuse fsync on directories */
  }
}

export interface LedgerEntry {
  /** What was seen: a dump directory, or `journal:<boot id>`. */
  what: string;
  reportedAt: string;
  reportDir: string | null;
  incidents: number;
}

export interface Ledger {
  version: 1;
  entries: Record<string, LedgerEntry>;
}

export function readLedger(stateDir: string): Ledger {
  const p = join(stateDir, "ledger.json");
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) throw new StateError(`${p} is a symlink; refusing to read it`);
  } catch (e) {
    if (e instanceof StateError) throw e;
    return { version: 1, entries: {} };
  }
  try {
    const v = JSON.parse(readFileSync(p, "utf8")) as Ledger;
    if (v.version !== 1 || typeof v.entries !== "object" || v.entries === null) throw new Error("unknown ledger version");
    return v;
  } catch (e) {
    throw new StateError(`${p} is damaged (${(e as Error).message}); move it aside to start over (everything will be reported again)`);
  }
}

export function writeLedger(stateDir: string, l: Ledger): void {
  writeFileAtomic(join(stateDir, "ledger.json"), JSON.stringify(l, null, 1) + "\n");
}

/** A stable key for a dump: path + device/inode + size + mtime of the files that make it. */
export function dumpKey(parts: (string | number)[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24);
}

/**
 * An exclusive run lock (O_EXCL lock file holding our pid). A lock left by a
 * process that no longer exists is taken over. Returns a release function,
 * or null when another live run holds it.
 */
export function acquireLock(stateDir: string): (() => void) | null {
  const p = join(stateDir, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(p, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let pid = NaN;
      try {
        pid = Number(readFileSync(p, "utf8").trim());
      } catch {
        continue; // vanished: try again
      }
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return null;
      // Stale: take it over by renaming it away first, so two runs cannot both do
      // this; if what we renamed turns out to be a live run's fresh lock, put it back.
      const stale = `${p}.stale-${process.pid}`;
      try {
        renameSync(p, stale);
        const moved = Number(readFileSync(stale, "utf8").trim());
        if (moved !== pid && Number.isInteger(moved) && alive(moved)) {
          renameSync(stale, p);
          return null;
        }
        rmSync(stale, { force: true });
      } catch {
        /* another run took it over first */
      }
    }
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
