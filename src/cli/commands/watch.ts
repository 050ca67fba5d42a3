/**
 * `kpanic watch`: follows the running kernel's log (/dev/kmsg) and reports
 * each incident the moment it is complete.
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { analyze, type Diagnostic } from "../../index.js";
import { renderIncidentText, renderNdjsonLine } from "../../report/render.js";
import { EXIT_USAGE, Output, printDiagnostic, setExitCode } from "../common.js";

/** /dev/kmsg as a stream of records; a reader that falls behind gets EPIPE and goes on (records were overwritten). */
async function* kmsgStream(path: string, diagnose: (d: Diagnostic) => void): AsyncGenerator<Uint8Array | string> {
  for (;;) {
    const s = createReadStream(path, { highWaterMark: 1 << 16 });
    try {
      for await (const chunk of s) yield chunk as Buffer;
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EPIPE") throw e;
      diagnose({ code: "printk-dropped", severity: "warning", message: `${path}: some kernel messages were overwritten before kpanic read them` });
    }
  }
}

export const watchCommand: CommandModule = {
  command: "watch",
  describe: "follow the running kernel's log (/dev/kmsg) and report each incident as it happens",
  builder: (y: Argv) =>
    y
      .option("format", { alias: "f", choices: ["text", "ndjson"] as const, default: "text", describe: "output format" })
      .option("kmsg", { type: "string", default: "/dev/kmsg", describe: "the kernel log device" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .option("exec", { type: "string", describe: "run this shell command per incident, with the incident JSON on stdin" })
      .example("sudo $0 watch --format ndjson | tee incidents.ndjson", "log every incident as it happens"),
  handler: async (a) => {
    const out = new Output(process.stdout);
    const quiet = a["quiet"] as boolean;
    const path = a["kmsg"] as string;
    const diagnose = (d: Diagnostic): void => printDiagnostic(d, quiet);
    let n = 0;
    try {
      for await (const inc of analyze(kmsgStream(path, diagnose), { sourceName: path, inputFormat: "kmsg", onDiagnostic: diagnose })) {
        n++;
        out.write(a["format"] === "ndjson" ? renderNdjsonLine(inc) : renderIncidentText(inc, n) + "\n");
        const cmd = a["exec"] as string | undefined;
        if (cmd) {
          const child = spawn("/bin/sh", ["-c", cmd], { stdio: ["pipe", "inherit", "inherit"] });
          child.on("error", (e) => diagnose({ code: "unreadable-input", severity: "warning", message: `--exec: ${e.message}` }));
          child.stdin.on("error", () => {});
          child.stdin.end(JSON.stringify(inc) + "\n");
        }
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      process.stderr.write(
        `kpanic: cannot read ${path}: ${code === "EACCES" || code === "EPERM" ? "permission denied; run as root, or allow it with sysctl kernel.dmesg_restrict=0" : (e as Error).message}\n`,
      );
      setExitCode(EXIT_USAGE);
    }
  },
};
