/**
 * kpanic's command line: a thin dispatch over the command modules in
 * ./commands, which use only the public library API. Exit codes are decided
 * here: 0 ok, 1 something --fail-on asked about was found, 2 usage error or
 * unreadable input.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { analyzeCommand } from "./commands/analyze.js";
import { scanCommand } from "./commands/scan.js";
import { hookCommand } from "./commands/hook.js";
import { watchCommand } from "./commands/watch.js";
import { doctorCommand } from "./commands/doctor.js";
import { crashkernelCommand } from "./commands/crashkernel.js";
import { dmesgCommand } from "./commands/dmesg.js";
import { infoCommand } from "./commands/info.js";
import { symCommand } from "./commands/sym.js";
import { EXIT_USAGE, getExitCode, UsageError, VERSION } from "./common.js";

export async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName("kpanic")
    .usage("$0 [command] [options]\n\nFinds and explains kernel panics, Oopses, BUGs, WARNINGs, lockups, stalls and OOM kills in kernel logs.")
    .command(analyzeCommand)
    .command(scanCommand)
    .command(hookCommand)
    .command(watchCommand)
    .command(doctorCommand)
    .command(crashkernelCommand)
    .command(dmesgCommand)
    .command(infoCommand)
    .command(symCommand)
    .strict()
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      throw new UsageError(msg || err?.message || "invalid arguments");
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`kpanic: ${e.message}\nRun 'kpanic --help' for usage.\n`);
    return EXIT_USAGE;
  }
  return getExitCode();
}

main(hideBin(process.argv)).then(
  (c) => {
    process.exitCode = c;
  },
  (e: unknown) => {
    process.stderr.write(`kpanic: internal error: ${(e as Error)?.stack ?? String(e)}\nPlease report this with the input that caused it.\n`);
    process.exitCode = EXIT_USAGE;
  },
);
