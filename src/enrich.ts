/**
 * Enrichment after analysis: the `Code:` bytes disassembled and, when a
 * Symbolizer is given, file:line for the frames. Runs on finished incidents,
 * so the core stays synchronous and pure; the CLI calls it before rendering.
 */
import type { Incident } from "./types.js";
import type { Symbolizer } from "./sources/symbolizer.js";
import { decodeIncidentCode } from "./symbolize/code.js";

export interface EnrichOptions {
  /** Disassemble `Code:` lines (default true). */
  code?: boolean;
  symbolizer?: Symbolizer | null;
}

export async function enrichIncidents(incidents: readonly Incident[], opts: EnrichOptions = {}): Promise<void> {
  if (opts.code !== false) {
    for (const inc of incidents) {
      const c = await decodeIncidentCode(inc.text);
      if (c && c.instructions.length > 0) inc.code = { arch: c.arch, instructions: c.instructions };
    }
  }
  if (opts.symbolizer) await opts.symbolizer.symbolize(incidents);
}
