/**
 * The previous boot's kernel log from journald (`journalctl -k -b -1 -o json`),
 * turned into dmesg lines (`[seconds] message`) for the analyzer. Entries are
 * read by records/formats journalEntryRecords, as journal files are.
 */
import { spawn } from "node:child_process";
import split2 from "split2";
import { journalEntryRecords, type JournalEntry } from "../records/formats.js";

export interface JournalBoot {
  bootId: string | null;
  /** dmesg-style lines, newline-terminated, as they are read. */
  lines: AsyncIterable<string>;
  /** Resolves when journalctl has exited: null on success, else why it failed. */
  done: Promise<string | null>;
}

/**
 * Converts one `journalctl -o json` entry to dmesg lines, one per line of its
 * MESSAGE, each newline-terminated; null when it holds no kernel message.
 */
export function journalEntryToLine(e: JournalEntry): { line: string; bootId: string | null } | null {
  const recs = journalEntryRecords(e, 0);
  if (recs.length === 0) return null;
  let line = "";
  for (const r of recs) line += r.raw + "\n";
  return { line, bootId: recs[0]!.bootId ?? null };
}

/** Streams the kernel log of boot `which` (-1 = the previous one). */
export function readJournalBoot(which = -1, journalctl = "journalctl"): JournalBoot {
  const child = spawn(journalctl, ["-k", "-b", String(which), "-o", "json", "--no-pager"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const done = new Promise<string | null>((resolve) => {
    child.on("error", (e) => resolve(`cannot run ${journalctl}: ${e.message}`));
    child.on("close", (code) => resolve(code === 0 ? null : `${journalctl} exited ${code}: ${stderr.trim().split("\n")[0] ?? ""}`));
  });
  const state: { bootId: string | null } = { bootId: null };
  const lines = (async function* () {
    // split2 frames journalctl's JSON lines (a line is one entry; 16 MiB cap).
    for await (const raw of child.stdout.pipe(split2("\n", { maxLength: 16 << 20 })) as AsyncIterable<string>) {
      let e: unknown;
      try {
        e = JSON.parse(raw);
      } catch {
        continue;
      }
      if (typeof e !== "object" || e === null) continue;
      const r = journalEntryToLine(e as JournalEntry);
      if (!r) continue;
      state.bootId ??= r.bootId;
      yield r.line;
    }
  })();
  return {
    get bootId() {
      return state.bootId;
    },
    lines,
    done,
  };
}
