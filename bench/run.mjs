#!/usr/bin/env node
/**
 * kpanic throughput benchmark (`npm run bench`, which builds dist/ first).
 *
 * Builds two logs in a temporary directory from the real corpus logs:
 *   (a) "boot logs": clean-boot logs (corpora/<arch>/negative/*.log) repeated
 *       up to --size-mb, with the crash part of a real corpus log inserted
 *       every ~50 MB;
 *   (b) "crash-dense": ~--dense-mb of crash parts back to back.
 * Each inserted crash part gets its timestamps shifted, so that copies are
 * distinct incidents rather than replays (kpanic reports a replay once).
 *
 * For each file: the real CLI (`node bin/kpanic.js analyze --format ndjson
 * FILE`, stdout to a file, then counted) under /usr/bin/time for wall time
 * and peak RSS, and `grep -c -F -f LITERALS FILE` with the grammar's header
 * literals as the speed reference. Prints a markdown table and writes it to
 * bench/RESULTS.md.
 *
 * Then the cost of enrichment per incident (bench/RESULTS-symbols.md): the
 * Code: disassembly, and symbolization of the corpus's incidents against the
 * corpus's lkdtm.ko (and a vmlinux with debug info when --vmlinux PATH is
 * given), once per incident (as ndjson/watch/hook do) and in one batch.
 *
 * Then `kpanic dmesg` against `node -e 0` and `makedumpfile --dump-dmesg` on
 * the full dumps under corpora/generate/.cache (bench/vmcore.mjs,
 * bench/RESULTS-vmcore.md), when the corpus generator has made them.
 *
 * Options: --size-mb N (default 1024), --dense-mb N (default 100, at most
 * --size-mb), --runs N (best of N timings, default 1), --keep (keep the temp
 * directory), --symbols-only (skip the throughput part), --vmlinux PATH,
 * --help.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = 1 << 20;
const INSERT_EVERY = 50 * MB;

// ------------------------------------------------------------- options ----

function parseArgs(argv) {
  const o = { sizeMb: 1024, denseMb: 100, runs: 1, keep: false, symbolsOnly: false, vmlinux: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) die(`${name} needs a positive number`);
      return v;
    };
    if (a === "--size-mb") o.sizeMb = num(a);
    else if (a === "--dense-mb") o.denseMb = num(a);
    else if (a === "--runs") o.runs = Math.floor(num(a));
    else if (a === "--keep") o.keep = true;
    else if (a === "--symbols-only") o.symbolsOnly = true;
    else if (a === "--vmlinux") o.vmlinux = argv[++i] ?? die("--vmlinux needs a path");
    else if (a === "--help" || a === "-h") {
      console.log("usage: node bench/run.mjs [--size-mb N] [--dense-mb N] [--runs N] [--keep] [--symbols-only] [--vmlinux PATH]");
      process.exit(0);
    } else die(`unknown option ${a}`);
  }
  o.denseMb = Math.min(o.denseMb, o.sizeMb);
  return o;
}

class BenchError extends Error {}

function die(msg) {
  throw new BenchError(msg);
}

const log = (msg) => console.error(`bench: ${msg}`);

// --------------------------------------------------------------- corpus ----

function listLogs() {
  const dir = path.join(ROOT, "corpora");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".log") && !p.split(path.sep).includes("generate"))
    .sort()
    .map((p) => path.join(dir, p));
}

/** Lines of a file, each with its own terminator (CRLF kept). */
function linesOf(buf) {
  const s = buf.toString("latin1"); // byte-exact round trip
  const out = s.split(/(?<=\n)/);
  if (out.length && !out[out.length - 1].endsWith("\n")) out[out.length - 1] += "\n";
  return out;
}

/**
 * Clean text: the negative logs; failing that, every corpus log with its
 * incident lines removed. Crash parts: from the first incident line to the
 * last one of each log with incidents.
 */
function loadCorpus(analyzeText) {
  const logs = listLogs();
  if (logs.length === 0) die("no corpora/**/*.log found: run `npm run corpora` first");
  const negatives = logs.filter((p) => path.basename(path.dirname(p)) === "negative");
  const clean = [];
  const crashes = [];
  let fallback = null;
  for (const p of logs) {
    const buf = fs.readFileSync(p);
    const { incidents } = analyzeText(buf);
    const lines = linesOf(buf);
    if (incidents.length) {
      const start = Math.min(...incidents.map((i) => i.source.startLine));
      const end = Math.max(...incidents.map((i) => i.source.endLine));
      crashes.push({ name: path.relative(ROOT, p), lines: lines.slice(start - 1, end), incidents: incidents.length });
    }
    if (negatives.length === 0) {
      const drop = new Set();
      for (const i of incidents) for (let l = i.source.startLine; l <= i.source.endLine; l++) drop.add(l);
      clean.push(lines.filter((_, ix) => !drop.has(ix + 1)).join(""));
    } else if (negatives.includes(p)) {
      if (incidents.length) log(`warning: negative log ${path.relative(ROOT, p)} has ${incidents.length} incident(s)`);
      clean.push(lines.join(""));
    }
  }
  if (negatives.length === 0) fallback = "no corpora/*/negative/*.log yet: the clean part is every corpus log with its incident lines removed";
  if (crashes.length === 0) die("no corpus log has an incident: nothing to sprinkle in");
  return {
    clean: Buffer.from(clean.join(""), "latin1"),
    cleanSources: negatives.length ? negatives.map((p) => path.relative(ROOT, p)) : [`${logs.length} corpus logs (incidents removed)`],
    crashes,
    fallback,
  };
}

const TS_RE = /\[(\s*)(\d{1,12})\.(\d{6})\]/;

/** A crash part with every timestamp moved `offset` seconds later (same bracket width or wider). */
function shifted(crash, offset) {
  let out = "";
  for (const line of crash.lines) {
    out += line.replace(TS_RE, (_m, sp, sec, frac) => {
      const s = String(Number(sec) + offset);
      return `[${s.padStart(sp.length + sec.length)}.${frac}]`;
    });
  }
  return Buffer.from(out, "latin1");
}

// -------------------------------------------------------------- writing ----

async function writeAll(file, produce) {
  const ws = fs.createWriteStream(file, { highWaterMark: 4 * MB });
  let bytes = 0;
  const write = async (buf) => {
    bytes += buf.length;
    if (!ws.write(buf)) await once(ws, "drain");
  };
  await produce(write, () => bytes);
  ws.end();
  await once(ws, "finish");
  return bytes;
}

/** (a): clean text repeated, a crash part every ~50 MB (the first one after 25 MB, or half-way in a smaller file). */
async function writeBootLog(file, corpus, sizeBytes) {
  // Clean text in ~4 MB blocks (whole boot logs), written with few syscalls.
  const reps = Math.max(1, Math.floor((4 * MB) / corpus.clean.length));
  const block = Buffer.concat(Array(reps).fill(corpus.clean));
  let inserted = 0;
  let expected = 0;
  let next = Math.min(INSERT_EVERY / 2, sizeBytes / 2); // at least one, even in a small run
  const bytes = await writeAll(file, async (write, written) => {
    while (written() < sizeBytes) {
      await write(block);
      if (written() >= next && written() < sizeBytes) {
        const c = corpus.crashes[inserted % corpus.crashes.length];
        await write(shifted(c, 100000 + inserted * 1000));
        expected += c.incidents;
        inserted++;
        next += INSERT_EVERY;
      }
    }
  });
  return { bytes, inserted, expected };
}

/** (b): crash parts back to back. */
async function writeDenseLog(file, corpus, sizeBytes) {
  let inserted = 0;
  let expected = 0;
  const bytes = await writeAll(file, async (write, written) => {
    let batch = [];
    let batchBytes = 0;
    while (written() + batchBytes < sizeBytes) {
      const c = corpus.crashes[inserted % corpus.crashes.length];
      const b = shifted(c, 100000 + inserted * 1000);
      batch.push(b);
      batchBytes += b.length;
      expected += c.incidents;
      inserted++;
      if (batchBytes >= 4 * MB) {
        await write(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length) await write(Buffer.concat(batch));
  });
  return { bytes, inserted, expected };
}

// ------------------------------------------------------------ measuring ----

// KPANIC_BENCH_NO_TIME=1 forces the in-process fallback (to test it).
const TIME_BIN = !process.env.KPANIC_BENCH_NO_TIME && fs.existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"]).status === 0 ? "/usr/bin/time" : null;

/**
 * Runs a command with stdout to `outFile`; returns wall seconds (measured
 * here) and peak RSS in KiB (/usr/bin/time's %M; else what the command
 * itself reports through `rssFile`).
 */
async function measure(cmd, args, { outFile, errFile, env, rssFile }) {
  const out = fs.openSync(outFile, "w");
  const err = fs.openSync(errFile, "w");
  const timeFile = `${outFile}.time`;
  const [bin, argv] = TIME_BIN ? [TIME_BIN, ["-f", "%e %M %U %S", "-o", timeFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, argv, { stdio: ["ignore", out, err], env: { ...process.env, ...env } });
  const [code, signal] = await once(child, "exit");
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(out);
  fs.closeSync(err);
  let rssKb = null;
  let cpu = null;
  if (TIME_BIN && fs.existsSync(timeFile)) {
    const last = (fs.readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "").split(" ");
    rssKb = Number(last[1]) || null;
    cpu = Number(last[2]) + Number(last[3]);
    if (!Number.isFinite(cpu)) cpu = null;
  } else if (rssFile && fs.existsSync(rssFile)) {
    const r = JSON.parse(fs.readFileSync(rssFile, "utf8"));
    rssKb = r.maxRSS;
    cpu = (r.userCPUTime + r.systemCPUTime) / 1e6;
  }
  return { code, signal, wall, rssKb, cpu };
}

/** Lines in a file, streamed. */
async function countLines(file) {
  let n = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MB })) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Reads the file once so that every timed run finds it in the page cache. */
async function warm(file) {
  for await (const _ of fs.createReadStream(file, { highWaterMark: 8 * MB })) void _;
}

/**
 * Without /usr/bin/time: a wrapper that runs the real CLI in-process and
 * writes process.resourceUsage().maxRSS (KiB) to a file at exit.
 */
function rssWrapper(dir) {
  const p = path.join(dir, "rss-wrapper.mjs");
  fs.writeFileSync(
    p,
    `import fs from "node:fs";
const [rssFile, kpanic, ...args] = process.argv.slice(2);
process.on("exit", () => fs.writeFileSync(rssFile, JSON.stringify(process.resourceUsage())));
process.argv = [process.argv[0], kpanic, ...args];
await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "bin", "kpanic.js")).href)});
`,
  );
  return p;
}

async function bench(name, file, info, literalsFile, anchorsFile, dir, runs) {
  const size = fs.statSync(file).size;
  await warm(file);
  const slug = path.basename(file, ".log");
  const kOut = path.join(dir, `${slug}.kpanic.ndjson`);
  const kErr = path.join(dir, `${slug}.kpanic.stderr`);
  const rssFile = path.join(dir, `${slug}.kpanic.rss`);
  const gOut = path.join(dir, `${slug}.grep.out`);
  const gErr = path.join(dir, `${slug}.grep.stderr`);
  const cli = path.join(ROOT, "bin", "kpanic.js");
  // Run the bin as users do (`kpanic`, i.e. through its shebang and its node flags).
  const kCmd = TIME_BIN ? cli : process.execPath;
  const kArgs = TIME_BIN ? ["analyze", "--format", "ndjson", file] : [rssWrapper(dir), rssFile, cli, "analyze", "--format", "ndjson", file];
  let k = null;
  for (let r = 0; r < runs; r++) {
    log(`${name}: kpanic run ${r + 1}/${runs}...`);
    const m = await measure(kCmd, kArgs, { outFile: kOut, errFile: kErr, rssFile });
    if (m.signal || (m.code !== 0 && m.code !== 1)) {
      die(`kpanic failed on ${file} (exit ${m.code ?? m.signal}):\n${fs.readFileSync(kErr, "utf8").slice(-2000)}`);
    }
    const peak = Math.max(k?.rssKb ?? 0, m.rssKb ?? 0) || null;
    if (!k || m.wall < k.wall) k = m;
    k.rssKb = peak;
  }
  const incidents = await countLines(kOut);
  const diagLines = await countLines(kErr);
  let g = null;
  for (let r = 0; r < runs; r++) {
    log(`${name}: grep run ${r + 1}/${runs}...`);
    const m = await measure("grep", ["-c", "-F", "-f", literalsFile, file], { outFile: gOut, errFile: gErr, env: { LC_ALL: "C" } });
    if (m.code !== 0 && m.code !== 1) die(`grep failed (exit ${m.code}): ${fs.readFileSync(gErr, "utf8")}`);
    if (!g || m.wall < g.wall) g = m;
  }
  const grepLines = Number(fs.readFileSync(gOut, "utf8").trim());
  // Second reference: grep for exactly what kpanic's idle scan searches for.
  let g2 = null;
  for (let r = 0; r < runs; r++) {
    log(`${name}: grep (prefilter literals) run ${r + 1}/${runs}...`);
    const m = await measure("grep", ["-c", "-F", "-f", anchorsFile, file], { outFile: gOut, errFile: gErr, env: { LC_ALL: "C" } });
    if (m.code !== 0 && m.code !== 1) die(`grep failed (exit ${m.code}): ${fs.readFileSync(gErr, "utf8")}`);
    if (!g2 || m.wall < g2.wall) g2 = m;
  }
  const row = {
    name,
    sizeMb: size / MB,
    kSeconds: k.wall,
    kMbps: size / MB / k.wall,
    kCpu: k.cpu,
    kCpuMbps: k.cpu ? size / MB / k.cpu : null,
    rssMb: k.rssKb !== null ? k.rssKb / 1024 : null,
    gSeconds: g.wall,
    gMbps: size / MB / g.wall,
    gCpu: g.cpu,
    gCpuMbps: g.cpu ? size / MB / g.cpu : null,
    ratio: g.wall / k.wall,
    g2Mbps: size / MB / g2.wall,
    ratio2: g2.wall / k.wall,
    cpuRatio: k.cpu && g.cpu ? g.cpu / k.cpu : null,
    incidents,
    inserted: info.inserted,
    expected: info.expected,
    grepLines,
    diagLines,
  };
  log(`${name}: kpanic ${row.kMbps.toFixed(1)} MB/s (CPU ${row.kCpuMbps?.toFixed(1) ?? "?"}), grep ${row.gMbps.toFixed(1)} MB/s (CPU ${row.gCpuMbps?.toFixed(1) ?? "?"}), RSS ${row.rssMb?.toFixed(1) ?? "?"} MB, ${incidents} incidents`);
  return row;
}

// ----------------------------------------------------------------- main ----

function machine() {
  let cpu = "unknown CPU";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1].trim();
  } catch {
    cpu = os.cpus()[0]?.model ?? cpu;
  }
  return { cpu, cores: os.availableParallelism?.() ?? os.cpus().length, memGb: os.totalmem() / 2 ** 30, platform: `${os.type()} ${os.release()} ${os.arch()}` };
}

function table(rows) {
  const f = (x, d = 1) => (x === null ? "?" : x.toFixed(d));
  const head =
    "| log | size MB | kpanic wall s | kpanic MB/s | kpanic CPU s | kpanic MB/CPU-s | peak RSS MB | grep wall s | grep MB/s | grep CPU s | grep MB/CPU-s | kpanic/grep (wall) | kpanic/grep (CPU) | grep prefilter-literals MB/s | kpanic/grep-prefilter (wall) | incidents found | crash parts inserted (incidents in them alone) | grep matching lines |";
  const sep = "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|";
  const body = rows.map(
    (r) =>
      `| ${r.name} | ${f(r.sizeMb, 0)} | ${f(r.kSeconds, 2)} | ${f(r.kMbps)} | ${f(r.kCpu, 2)} | ${f(r.kCpuMbps)} | ${f(r.rssMb)} | ${f(r.gSeconds, 2)} | ${f(r.gMbps)} | ${f(r.gCpu, 2)} | ${f(r.gCpuMbps)} | ${f(r.ratio, 2)} | ${f(r.cpuRatio, 2)} | ${f(r.g2Mbps)} | ${f(r.ratio2, 2)} | ${r.incidents} | ${r.inserted} (${r.expected}) | ${r.grepLines} |`,
  );
  return [head, sep, ...body].join("\n");
}

// ------------------------------------------------------- enrichment ----

/** Incidents of the x86_64 corpus logs that have frames in lkdtm. */
function lkdtmIncidents(analyzeText) {
  const out = [];
  for (const f of listLogs().filter((p) => p.includes("/x86_64/"))) {
    const r = analyzeText(fs.readFileSync(f, "utf8"), { sourceName: f });
    for (const i of r.incidents) if ([i.ip, ...i.frames].some((x) => x?.module === "lkdtm")) out.push(i);
  }
  return out;
}

async function benchSymbols(lib, opts) {
  const { analyzeText, Symbolizer, enrichIncidents } = lib;
  const rows = [];
  const time = async (fn) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  // Code: disassembly (capstone, in-process; the first call loads the WebAssembly module).
  let incs = lkdtmIncidents(analyzeText);
  const first = await time(() => enrichIncidents(incs.slice(0, 1), { code: true }));
  const rest = await time(() => enrichIncidents(incs.slice(1), { code: true }));
  rows.push(["Code: disassembly", incs.length, "-", first.toFixed(1), (rest / Math.max(1, incs.length - 1)).toFixed(2), "0"]);

  const configs = [["lkdtm.ko.xz (module frames)", [path.join(ROOT, "corpora/x86_64/modules/lkdtm.ko.xz")]]];
  if (opts.vmlinux) configs.push([`lkdtm.ko.xz + ${path.basename(opts.vmlinux)} (all frames)`, [path.join(ROOT, "corpora/x86_64/modules/lkdtm.ko.xz"), opts.vmlinux]]);
  for (const [label, symbols] of configs) {
    for (const mode of ["per incident", "one batch"]) {
      incs = lkdtmIncidents(analyzeText);
      const s = await Symbolizer.create({ symbols, auto: false });
      const times = [];
      const total = await time(async () => {
        if (mode === "one batch") await s.symbolize(incs);
        else for (const i of incs) times.push(await time(() => s.symbolize([i])));
      });
      const frames = incs.reduce((n, i) => n + (i.symbolization?.resolved ?? 0), 0);
      times.sort((a, b) => a - b);
      const median = times.length ? times[Math.floor(times.length / 2)].toFixed(1) : "-";
      rows.push([`${label}, ${mode}`, incs.length, frames, total.toFixed(0), mode === "one batch" ? (total / incs.length).toFixed(1) : `${(total / incs.length).toFixed(1)} (median ${median})`, String(s.runs)]);
      await s.close();
    }
  }
  const md = [
    "# kpanic enrichment cost",
    "",
    `- date: ${new Date().toISOString()}, node ${process.version}, ${machine().cores} cores, ${machine().cpu}`,
    `- incidents: every incident of the x86_64 corpus with an lkdtm frame; symbols: the corpus's lkdtm.ko.xz${opts.vmlinux ? ` and ${opts.vmlinux}` : " (no vmlinux given: --vmlinux PATH adds one)"}`,
    "- engine: binutils addr2line, one process per object and section per batch (addresses on stdin); \"per incident\" is how ndjson output, watch and hook run it",
    "",
    "| what | incidents | frames resolved | total ms | ms per incident | addr2line runs |",
    "|---|--:|--:|--:|--:|--:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ].join("\n");
  console.log(md);
  fs.writeFileSync(path.join(ROOT, "bench", "RESULTS-symbols.md"), md);
  log("written to bench/RESULTS-symbols.md");
}

// ------------------------------------------------------------ vmcores ----

/**
 * `kpanic dmesg` beside `node -e 0` and `makedumpfile --dump-dmesg` on the
 * full dumps the corpus generator left in corpora/generate/.cache (bench/vmcore.mjs,
 * written to bench/RESULTS-vmcore.md); skipped with a note when there are none
 * (a clean clone has only the minimised fixtures, which makedumpfile cannot read).
 */
function benchVmcore(opts) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bench", "vmcore.mjs"), "--runs", String(Math.max(15, opts.runs)), "--out", path.join(ROOT, "bench", "RESULTS-vmcore.md")], { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  if (r.status === 0) log("written to bench/RESULTS-vmcore.md");
  else log(`vmcore benchmark skipped: ${(r.stderr || "").trim() || `exit ${r.status}`}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.symbolsOnly) {
    const dist = path.join(ROOT, "dist", "index.js");
    if (!fs.existsSync(dist)) die("dist/ is missing: run `npm run build` (or `npm run bench`, which builds first)");
    await benchSymbols(await import(pathToFileURL(dist).href), opts);
    return;
  }
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const dist = path.join(ROOT, "dist", "index.js");
  if (!fs.existsSync(dist)) die("dist/ is missing: run `npm run build` (or `npm run bench`, which builds first)");
  const { analyzeText, builtinGrammar } = await import(pathToFileURL(dist).href);

  const corpus = loadCorpus(analyzeText);
  if (corpus.fallback) log(`note: ${corpus.fallback}`);
  log(`clean text: ${(corpus.clean.length / 1024).toFixed(0)} KiB from ${corpus.cleanSources.length} log(s); ${corpus.crashes.length} crash parts`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kpanic-bench-"));
  const cleanup = () => {
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  try {
    const literals = builtinGrammar().literals.map((l) => l.literal);
    if (literals.some((l) => l.length === 0 || l.includes("\n"))) die("a grammar literal is empty or has a newline: grep -f would misread it");
    const literalsFile = path.join(dir, "literals.txt");
    fs.writeFileSync(literalsFile, `${literals.join("\n")}\n`);
    const anchors = builtinGrammar().prefilterLiterals;
    const anchorsFile = path.join(dir, "prefilter-literals.txt");
    fs.writeFileSync(anchorsFile, `${anchors.join("\n")}\n`);

    const bootFile = path.join(dir, "boot-logs.log");
    const denseFile = path.join(dir, "crash-dense.log");
    log(`writing ${opts.sizeMb} MB boot log to ${bootFile}...`);
    let t = Date.now();
    const boot = await writeBootLog(bootFile, corpus, opts.sizeMb * MB);
    log(`  ${(boot.bytes / MB).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s, ${boot.inserted} crash parts`);
    log(`writing ${opts.denseMb} MB crash-dense log...`);
    t = Date.now();
    const dense = await writeDenseLog(denseFile, corpus, opts.denseMb * MB);
    log(`  ${(dense.bytes / MB).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s, ${dense.inserted} crash parts`);

    const rows = [
      await bench("(a) boot logs + crash every 50 MB", bootFile, boot, literalsFile, anchorsFile, dir, opts.runs),
      await bench("(b) crash-dense", denseFile, dense, literalsFile, anchorsFile, dir, opts.runs),
    ];

    const m = machine();
    const a = rows[0];
    const targets = [
      `kpanic ≥ 0.5 × grep speed on (a): wall ${a.ratio >= 0.5 ? "met" : "NOT met"} (${a.ratio.toFixed(2)}), CPU time ${a.cpuRatio === null ? "?" : `${a.cpuRatio >= 0.5 ? "met" : "NOT met"} (${a.cpuRatio.toFixed(2)})`}`,
      `peak RSS < 100 MB: ${rows.every((r) => r.rssMb !== null && r.rssMb < 100) ? "met" : "NOT met"} (${rows.map((r) => `${r.rssMb?.toFixed(0) ?? "?"} MB`).join(", ")})`,
    ];
    const md = [
      "# kpanic benchmark",
      "",
      `- date: ${new Date().toISOString()}`,
      `- node: ${process.version}`,
      `- machine: ${m.cores} cores, ${m.cpu}, ${m.memGb.toFixed(0)} GiB RAM, ${m.platform}`,
      `- command: \`node bench/run.mjs --size-mb ${opts.sizeMb} --dense-mb ${opts.denseMb} --runs ${opts.runs}\``,
      `- kpanic: \`bin/kpanic.js analyze --format ndjson FILE > out.ndjson\` (run through its shebang, as an installed \`kpanic\` is), wall time, peak RSS from ${TIME_BIN ? "`/usr/bin/time -f %M`" : "process.resourceUsage().maxRSS"}; best of ${opts.runs}`,
      `- grep: \`LC_ALL=C grep -c -F -f LITERALS FILE\` with the grammar's ${literals.length} header literals (the reference the issue names), and again with the ${anchors.length} prefilter literals kpanic's idle scan actually searches for; file in page cache for all`,
      `- clean text: ${corpus.cleanSources.join(", ")}${corpus.fallback ? ` (${corpus.fallback})` : ""}`,
      `- crash parts: ${corpus.crashes.length} (first to last incident line of each corpus log with incidents), timestamps shifted per copy`,
      `- load average when the run started: ${loadStart}, at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} (other work on the machine inflates wall times; CPU time = user + sys is steadier)`,
      "- MB = 2^20 bytes; \"kpanic/grep\" = grep time / kpanic time, i.e. kpanic speed as a fraction of grep's (≥ 0.5 is the target)",
      "- \"incidents in them alone\": the sum of what each crash part gives when analysed on its own; back to back, a part can join its neighbour (e.g. a consequence panic), so (b) finds a few less",
      "",
      table(rows),
      "",
      "Targets:",
      "",
      ...targets.map((x) => `- ${x}`),
      "",
    ].join("\n");
    console.log(md);
    fs.writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), md);
    log("written to bench/RESULTS.md");
    await benchSymbols(await import(pathToFileURL(dist).href), opts);
    benchVmcore(opts);
    if (opts.keep) log(`kept ${dir}`);
  } finally {
    cleanup();
  }
}

try {
  await main();
} catch (e) {
  if (!(e instanceof BenchError)) throw e;
  console.error(`bench: ${e.message}`);
  process.exitCode = 2;
}
