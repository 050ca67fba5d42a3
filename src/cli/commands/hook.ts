/**
 * `kpanic hook [DIR...]`: the post-reboot mode. Reports only what is new
 * since the last run — new dump directories and the previous boot's kernel
 * log from journald — exactly once, even across killed or concurrent runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Argv, CommandModule } from "yargs";
import { analyze, type Diagnostic, type Incident, type IncidentClass } from "../../index.js";
import { scanCrashDir, type DumpEntry } from "../../sources/crashdir.js";
import { readJournalBoot } from "../../sources/journal.js";
import { acquireLock, dumpKey, ensurePrivateDir, readLedger, StateError, writeFileAtomic, writeLedger, type Ledger } from "../../sources/state.js";
import { dumpReport, type DumpReport } from "../../report/scan.js";
import { buildReport, renderMarkdown } from "../../report/render.js";
import { addEnrichOptions, Enricher, enrichArgs, EXIT_FOUND, EXIT_OK, EXIT_USAGE, parseClasses, printDiagnostic, setExitCode, VERSION, type EnrichArgs } from "../common.js";
import { DEFAULT_DIRS, dumpIncidents } from "./scan.js";

export interface HookArgs {
  dirs: string[];
  stateDir: string;
  exec: string | null;
  failOn: IncidentClass[];
  journal: boolean;
  quiet: boolean;
  /** Seconds to wait for a dump still being written (dump-incomplete) or for another run. */
  wait: number;
  /** Symbolization and Code: decoding. */
  enrich?: EnrichArgs;
}

/** syslog priority for an incident, as a `<N>` prefix journald understands on stderr. */
function priority(i: Incident): number {
  if (i.fatal || i.class === "panic") return 2; // crit
  if (i.class === "oops" || i.class === "bug" || i.class === "memory-safety" || i.class === "hardware") return 3; // err
  return 4; // warning
}

function keyOf(e: DumpEntry): string {
  const parts: (string | number)[] = [e.path];
  for (const f of [...e.logs, ...(e.vmcore ? [e.vmcore.path] : [])]) {
    try {
      const st = statSync(f);
      parts.push(f, st.dev, st.ino, st.size, Math.floor(st.mtimeMs));
    } catch {
      parts.push(f, "gone");
    }
  }
  return dumpKey(parts);
}

async function incidentsOf(stream: AsyncIterable<Uint8Array | string>, name: string, diagnose: (d: Diagnostic) => void, inputFormat?: "journal-json"): Promise<Incident[]> {
  const out: Incident[] = [];
  for await (const i of analyze(stream, { sourceName: name, onDiagnostic: diagnose, idleFlushMs: 0, ...(inputFormat ? { inputFormat } : {}) })) out.push(i);
  return out;
}

function runExec(cmd: string, input: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", cmd], { stdio: ["pipe", "inherit", "inherit"] });
    child.on("error", () => resolve(127));
    child.on("close", (code) => resolve(code ?? 1));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (up to `seconds`) until no process holds kdump-tools' kdump_lock, using
 * util-linux flock(1) with a shared lock, which waits while kdump-tools holds its
 * exclusive one. The file exists (checked with lstat by the scan), so flock only
 * opens it. Without flock(1), go on.
 */
function waitKdumpLock(path: string, seconds: number): boolean {
  try {
    if (!lstatSync(path).isFile()) return true;
  } catch {
    return true;
  }
  const r = spawnSync("flock", ["--shared", "--wait", String(Math.max(0, seconds)), path, "true"], { stdio: "ignore", timeout: (seconds + 5) * 1000 });
  if (r.error) return true; // no flock(1): nothing to wait with
  return r.status === 0;
}

export async function runHook(a: HookArgs): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const diagnose = (d: Diagnostic): void => {
    diagnostics.push(d);
    printDiagnostic(d, a.quiet);
  };
  try {
    ensurePrivateDir(a.stateDir);
    ensurePrivateDir(join(a.stateDir, "reports"));
  } catch (e) {
    process.stderr.write(`kpanic: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  let release: (() => void) | null = null;
  for (let waited = 0; ; waited++) {
    release = acquireLock(a.stateDir);
    if (release || waited >= a.wait) break;
    await sleep(1000);
  }
  if (!release) {
    process.stderr.write(`kpanic: another kpanic hook is running (lock ${join(a.stateDir, "lock")}); nothing done\n`);
    return EXIT_OK;
  }
  let fatalFound = false;
  let errors = false;
  const enricher = await Enricher.create(a.enrich ?? { symbols: [], forceSymbols: false, autoSymbols: false, code: true }, diagnose);
  try {
    let ledger: Ledger = readLedger(a.stateDir);
    const dirs = a.dirs.length ? a.dirs : DEFAULT_DIRS.filter((d) => existsSync(d));
    const report = async (key: string, what: string, rep: DumpReport): Promise<void> => {
      const id = key.slice(0, 16);
      const dir = join(a.stateDir, "reports", id);
      ensurePrivateDir(dir);
      const doc = { schema: "kpanic.hook/v1", generator: { name: "kpanic", version: VERSION }, what, dump: rep };
      const json = JSON.stringify(doc, null, 2) + "\n";
      writeFileAtomic(join(dir, "report.json"), json);
      writeFileAtomic(join(dir, "report.md"), `# ${what}\n\n` + renderMarkdown(buildReport(VERSION, rep.logs.map((l) => ({ name: l, incidents: rep.incidents.filter((i) => i.source.name === l).length })), rep.incidents, [])));
      for (const i of rep.incidents) {
        process.stderr.write(`<${priority(i)}>kpanic: ${what}: ${i.title}${i.fatal ? " (kernel panic)" : ""} [${i.fingerprint.slice(0, 8)}] report: ${join(dir, "report.json")}\n`);
        if (a.failOn.includes(i.class)) fatalFound = true;
      }
      if (rep.incidents.length === 0 && rep.vmcore) {
        process.stderr.write(`<4>kpanic: ${what}: a ${rep.vmcore.format} dump without a kernel log; report: ${join(dir, "report.json")}\n`);
      }
      if (a.exec) {
        const rc = await runExec(a.exec, json);
        if (rc !== 0) {
          diagnose({ code: "unreadable-input", severity: "error", message: `--exec command exited ${rc} for ${what}; it will be run again next time` });
          errors = true;
          return; // not recorded: retried next run
        }
      }
      // Recorded last: a run killed before this line reports the dump again next time (never loses it).
      ledger = readLedger(a.stateDir);
      ledger.entries[key] = { what, reportedAt: new Date().toISOString(), reportDir: dir, incidents: rep.incidents.length };
      writeLedger(a.stateDir, ledger);
    };

    for (const root of dirs) {
      const res = await scanCrashDir(root);
      res.diagnostics.forEach(diagnose);
      if (res.kdumpLock && !waitKdumpLock(join(root, "kdump_lock"), a.wait)) {
        diagnose({ code: "unreadable-input", severity: "warning", message: `${root}: kdump-tools is still writing a dump (kdump_lock is held); its dumps will be reported next run`, source: root });
        continue;
      }
      for (const e of res.dumps) {
        const key = keyOf(e);
        if (ledger.entries[key]) continue;
        // kdump-tools still writing this one? (dump-incomplete that is recent)
        if (e.incomplete && e.vmcore && Date.now() - lstatSync(e.vmcore.path).mtimeMs < 60_000) {
          diagnose({ code: "truncated-incident", severity: "info", message: `${e.path}: the dump is still being written; it will be reported next run`, source: e.path });
          continue;
        }
        const incidents = await dumpIncidents(e, diagnose);
        await enricher.run(incidents);
        await report(key, e.path, dumpReport(e, incidents));
      }
    }

    if (a.journal) {
      const boot = readJournalBoot(-1);
      const incidents = await incidentsOf(boot.lines, "journal:-1", diagnose, boot.inputFormat).catch(() => [] as Incident[]);
      const why = await boot.done;
      if (why) diagnose({ code: "unreadable-input", severity: "info", message: `previous boot's journal not read: ${why}` });
      else if (boot.bootId) {
        for (const i of incidents) i.time.bootId ??= boot.bootId;
        const key = dumpKey(["journal", boot.bootId]);
        if (!ledger.entries[key]) {
          await enricher.run(incidents);
          const e: DumpEntry = { path: `journal:${boot.bootId}`, relPath: "", layout: "unknown", host: null, timeFromName: null, logs: [], vmcore: null, captureLog: null, incomplete: false, notes: [] };
          if (incidents.length) await report(key, `previous boot ${boot.bootId}`, dumpReport(e, incidents));
          else {
            ledger = readLedger(a.stateDir);
            ledger.entries[key] = { what: `previous boot ${boot.bootId}`, reportedAt: new Date().toISOString(), reportDir: null, incidents: 0 };
            writeLedger(a.stateDir, ledger);
          }
        }
      }
    }
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    process.stderr.write(`kpanic: ${e.message}\n`);
    errors = true;
  } finally {
    release();
    await enricher.close();
  }
  if (errors) return EXIT_USAGE;
  return fatalFound ? EXIT_FOUND : EXIT_OK;
}

const UNIT_PATH = "/etc/systemd/system/kpanic.service";

function unitSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return readFileSync(join(here, "..", "..", "..", "systemd", "kpanic.service"), "utf8");
}

async function install(uninstall: boolean): Promise<number> {
  const systemctl = (args: string[]) => new Promise<number>((resolve) => spawn("systemctl", args, { stdio: "inherit" }).on("close", (c) => resolve(c ?? 1)).on("error", () => resolve(127)));
  if (uninstall) {
    await systemctl(["disable", "kpanic.service"]);
    rmSync(UNIT_PATH, { force: true });
    await systemctl(["daemon-reload"]);
    process.stderr.write(`kpanic: removed ${UNIT_PATH}\n`);
    return EXIT_OK;
  }
  const bin = process.argv[1] ?? "kpanic";
  const unit = unitSource().replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${bin} hook`);
  mkdirSync(dirname(UNIT_PATH), { recursive: true });
  writeFileSync(UNIT_PATH, unit, { mode: 0o644 });
  const rc = (await systemctl(["daemon-reload"])) || (await systemctl(["enable", "kpanic.service"]));
  process.stderr.write(rc === 0 ? `kpanic: installed and enabled ${UNIT_PATH}; it runs after each boot\n` : `kpanic: wrote ${UNIT_PATH}, but systemctl failed (no systemd?); see the README for cron/rc.local\n`);
  return rc === 0 ? EXIT_OK : EXIT_USAGE;
}

export const hookCommand: CommandModule = {
  command: "hook [dirs..]",
  describe: "post-reboot: report new dumps and the previous boot's kernel incidents, once (also: hook install|uninstall)",
  builder: (y: Argv) =>
    addEnrichOptions(y)
      .positional("dirs", { type: "string", array: true, default: [] as string[], describe: "crash directories (default as for scan), or install / uninstall" })
      .option("state-dir", { type: "string", default: "/var/lib/kpanic", describe: "ledger and reports (created 0700)" })
      .option("exec", { type: "string", describe: "run this shell command per new report, with the report JSON on stdin" })
      .option("fail-on", { type: "string", describe: "exit 1 when a new incident of these classes is found", coerce: parseClasses })
      .option("journal", { type: "boolean", default: true, describe: "also read the previous boot's kernel log from journald (--no-journal to skip)" })
      .option("wait", { type: "number", default: 30, describe: "seconds to wait for another run to finish" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "do not print informational diagnostics" })
      .example("$0 hook install", "run after every boot (systemd)")
      .example("$0 hook --exec 'mail -s crash root'", "mail each new report")
      .epilogue("Exit: 0 nothing new or reported fine, 1 new incidents of a --fail-on class, 2 errors."),
  handler: async (a) => {
    const dirs = ((a["dirs"] as unknown[] | undefined) ?? []).map(String);
    if (dirs[0] === "install" || dirs[0] === "uninstall") {
      setExitCode(await install(dirs[0] === "uninstall"));
      return;
    }
    setExitCode(
      await runHook({
        dirs,
        stateDir: a["state-dir"] as string,
        exec: (a["exec"] as string | undefined) ?? null,
        failOn: (a["fail-on"] as IncidentClass[] | undefined) ?? [],
        journal: a["journal"] as boolean,
        quiet: a["quiet"] as boolean,
        wait: a["wait"] as number,
        enrich: enrichArgs(a),
      }),
    );
  },
};
