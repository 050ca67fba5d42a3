/**
 * `kpanic crashkernel [--ram SIZE --cpus N --arch ARCH] [--check SPEC] [--format text|json]`:
 * how much memory to reserve for the capture kernel, with the arithmetic and
 * the commands that apply it; with --check, what the kernel makes of a
 * `crashkernel=` value. Exit 0 ok (warnings included), 2 malformed spec or
 * bad arguments.
 */
import type { Argv, CommandModule } from "yargs";
import { checkJson, checkSpec, recommendationJson, renderCheckText, renderRecommendationText, CRASHKERNEL_SCHEMA } from "../../kdump/render.js";
import { recommend, UnknownArchError, type Recommendation } from "../../kdump/sizing.js";
import { parseCrashkernel } from "../../kdump/spec.js";
import { parseUserSize } from "../../kdump/units.js";
import { localMachine } from "../../sources/host.js";
import { EXIT_OK, EXIT_USAGE, setExitCode } from "../common.js";
import { defaultIO, type CommandIO } from "./doctor.js";

export interface CrashkernelArgs {
  ram?: string | undefined;
  cpus?: number | undefined;
  arch?: string | undefined;
  check?: string | undefined;
  format: "text" | "json";
}

/** What --ram/--cpus/--arch did not give is taken from this machine. */
export type MachineProbe = () => { ramBytes: number; ramFrom: string; cpus: number; cpusFrom: string; arch: string };

export function runCrashkernel(args: CrashkernelArgs, io: CommandIO = defaultIO(), probe: MachineProbe = localMachine): number {
  const fail = (msg: string): number => {
    io.err(`kpanic: ${msg}\n`);
    return EXIT_USAGE;
  };
  let local: ReturnType<MachineProbe> | null = null;
  const machine = (): ReturnType<MachineProbe> => (local ??= probe());
  let ramBytes: number;
  let ramFrom = "";
  if (args.ram !== undefined) {
    const r = parseUserSize(args.ram);
    if (r === null) return fail(`--ram ${args.ram}: not a size (examples: 512M, 16G, 1.5T, 2T, or plain bytes)`);
    ramBytes = r;
  } else {
    ramBytes = machine().ramBytes;
    ramFrom = `this machine: ${machine().ramFrom}`;
  }
  let cpus: number;
  if (args.cpus !== undefined) {
    if (!Number.isInteger(args.cpus) || args.cpus < 1) return fail(`--cpus ${args.cpus}: give a whole number of CPUs, 1 or more`);
    cpus = args.cpus;
  } else cpus = machine().cpus;
  const arch = args.arch ?? machine().arch;

  let rec: Recommendation | null = null;
  let archError: string | null = null;
  try {
    rec = recommend(arch, ramBytes, cpus);
  } catch (e) {
    if (!(e instanceof UnknownArchError)) throw e;
    archError = e.message;
  }

  if (args.check === undefined) {
    if (!rec) return fail(archError ?? "cannot size");
    if (args.format === "json") io.out(JSON.stringify({ schema: CRASHKERNEL_SCHEMA, recommendation: recommendationJson(rec) }, null, 2) + "\n");
    else io.out(renderRecommendationText(rec, ramFrom));
    return EXIT_OK;
  }

  const spec = args.check.trim();
  if (!spec) return fail("--check needs a crashkernel= value, e.g. --check 1G-4G:192M,4G-64G:256M,64G-:512M");
  const parsed = parseCrashkernel(spec);
  const outcome = checkSpec(parsed, ramBytes, rec);
  if (args.format === "json") io.out(JSON.stringify(checkJson(outcome), null, 2) + "\n");
  else {
    io.out(renderCheckText(outcome, ramFrom));
    if (archError && args.arch !== undefined) io.err(`kpanic: warning: ${archError}; no size recommendation to compare with\n`);
  }
  return parsed.valid ? EXIT_OK : EXIT_USAGE;
}

export const crashkernelCommand: CommandModule = {
  command: "crashkernel",
  describe: "recommend a crashkernel= reservation (with its arithmetic), or --check a crashkernel= value",
  builder: (y: Argv) =>
    y
      .option("ram", { type: "string", describe: "RAM size (512M, 16G, 1.5T, 2T, bytes); default: this machine's" })
      .option("cpus", { type: "number", describe: "number of CPUs; default: this machine's" })
      .option("arch", { type: "string", describe: "architecture: x86_64, aarch64/arm64, i386/i686; default: this machine's (uname -m)" })
      .option("check", { type: "string", describe: "a crashkernel= value to validate and evaluate for the RAM size (with or without the crashkernel= prefix)" })
      .option("format", { alias: "f", choices: ["text", "json"] as const, default: "text", describe: "output format" })
      .example("$0 crashkernel", "recommend a reservation for this machine")
      .example("$0 crashkernel --ram 2T --cpus 128 --arch x86_64", "for another machine: 1825 MB, i.e. crashkernel=2048M")
      .example("$0 crashkernel --check 1G-4G:192M,4G-64G:256M,64G-:512M --ram 16G", "which size the kernel would reserve"),
  handler: (a) => {
    setExitCode(
      runCrashkernel({
        ram: a["ram"] === undefined ? undefined : String(a["ram"]),
        cpus: a["cpus"] === undefined ? undefined : Number(a["cpus"]),
        arch: a["arch"] === undefined ? undefined : String(a["arch"]),
        check: a["check"] === undefined ? undefined : String(a["check"]),
        format: a["format"] as "text" | "json",
      }),
    );
  },
};
