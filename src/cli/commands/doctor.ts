/**
 * `kpanic doctor [--root DIR] [--format text|json]`: is this machine ready to
 * capture a kernel crash? Exit 0 when nothing FAILs (WARN and SKIP allowed),
 * 1 when a check FAILs, 2 when the checks cannot run (bad --root).
 */
import type { Argv, CommandModule } from "yargs";
import { runChecks } from "../../kdump/doctor.js";
import { renderDoctorJson, renderDoctorText } from "../../kdump/render.js";
import { collectSnapshot, HostError, type HostOptions } from "../../sources/host.js";
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output, setExitCode, VERSION } from "../common.js";

export interface DoctorArgs {
  root: string | null;
  format: "text" | "json";
  width?: number;
}

export interface CommandIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function defaultIO(): CommandIO {
  const o = new Output(process.stdout);
  return { out: (s) => o.write(s), err: (s) => process.stderr.write(s) };
}

export function runDoctor(args: DoctorArgs, io: CommandIO = defaultIO(), host: Omit<HostOptions, "root"> = {}): number {
  let snap;
  try {
    snap = collectSnapshot({ ...host, root: args.root });
  } catch (e) {
    if (e instanceof HostError) {
      io.err(`kpanic: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const result = runChecks(snap);
  if (args.format === "json") io.out(renderDoctorJson(result, VERSION, args.root));
  else io.out(renderDoctorText(result, { width: args.width ?? (process.stdout.columns || 120), root: args.root }));
  return result.verdict === "FAIL" ? EXIT_FOUND : EXIT_OK;
}

export const doctorCommand: CommandModule = {
  command: "doctor",
  describe: "check that this machine is ready to capture a kernel crash (kdump, crashkernel=, sysctls, pstore)",
  builder: (y: Argv) =>
    y
      .option("root", { type: "string", describe: "read /proc, /sys, /boot and /etc under this directory (a mounted image, a test tree)" })
      .option("format", { alias: "f", choices: ["text", "json"] as const, default: "text", describe: "output format" })
      .example("$0 doctor", "check the running system (run as root to see everything)")
      .example("$0 doctor --root /mnt/image --format json", "check a mounted system image"),
  handler: (a) => {
    const root = a["root"] === undefined ? null : String(a["root"]);
    setExitCode(runDoctor({ root, format: a["format"] as "text" | "json" }));
  },
};
