/**
 * `kpanic dmesg VMCORE`: the kernel log kept in a vmcore, in exactly the
 * format of `makedumpfile --dump-dmesg` (so the two can be diffed), or one
 * JSON object per record (--json). Needs no debug symbols: VMCOREINFO only.
 */
import type { Argv, CommandModule } from "yargs";
import { setExitCode } from "../common.js";
import { readVmcoreFile } from "../../sources/vmcore.js";
import { runDmesg } from "../vmcore-run.js";

export { runDmesg, type DmesgArgs } from "../vmcore-run.js";

export const dmesgCommand: CommandModule = {
  command: "dmesg <vmcore>",
  describe: "print the kernel log kept in a vmcore (kdump-compressed, flattened or ELF), like makedumpfile --dump-dmesg",
  builder: (y: Argv) =>
    y
      .positional("vmcore", { type: "string", demandOption: true, describe: "the dump: /var/crash/*/dump.*, vmcore, a QEMU dump-guest-memory file" })
      .option("json", { type: "boolean", default: false, describe: "one JSON object per record: seq, ts, ts_nsec, caller, text" })
      .option("caller", { type: "boolean", default: false, describe: "prefix each record with its caller id ([  T123] task, [    C1] CPU) as the console prints them, when the ring keeps them (CONFIG_PRINTK_CALLER)" })
      .option("stats", { type: "boolean", default: false, describe: "report bytes read, records and time on stderr" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .example("$0 dmesg /var/crash/*/dump.*", "the log of the crashed kernel, when kdump left no dmesg file")
      .example("$0 dmesg vmcore | $0 analyze", "explain it"),
  handler: async (a) => {
    setExitCode(await runDmesg({ vmcore: String(a["vmcore"]), json: a["json"] as boolean, stats: a["stats"] as boolean, quiet: a["quiet"] as boolean, caller: a["caller"] as boolean }, readVmcoreFile));
  },
};
