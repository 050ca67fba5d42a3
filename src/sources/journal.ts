/**
 * The previous boot's kernel log from journald (`journalctl -k -b -1 -o json`).
 * The kernel entries are handed on as journald JSON lines, for the analyzer's
 * `journal-json` input format (records/formats journalEntryRecords), so that
 * incidents keep journald's wall-clock time, priority and boot id.
 */
import { spawn } from "node:child_process";
import split2 from "split2";
import { journalEntryRecords, type JournalEntry } from "../records/formats.js";

export interface JournalBoot {
  bootId: string | null;
  /** journald JSON lines of kernel entries, newline-terminated: analyze them with inputFormat "journal-json". */
  lines: AsyncIterable<string>;
  readonly inputFormat: "journal-json";
  /** Resolves when journalctl has exited: null on success, else why it failed. */
  done: Promise<string | null>;
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
      const recs = journalEntryRecords(e as JournalEntry, 0);
      if (recs.length === 0) continue;
      state.bootId ??= recs[0]!.bootId ?? null;
      yield raw + "\n";
    }
  })();
  return {
    get bootId() {
      return state.bootId;
    },
    lines,
    inputFormat: "journal-json",
    done,
  };
}
