/**
 * `kpanic sym SYMBOLS QUERY...`: what crash's `sym` answers, for scripting —
 * `sysrq_handle_crash+22 drivers/tty/sysrq.c: 155`.
 */
import type { Argv, CommandModule } from "yargs";
import { formatSymAnswer, Symbolizer } from "../../index.js";
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output, setExitCode, UsageError } from "../common.js";

export interface SymArgs {
  symbols: string;
  queries: string[];
  json: boolean;
  kernelOffset?: string;
  source?: string;
  release?: string;
}

export async function runSym(args: SymArgs): Promise<number> {
  let kernelOffset: bigint | undefined;
  if (args.kernelOffset !== undefined) {
    const m = /^(?:0x)?([0-9a-fA-F]{1,16})$/.exec(args.kernelOffset);
    if (!m) throw new UsageError(`--kernel-offset ${args.kernelOffset}: give the hex value of the log's 'Kernel Offset: 0x...' line`);
    kernelOffset = BigInt("0x" + m[1]!);
  }
  const s = await Symbolizer.create({ symbols: [args.symbols], auto: false, ...(args.source !== undefined ? { source: args.source } : {}) });
  try {
    const answers = await s.sym(args.queries, { ...(kernelOffset !== undefined ? { kernelOffset } : {}), release: args.release ?? null });
    const out = new Output(process.stdout);
    for (const d of s.diagnostics) process.stderr.write(`kpanic: ${d.severity}: ${d.message}\n`);
    if (args.json) for (const a of answers) out.write(JSON.stringify(a) + "\n");
    else for (const a of answers) out.write(formatSymAnswer(a) + "\n");
    if (s.diagnostics.some((d) => d.severity === "error") && answers.every((a) => a.error)) return EXIT_USAGE;
    return answers.some((a) => a.error) ? EXIT_FOUND : EXIT_OK;
  } finally {
    await s.close();
  }
}

export const symCommand: CommandModule = {
  command: "sym <symbols> <queries..>",
  describe: "resolve func+off or addresses to file:line (like crash's sym)",
  builder: (y: Argv) =>
    y
      .positional("symbols", { type: "string", demandOption: true, describe: "vmlinux (with debug info), a module .ko[.xz|.zst|.gz], a directory of them, System.map or kallsyms" })
      .positional("queries", { type: "string", array: true, demandOption: true, describe: "func, func+0x16, func+22, 'func+0x14/0x53 [mod]', mod:func+off, or an address" })
      .option("json", { type: "boolean", default: false, describe: "one JSON object per query" })
      .option("kernel-offset", { type: "string", describe: "KASLR offset to take away from addresses (the log's 'Kernel Offset: 0x...')" })
      .option("source", { type: "string", describe: "kernel source tree: paths are made relative to it" })
      .option("release", { type: "string", describe: "pick the symbols of this release when several are given" })
      .example("$0 sym /usr/lib/debug/boot/vmlinux-$(uname -r) sysrq_handle_crash+0x16", "sysrq_handle_crash+22 drivers/tty/sysrq.c: 155")
      .example("$0 sym lkdtm.ko.xz 'lkdtm_ACCESS_NULL+0x14/0x53 [lkdtm]'", "a module function, through its own start")
      .example("$0 sym --kernel-offset 0x1e000000 System.map-6.1.0-56-amd64 0xffffffff9f553f1e", "an address on a KASLR kernel"),
  handler: async (a) => {
    setExitCode(
      await runSym({
        symbols: String(a["symbols"]),
        queries: ((a["queries"] as unknown[] | undefined) ?? []).map(String),
        json: a["json"] as boolean,
        ...(a["kernel-offset"] !== undefined ? { kernelOffset: String(a["kernel-offset"]) } : {}),
        ...(a["source"] !== undefined ? { source: String(a["source"]) } : {}),
        ...(a["release"] !== undefined ? { release: String(a["release"]) } : {}),
      }),
    );
  },
};
