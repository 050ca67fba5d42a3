#!/usr/bin/env node
// kpanic entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
import("../dist/cli/main.js").catch((e) => {
  if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/cli/main.js")) {
    process.stderr.write("kpanic: not built yet: run 'npm run build' in the kpanic directory\n");
    process.exit(2);
  }
  throw e;
});
