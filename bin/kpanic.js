#!/usr/bin/env -S node --optimize-for-size
"use strict";
// kpanic entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
//
// --optimize-for-size makes V8 collect garbage sooner: on a 100 MB log of back-to-back
// crash reports peak RSS drops from ~107 MB to ~88 MB at the same speed (measured).
// When started as `node bin/kpanic.js` the shebang is not read; setting the flag below
// still tunes the collector part of the way.
//
// This file is CommonJS (bin/package.json): an ES module entry would start Node's ESM
// loader (about 5 ms) before anything else runs, and `kpanic dmesg VMCORE` is measured
// against makedumpfile's whole run. That command takes a lean path: one bundled file
// (dist/lean/dmesg.cjs, made by scripts/build-lean.mjs from dist/cli/fast.js) that loads
// only the vmcore readers, compiled with a V8 code cache made at build time (./lean.cjs).
// It hands anything unusual back to the full command line.
function internalError(e) {
  process.stderr.write(`kpanic: internal error: ${e?.stack ?? String(e)}\nPlease report this with the input that caused it.\n`);
  process.exitCode = 2;
}

function full() {
  // The log analyser's collector setting (see above); the dmesg path reads a few pages only.
  require("node:v8").setFlagsFromString("--optimize-for-size");
  import("../dist/cli/main.js").catch((e) => {
    if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/cli/main.js")) {
      process.stderr.write("kpanic: not built yet: run 'npm run build' in the kpanic directory\n");
      process.exit(2);
    }
    throw e;
  });
}

function main() {
  const argv = process.argv.slice(2);
  let lean = null;
  if (argv[0] === "dmesg") {
    try {
      lean = require("./lean.cjs").loadLean();
    } catch (e) {
      return internalError(e);
    }
  }
  if (lean === null) return full();
  lean.api.fastMain(argv).then((code) => {
    if (code === null) full();
    else process.exitCode = code;
  }, internalError);
}

main();
