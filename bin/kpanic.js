#!/usr/bin/env -S node --optimize-for-size
// kpanic entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
// --optimize-for-size makes V8 collect garbage sooner: on a 100 MB log of back-to-back
// crash reports peak RSS drops from ~107 MB to ~88 MB at the same speed (measured).
// When started as `node bin/kpanic.js` the shebang is not read; setting the flag here
// still tunes the collector part of the way.
// `kpanic dmesg VMCORE` takes a lean path that loads only the vmcore readers
// (dist/cli/fast.js; it hands anything unusual back to the full command line).
const fast = process.argv[2] === "dmesg" ? await import("../dist/cli/fast.js").catch(() => null) : null;
const code = fast ? await fast.fastMain(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`kpanic: internal error: ${e?.stack ?? String(e)}\nPlease report this with the input that caused it.\n`);
  return 2;
}) : null;
if (code !== null) process.exitCode = code;
else {
  // The log analyser's collector setting (see above); the dmesg path reads a few pages only.
  (await import("node:v8")).default.setFlagsFromString("--optimize-for-size");
  import("../dist/cli/main.js").catch((e) => {
    if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/cli/main.js")) {
      process.stderr.write("kpanic: not built yet: run 'npm run build' in the kpanic directory\n");
      process.exit(2);
    }
    throw e;
  });
}
