// Makes a V8 code cache of the lean `kpanic dmesg` bundle (see build-lean.mjs, which
// runs this under each set of V8 flags the bundle will run under):
//   node [V8 flags] scripts/lean-cache.cjs OUT DUMP...
// compiles the bundle exactly as bin/kpanic.js does (with its loader, bin/lean.cjs), runs it over each
// dump (stdout is the caller's, /dev/null), then writes the bytecode of every function
// that ran to OUT (atomically). build-lean.mjs then checks that a fresh process accepts it.
"use strict";
const fs = require("node:fs");
const { loadLean } = require("../bin/lean.cjs");

async function main() {
  const [out, ...dumps] = process.argv.slice(2);
  const lean = loadLean(false);
  if (lean === null) throw new Error("dist/lean/dmesg.cjs is not built");
  for (const d of dumps) {
    const code = await lean.api.fastMain(["dmesg", "--quiet", d]);
    if (code !== 0) throw new Error(`kpanic dmesg ${d}: ${code === null ? "not taken by the lean path" : `exit ${code}`}`);
  }
  // The lean path turned V8's optimizing compiler off (src/cli/fast.ts); V8 stamps a cache
  // with the flags in force when it is made, and a fresh process has it on.
  require("node:v8").setFlagsFromString("--opt");
  fs.writeFileSync(`${out}.tmp`, lean.script.createCachedData());
  fs.renameSync(`${out}.tmp`, out);
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
