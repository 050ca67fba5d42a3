/**
 * Shared helpers for tests that run over the real-kernel corpus in corpora/.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CORPORA = join(ROOT, "corpora");

/** Is this corpus file a kernel log to analyse? */
export function isLogFile(name: string): boolean {
  return /\.(?:log|dmesg|export|jsonl)$/.test(name) || /^dmesg\.[0-9]{12}$/.test(name) || name === "vmcore-dmesg.txt";
}

/** Every log in corpora/ (sorted, paths relative to the project root). */
export function corpusLogs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      if (e === "generate" && dir === CORPORA) continue;
      const p = join(dir, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (isLogFile(e)) out.push(relative(ROOT, p));
    }
  };
  try {
    walk(CORPORA);
  } catch {
    /* no corpus yet */
  }
  return out;
}

/** Where a log's reviewed expectation lives: x.log → x.expected.json, x.dmesg → x.dmesg.expected.json. */
export function expectedPath(log: string): string {
  return log.endsWith(".log") ? log.slice(0, -4) + ".expected.json" : log + ".expected.json";
}
