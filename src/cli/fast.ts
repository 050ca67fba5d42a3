/**
 * The lean path for `kpanic dmesg VMCORE`: bin/kpanic.js comes here first
 * when the first argument is "dmesg", and only the vmcore readers are loaded
 * (not yargs, the grammar or the analyser, which take longer to load than the
 * dump takes to read). Anything this path does not fully understand (--help,
 * an unknown option, a missing or second file) returns null, and the full
 * command line, with its checks and messages, handles it.
 */
import { runDmesg, type DmesgArgs } from "./vmcore-run.js";

const FLAGS: Record<string, keyof DmesgArgs> = {
  "--json": "json",
  "--stats": "stats",
  "--quiet": "quiet",
  "-q": "quiet",
  "--caller": "caller",
};

/** The dmesg arguments when `argv` is a plain `dmesg FILE [--json|--stats|--quiet|-q|--caller]...`, else null. */
export function parseFastDmesg(argv: readonly string[]): DmesgArgs | null {
  if (argv[0] !== "dmesg") return null;
  const a: DmesgArgs = { vmcore: "", json: false, stats: false, quiet: false, caller: false };
  let file: string | null = null;
  let onlyFiles = false;
  for (const t of argv.slice(1)) {
    if (!onlyFiles && t === "--") {
      onlyFiles = true;
      continue;
    }
    if (!onlyFiles && t.startsWith("-") && t !== "-") {
      const k = FLAGS[t];
      if (k === undefined) return null;
      (a as unknown as Record<string, boolean>)[k] = true;
      continue;
    }
    if (file !== null || t === "") return null;
    file = t;
  }
  if (file === null) return null;
  a.vmcore = file;
  return a;
}

/** Runs `kpanic dmesg` when the arguments allow the lean path; null otherwise. */
export async function fastMain(argv: readonly string[]): Promise<number | null> {
  const args = parseFastDmesg(argv);
  return args === null ? null : runDmesg(args);
}
