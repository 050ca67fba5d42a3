#!/usr/bin/env node
// Builds the lean `kpanic dmesg` path that bin/kpanic.js loads (run by `npm run build`
// after tsc):
//
// 1. dist/cli/fast.js and everything it imports, bundled by rolldown into one CommonJS
//    file, dist/lean/dmesg.cjs. Loading the dozen ES modules one by one cost about
//    12 ms of a run that makedumpfile finishes in 6 (measured); one CommonJS file
//    skips Node's ESM loader and the per-file resolution. The bundle must require
//    nothing but Node's own modules (checked here), so bin/kpanic.js can run it with
//    its own require.
// 2. V8 code caches for it, one per set of V8 flags it runs under (`kpanic` through
//    its shebang has --optimize-for-size, `node bin/kpanic.js` has none, and V8
//    refuses a cache made under other flags): the bundle is compiled and run over the
//    corpus's real dumps (kdump-compressed, ELF, flattened, x86_64 and arm64), then
//    V8 writes out the bytecode of every function that ran. Without a cache, or with
//    one V8 rejects (another Node), the bundle is compiled from source as usual.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { rolldown } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "lean");
const out = join(outDir, "dmesg.cjs");

/** Dumps the caches are made with (gzipped in the corpus; the lean path reads plain dumps only). */
const DUMPS = [
  "debian-6.1-kaslr-zlib-d31.kdump.gz",
  "debian-6.1-kaslr-elf-d31.vmcore.gz",
  "qemu-kaslr-vmcore.kdump-flat.gz",
  "qemu-kaslr-vmcore-paging.elf.gz",
  "qemu-arm64-kaslr-vmcore.elf.gz",
  "qemu-logbuf-vmcore.kdump-flat.gz",
];

const FLAG_SETS = { plain: [], size: ["--optimize-for-size"] };

/**
 * Runs node with a time limit, up to three times. Node can deadlock while it
 * exits (nodejs/node#54918: a background compile job waits for a garbage
 * collection the exiting main thread will never run; seen here about once in
 * 140 runs of lean-cache.cjs), and a build must not hang `npm install`. A run
 * that timed out after doing its work (`done()`) counts as done.
 */
function node(args, done = () => false) {
  let r;
  for (let attempt = 0; attempt < 3; attempt++) {
    r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
    if (r.status === 0 || (r.signal === "SIGKILL" && done())) return { ...r, status: 0 };
    if (r.signal !== "SIGKILL") return r;
  }
  return r;
}

function fail(msg) {
  process.stderr.write(`build-lean: ${msg}\n`);
  process.exit(1);
}

// Made afresh: nothing from an earlier build (a cache of another bundle) may survive.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const bundle = await rolldown({ input: join(root, "dist", "cli", "fast.js"), platform: "node", logLevel: "warn" });
const { output } = await bundle.generate({ format: "cjs", codeSplitting: false });
await bundle.close();
if (output.length !== 1 || output[0].type !== "chunk") fail(`expected one chunk, got ${output.map((o) => o.fileName).join(", ")}`);
const code = output[0].code;
const required = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const foreign = required.filter((id) => !isBuiltin(id));
if (foreign.length > 0) fail(`the bundle requires ${foreign.join(", ")}: the lean path may require Node's own modules only (load others lazily, through createRequire)`);
if (/\bimport\(/.test(code)) fail("the bundle contains a dynamic import(): bin/kpanic.js compiles it as a script, where import() has no loader");
writeFileSync(`${out}.tmp`, code);
renameSync(`${out}.tmp`, out);

const corpus = join(root, "corpora", "vmcore");
const present = DUMPS.filter((d) => existsSync(join(corpus, d)));
if (present.length === 0) {
  process.stderr.write("build-lean: no corpus dumps here: dist/lean/dmesg.cjs has no code cache (it still works, compiled at each start)\n");
} else {
  const tmp = mkdtempSync(join(tmpdir(), "kpanic-lean-cache-"));
  try {
    const plain = present.map((d) => {
      const p = join(tmp, d.replace(/\.gz$/, ""));
      writeFileSync(p, gunzipSync(readFileSync(join(corpus, d))), { mode: 0o600 });
      return p;
    });
    for (const [name, flags] of Object.entries(FLAG_SETS)) {
      const file = `${out}.${name}.v8cache`;
      const r = node([...flags, join(root, "scripts", "lean-cache.cjs"), file, ...plain], () => existsSync(file));
      if (r.status !== 0 && !existsSync(file)) fail(`making the ${name} code cache failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
      const check = `const l = require(${JSON.stringify(join(root, "bin", "lean.cjs"))}).loadLean(); process.exit(l.script.cachedDataRejected === false ? 0 : 3);`;
      const c = node([...flags, "-e", check]);
      if (c.status !== 0) fail(`V8 does not accept the ${name} code cache it just made (exit ${c.status ?? c.signal})`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
