/**
 * The live journald source (`journalctl -k -b N -o json`) reads entries with
 * records/formats journalEntryRecords, as journal files are read. A stand-in
 * journalctl prints the entries.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeText } from "../../src/index.js";
import { journalEntryRecords, type JournalEntry } from "../../src/records/formats.js";
import { readJournalBoot } from "../../src/sources/journal.js";

const BOOT = "0123456789abcdef0123456789abcdef";
const k = (us: number, msg: unknown): JournalEntry => ({
  _TRANSPORT: "kernel",
  _BOOT_ID: BOOT,
  _SOURCE_MONOTONIC_TIMESTAMP: String(us),
  __REALTIME_TIMESTAMP: String(1764356791000000 + us),
  PRIORITY: "0",
  MESSAGE: msg,
});
const entries: JournalEntry[] = [
  k(1000000, "Kernel panic - not syncing: first line\nCPU: 0 PID: 1 Comm: init Not tainted 6.1.0-56-amd64 #1"),
  k(1000001, null),
  { ...k(1000002, "Kernel panic - not syncing: not the kernel"), _TRANSPORT: "stdout" },
  k(1000003, [...Buffer.from("Call Trace:\n <TASK>\n dump_stack_lvl+0x44/0x5c\n panic+0x118/0x2f4 \xff", "latin1")]),
  k(1000004, " </TASK>\n---[ end Kernel panic - not syncing: first line ]---\n"),
];

async function readBoot(lines: string): Promise<{ text: string; bootId: string | null; done: string | null }> {
  const d = mkdtempSync(join(tmpdir(), "kpanic-journal-"));
  try {
    writeFileSync(join(d, "entries.jsonl"), lines);
    const fake = join(d, "journalctl");
    writeFileSync(fake, `#!/bin/sh\nexec cat '${join(d, "entries.jsonl")}'\n`);
    chmodSync(fake, 0o755);
    const boot = readJournalBoot(-1, fake);
    let text = "";
    for await (const l of boot.lines) text += l;
    return { text, bootId: boot.bootId, done: await boot.done };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

describe("readJournalBoot", () => {
  it("hands on the kernel entries as JSON lines; every line of a multi-line MESSAGE (string or bytes) is a record, null and non-kernel entries none", async () => {
    const r = await readBoot(entries.map((e) => JSON.stringify(e)).join("\n") + "\nnot json\n");
    expect(r.done).toBeNull();
    expect(r.bootId).toBe(BOOT);
    const kept = r.text.split("\n").slice(0, -1).map((l) => JSON.parse(l) as JournalEntry);
    expect(kept).toEqual([entries[0], entries[3], entries[4]]);
    const recs = kept.flatMap((e, i) => journalEntryRecords(e, i + 1).map((x) => x.raw));
    expect(recs).toEqual([
      "[    1.000000] Kernel panic - not syncing: first line",
      "[    1.000000] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-56-amd64 #1",
      "[    1.000003] Call Trace:",
      "[    1.000003]  <TASK>",
      "[    1.000003]  dump_stack_lvl+0x44/0x5c",
      "[    1.000003]  panic+0x118/0x2f4 \uFFFD",
      "[    1.000004]  </TASK>",
      "[    1.000004] ---[ end Kernel panic - not syncing: first line ]---",
    ]);
    const [inc] = analyzeText(r.text, { inputFormat: "journal-json" }).incidents;
    expect(inc).toMatchObject({ title: "kernel panic: first line", task: { comm: "init", pid: 1 } });
    // journald's wall clock and boot id reach the incident.
    expect(inc!.time).toMatchObject({ uptime: 1, bootId: BOOT });
    expect(inc!.time.wallClock).toMatch(/^2025-11-28T/);
    expect(inc!.frames.map((f) => f.function)).toEqual(["dump_stack_lvl", "panic"]);
  });
});
