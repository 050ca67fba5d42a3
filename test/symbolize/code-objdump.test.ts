/**
 * Capstone against binutils' objdump on every x86_64 `Code:` line of the
 * corpus: the same instruction boundaries and mnemonics from the faulting
 * byte on. Needs objdump (binutils, on every machine with gcc).
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDisassembler, parseCodeLine } from "../../src/symbolize/code.js";
import { ROOT } from "../corpus.js";

const tmp = mkdtempSync(join(tmpdir(), "kpanic-objdump-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function codeLines(): string[] {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(?:log|dmesg)$/.test(e)) {
        for (const l of readFileSync(p, "utf8").split("\n")) {
          const i = l.indexOf("Code: ");
          if (i >= 0 && l.includes("<")) out.add(l.slice(i).replace(/\r$/, ""));
        }
      }
    }
  };
  walk(join(ROOT, "corpora/x86_64"));
  return [...out];
}

const PREFIXES = new Set(["data16", "addr32", "cs", "ds", "es", "ss", "fs", "gs", "rex", "rex.W", "rex.B", "rex.WB"]);
/** Same instruction, other spelling (capstone → objdump). */
const ALIASES: Record<string, string> = { nop: "xchg" };

/** objdump's instructions: [offset, mnemonic] from "   8:\tb8 de c0 de c0       \tmov    $0xc0dec0de,%eax". */
function objdump(bytes: Uint8Array): Array<[number, string]> {
  const f = join(tmp, "code.bin");
  writeFileSync(f, bytes);
  // -z: show runs of zero bytes as instructions instead of "...".
  const r = spawnSync("objdump", ["-D", "-z", "-b", "binary", "-m", "i386:x86-64", f], { encoding: "utf8" });
  expect(r.status).toBe(0);
  const out: Array<[number, string]> = [];
  let prefixAt: number | null = null;
  for (const l of r.stdout.split("\n")) {
    const m = /^ {0,8}([0-9a-f]{1,8}):\t[0-9a-f ]{2,40}\t(.{1,120})$/.exec(l);
    if (!m) continue;
    const off = Number.parseInt(m[1]!, 16);
    // Redundant prefixes (66 66 2e 0f 1f ...): objdump names them ("data16 cs nopw",
    // sometimes on a line of their own); capstone folds them into the instruction.
    const mn = m[2]!.split(/\s+/).find((t) => !PREFIXES.has(t));
    if (!mn) {
      prefixAt ??= off;
      continue;
    }
    out.push([prefixAt ?? off, mn]);
    prefixAt = null;
  }
  return out;
}

describe("capstone agrees with objdump on the corpus's x86_64 Code: lines", () => {
  const lines = codeLines();
  it("has lines to compare", () => expect(lines.length).toBeGreaterThan(20));

  it("same boundaries and mnemonics from the faulting instruction on", async () => {
    const d = await loadDisassembler();
    const disagreements: string[] = [];
    for (const line of lines) {
      const p = parseCodeLine(line, "x86_64");
      if (!p) continue;
      const tail = p.bytes.subarray(p.faultOffset);
      const ours = d.decode(p.bytes, p.faultOffset, "x86_64").instructions.filter((i) => i.offset >= 0);
      const theirs = objdump(tail);
      // objdump also shows a last instruction cut off by the end of the dump: we drop it.
      for (const ins of ours) {
        const o = theirs.find(([off]) => off === ins.offset);
        const mn = ins.text.split(" ")[0]!;
        const same = o && (o[1] === mn || o[1] === mn.slice(0, -1) || o[1] === ALIASES[mn] || (o[1] === "(bad)" && mn === "(bad)"));
        if (!same) disagreements.push(`${line}: +${ins.offset} capstone ${mn}, objdump ${o ? o[1] : "no instruction there"}`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});
