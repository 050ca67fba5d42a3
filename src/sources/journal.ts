/**
 * The previous boot's kernel log from journald (`journalctl -k -b -1 -o json`),
 * turned into dmesg lines (`[seconds] message`) for the analyzer.
 */
import { spawn } from "node:child_process";
import split2 from "split2";
import { BOOT_ID_RE } from "../records/formats.js";

export interface JournalBoot {
  bootId: string | null;
  /** dmesg-style lines, newline-terminated, as they are read. */
  lines: AsyncIterable<string>;
  /** Resolves when journalctl has exited: null on success, else why it failed. */
  done: Promise<string | null>;
}

/** Converts one `journalctl -o json` entry to a dmesg line; null for non-kernel entries. */
export function journalEntryToLine(e: Record<string, unknown>): { line: string; bootId: string | null } | null {
  const msg = e["MESSAGE"];
  let text: string;
  if (typeof msg === "string") text = msg;
  else if (Array.isArray(msg) && msg.every((b) => typeof b === "number")) text = Buffer.from(msg as number[]).toString("utf8");
  else return null; // null (over journald's field size limit) or unknown
  const us = Number(e["_SOURCE_MONOTONIC_TIMESTAMP"] ?? e["__MONOTONIC_TIMESTAMP"]);
  const ts = Number.isFinite(us) ? `[${(us / 1e6).toFixed(6).padStart(12)}] ` : "";
  const id = e["_BOOT_ID"];
  const bootId = typeof id === "string" && BOOT_ID_RE.test(id) ? id : null;
  return { line: text.split("\n").map((l) => ts + l).join("\n") + "\n", bootId };
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
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      const r = journalEntryToLine(e);
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
