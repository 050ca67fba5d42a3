/**
 * The lean path for `kpanic dmesg VMCORE`: bin/kpanic.js comes here first
 * when the first argument is "dmesg", and only the vmcore readers are loaded
 * (not yargs, the grammar or the analyser, which take longer to load than the
 * dump takes to read). The build bundles this module and what it imports into
 * one CommonJS file with a V8 code cache (scripts/build-lean.mjs), which
 * bin/kpanic.js loads.
 *
 * Anything this path does not fully understand returns null, and the full
 * command line, with its checks and messages, handles it: --help, an unknown
 * option, a missing or second file, and any file that does not start with a
 * dump's signature (a compressed dump, a log, a file that cannot be opened).
 */
import { readVmcoreLog, sniffVmcore } from "../vmcore/index.js";
import { FileRandomAccess } from "../sources/random-access.js";
import { FdOutput } from "./output.js";
import { runDmesg, type DmesgArgs, type DumpLog } from "./vmcore-run.js";

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

/** The file opened for reading when it starts with a dump's signature (ELF core, KDUMP, flattened); null otherwise. */
async function openPlainDump(path: string): Promise<FileRandomAccess | null> {
  let f: FileRandomAccess;
  try {
    f = await FileRandomAccess.open(path);
  } catch {
    return null; // the full command line says why
  }
  try {
    if (sniffVmcore(f.readSync(0, 64)) !== null) return f;
  } catch {
    // the same
  }
  await f.close();
  return null;
}

/**
 * Turns V8's optimizing compiler off for the rest of this process. Node 20 can
 * deadlock while it exits when a background TurboFan job is waiting for a
 * garbage collection that the exiting main thread never runs
 * (nodejs/node#54918): `kpanic dmesg` of a QEMU dump with a 4.7 MB ring hung
 * at exit in 4 of 30 runs (gdb: main thread in NodePlatform::DrainTasks, two
 * TurboFan jobs in CollectionBarrier::AwaitCollectionBackground). This path
 * ends right after its hottest code, and gains nothing from TurboFan on a
 * ring of a few hundred pages. Only once the lean path is certain to run the
 * command: the full command line it hands anything else to needs TurboFan.
 */
function noOptimizingCompiler(): void {
  process.getBuiltinModule("node:v8").setFlagsFromString("--no-opt");
}

/** Runs `kpanic dmesg` when the arguments and the file allow the lean path; null otherwise. */
export async function fastMain(argv: readonly string[]): Promise<number | null> {
  const args = parseFastDmesg(argv);
  if (args === null) return null;
  const f = await openPlainDump(args.vmcore);
  if (f === null) return null;
  noOptimizingCompiler();
  const read = async (): Promise<DumpLog> => {
    try {
      return { log: await readVmcoreLog(f), stats: f.stats, size: f.size };
    } finally {
      await f.close();
    }
  };
  // stdout and stderr through write(2): process.stdout would load Node's streams (see FdOutput).
  return runDmesg(args, read, { out: new FdOutput(1), err: new FdOutput(2) });
}
