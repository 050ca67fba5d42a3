#!/usr/bin/env node
/**
 * vmcore benchmark: `kpanic dmesg` vs `makedumpfile --dump-dmesg` on the full
 * dumps of the corpus's kdump run (corpora/generate/.cache/kdump/, ~32-40 MB;
 * make them with `bash corpora/generate/run.sh kdump`) and the QEMU dumps
 * (corpora/generate/.cache/qemu-dump/, `bash corpora/generate/vmcore-qemu.sh`;
 * corpora/generate/.cache/qemu-dump-arm64/, `bash corpora/generate/vmcore-qemu-arm64.sh`;
 * makedumpfile cannot read those), or on dumps given as arguments. Needs
 * `npm run build`.
 *
 *   node bench/vmcore.mjs [--runs N] [--out FILE] [DUMP...]
 *
 * For each dump: wall time of the real command line (`bin/kpanic.js dmesg
 * --stats DUMP` through its shebang, as an installed `kpanic` runs, and
 * `node bin/kpanic.js ...` without the shebang's V8 flag; its own decode time
 * from --stats is in parentheses), the same minus `node -e 0` (Node's own
 * start-up, measured in the same rounds), `makedumpfile --dump-dmesg`'s wall time, peak RSS
 * (/usr/bin/time), bytes read (kpanic: its own --stats count of positioned
 * reads; makedumpfile: strace's read and pread64 byte totals, when strace is
 * installed) and whether both outputs are identical. N rounds (default 15)
 * of all commands interleaved, so that load changes hit them alike; medians
 * and bests over the rounds.
 * Prints a markdown table; `--out FILE` also writes it there (npm run bench
 * writes bench/RESULTS-vmcore.md).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
let runs = 15;
let outFile = null;
const dumps = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else if (args[i] === "--out") outFile = args[++i];
  else if (args[i] === "--help" || args[i] === "-h") {
    console.log("node bench/vmcore.mjs [--runs N] [--out FILE] [DUMP...]");
    process.exit(0);
  } else dumps.push(args[i]);
}
if (dumps.length === 0) {
  const walk = (d) => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)])) : []);
  dumps.push(...walk(path.join(ROOT, "corpora/generate/.cache/kdump")).filter((f) => /\/(?:dump\.\d+|vmcore|vmcore-elf\.\d+)$/.test(f)));
  dumps.push(...walk(path.join(ROOT, "corpora/generate/.cache/qemu-dump")).filter((f) => /\/vmcore[-a-z]*\.(?:elf|kdump-flat)$/.test(f)));
  dumps.push(...walk(path.join(ROOT, "corpora/generate/.cache/qemu-dump-arm64")).filter((f) => /\/vmcore\.(?:elf|kdump-flat)$/.test(f)));
}
if (dumps.length === 0) {
  console.error("no dumps: run `bash corpora/generate/run.sh kdump` or give dump files");
  process.exit(2);
}
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const haveTime = fs.existsSync("/usr/bin/time");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kpanic-vmcore-bench-"));
const BIN = path.join(ROOT, "bin", "kpanic.js");

function timed(argv, stdoutFile) {
  const full = haveTime ? ["/usr/bin/time", "-f", "TIME %M", ...argv] : argv;
  const out = fs.openSync(stdoutFile, "w");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { stdio: ["ignore", out, "pipe"], encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(out);
  const m = /TIME (\d+)/.exec(r.stderr ?? "");
  const inside = /stats: ([\d.]+) ms/.exec(r.stderr ?? "");
  return { status: r.status, stderr: r.stderr ?? "", wall, rssKb: m ? Number(m[1]) : NaN, decodeMs: inside ? Number(inside[1]) : NaN };
}

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** Median and best wall time of one command's runs, its median time beyond the same rounds' `node -e 0`, and its last run. */
function summary(rs, node) {
  const last = rs[rs.length - 1];
  return {
    ...last,
    wall: median(rs.map((r) => r.wall)),
    best: Math.min(...rs.map((r) => r.wall)),
    beyond: median(rs.map((r, i) => r.wall - node[i].wall)),
    decodeMs: median(rs.map((r) => r.decodeMs)),
    rssKb: Math.max(...rs.map((r) => r.rssKb)),
    status: rs.find((r) => r.status !== 0)?.status ?? last.status,
  };
}

function straceBytes(argv) {
  if (!has("strace")) return NaN;
  const log = path.join(tmp, "strace.txt");
  spawnSync("strace", ["-f", "-e", "trace=read,pread64,preadv,readv", "-o", log, ...argv], { stdio: "ignore" });
  let total = 0;
  for (const line of fs.readFileSync(log, "utf8").split("\n")) {
    const m = /^\d+\s+p?readv?(?:64)?\(\d+,.*\)\s+=\s+(\d+)/.exec(line);
    if (m && !line.includes("/lib") && !line.includes(".so")) total += Number(m[1]);
  }
  return total;
}

const rows = [];
for (const dump of dumps) {
  const size = fs.statSync(dump).size;
  const kOut = path.join(tmp, "kpanic.txt");
  const mOut = path.join(tmp, "makedumpfile.txt");
  const mArgv = ["makedumpfile", "--dump-dmesg", dump, mOut];
  const haveMdf = has("makedumpfile");
  // Each round runs all commands back to back; load changes hit them alike, and the
  // time beyond Node's start-up is taken per round (kpanic minus the same round's
  // `node -e 0`), then the median over rounds: one lucky or unlucky `node -e 0`
  // moves a difference of bests by 20 ms on this kind of machine.
  const all = { n: [], k: [], p: [], m: [] };
  for (let i = 0; i < runs; i++) {
    all.n.push(timed(["node", "-e", "0"], path.join(tmp, "n.stdout")));
    // As users run it (`kpanic`: the bin through its shebang, with its V8 flag), and as `node bin/kpanic.js`.
    all.k.push(timed([BIN, "dmesg", "--stats", dump], kOut));
    all.p.push(timed(["node", BIN, "dmesg", "--stats", dump], path.join(tmp, "p.stdout")));
    if (haveMdf) {
      fs.rmSync(mOut, { force: true });
      all.m.push(timed(mArgv, path.join(tmp, "m.stdout")));
    }
  }
  const k = summary(all.k, all.n);
  const p = summary(all.p, all.n);
  const n = summary(all.n, all.n);
  const m = haveMdf ? summary(all.m, all.n) : null;
  const kBytes = Number(/read (\d+) of/.exec(k.stderr)?.[1] ?? NaN);
  const row = { dump: path.relative(ROOT, dump), size, k, p, n, kBytes, m: m ?? null, mBytes: NaN, same: "n/a" };
  if (haveMdf) {
    row.same = m.status === 0 && fs.existsSync(mOut) ? (fs.readFileSync(mOut).equals(fs.readFileSync(kOut)) ? "identical" : "DIFFERENT") : `makedumpfile failed (${m.status})`;
    fs.rmSync(mOut, { force: true });
    row.mBytes = straceBytes(mArgv);
  }
  rows.push(row);
}
const mb = (n) => (Number.isFinite(n) ? (n / 1048576).toFixed(2) : "n/a");
const ms = (x) => (x * 1000).toFixed(1);
const lines = [
  `vmcore benchmark, ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, ${runs} rounds, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
  "",
  "`kpanic` is the bin run through its shebang (`node --optimize-for-size`), as an installed kpanic runs; `node bin/kpanic.js` runs it without that V8 flag. Times are medians over the rounds, best in parentheses; \"beyond\" is the median over rounds of the command's wall time minus that round's `node -e 0`. Decode ms: the command's own --stats time (median).",
  "",
  "| dump | size MB | kpanic ms (best) | node bin/kpanic.js ms (best) | node -e 0 ms (best) | kpanic beyond node -e 0 ms | node bin/kpanic.js beyond ms | kpanic decode ms | makedumpfile ms (best) | kpanic RSS MB | kpanic read MB | makedumpfile RSS MB | makedumpfile read MB | output |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ...rows.map(
    (r) =>
      `| ${r.dump} | ${mb(r.size)} | ${ms(r.k.wall)} (${ms(r.k.best)}) | ${ms(r.p.wall)} (${ms(r.p.best)}) | ${ms(r.n.wall)} (${ms(r.n.best)}) | ${ms(r.k.beyond)} | ${ms(r.p.beyond)} | ${r.k.decodeMs.toFixed(1)} | ${r.m ? `${ms(r.m.wall)} (${ms(r.m.best)})` : "n/a"} | ${(r.k.rssKb / 1024).toFixed(0)} | ${mb(r.kBytes)} | ${r.m ? (r.m.rssKb / 1024).toFixed(0) : "n/a"} | ${mb(r.mBytes)} | ${r.same} |`,
  ),
];
console.log(lines.join("\n"));
if (outFile) fs.writeFileSync(outFile, `# kpanic dmesg vs makedumpfile --dump-dmesg\n\n${lines.join("\n")}\n`);
fs.rmSync(tmp, { recursive: true, force: true });
