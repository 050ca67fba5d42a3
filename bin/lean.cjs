"use strict";
// Loads the lean `kpanic dmesg` bundle for bin/kpanic.js (and for scripts/lean-cache.cjs,
// which makes its code caches with this very loader, so that the wrapper text V8 checks
// the caches against is written once).
const path = require("node:path");

const LEAN = path.join(__dirname, "..", "dist", "lean", "dmesg.cjs");

/** The lean bundle's code cache for this process: V8 accepts a cache only under the V8 flags it was made with. */
function leanCacheFile() {
  return `${LEAN}.${process.execArgv.includes("--optimize-for-size") ? "size" : "plain"}.v8cache`;
}

/**
 * Compiles and runs the lean bundle, with its code cache when there is one
 * (V8 checks it, and compiles from source when it does not fit this Node).
 * null when the bundle is not built. The bundle requires only Node's own
 * modules (the build checks), so this file's require serves it.
 */
function loadLean(useCache = true) {
  const fs = require("node:fs");
  let src;
  try {
    src = fs.readFileSync(LEAN, "utf8");
  } catch {
    return null;
  }
  let cachedData;
  if (useCache) {
    try {
      cachedData = fs.readFileSync(leanCacheFile());
    } catch {
      // no cache: compiled from source
    }
  }
  const vm = require("node:vm");
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${src}\n})`, cachedData ? { filename: LEAN, cachedData } : { filename: LEAN });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, LEAN, path.dirname(LEAN));
  return { api: mod.exports, script };
}

module.exports = { loadLean, leanCacheFile };
