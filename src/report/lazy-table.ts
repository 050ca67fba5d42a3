/**
 * The \`table\` package, loaded on first use: it (and the JSON-schema validator
 * it brings) costs ~7 MB of memory that NDJSON/JSON output never needs.
 */
import { createRequire } from "node:module";

type TableModule = typeof import("table");
let mod: TableModule | null = null;

export function lazyTable(): TableModule {
  mod ??= createRequire(import.meta.url)("table") as TableModule;
  return mod;
}
