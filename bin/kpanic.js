#!/usr/bin/env node
"use strict";
// kpanic entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
//
// No V8 flags, in the shebang or set at run time: any flag that changes V8's flag hash
// (--optimize-for-size did) makes V8 refuse the code cache Node ships for its own
// modules, which are then compiled from source. Measured: `kpanic analyze` of a small
// log started 60 ms later, `kpanic dmesg` 20 ms later (node:zlib alone: 3.3 ms -> 12 ms).
// --optimize-for-size lowered peak RSS on 30 MB of back-to-back crash reports from
// ~102 MB to ~84 MB at the same throughput; the start-up cost hit every run.
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
