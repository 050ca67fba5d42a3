/**
 * kpanic's public library API. The CLI is built on exactly these exports.
 */
export { analyze, analyzeText, createAnalyzer, type Analyzer, type AnalyzerOptions } from "./analyzer.js";
export { builtinGrammar, compileGrammar, GrammarError, type CompiledGrammar, type GrammarSource } from "./grammar/compile.js";
export { normalizeLine } from "./records/normalize.js";
export { decodePageFault, crossCheckPf } from "./decode/pagefault.js";
export { decodeTaint, taintFromMask, TAINT_FLAGS } from "./decode/taint.js";
export { decodeEsr } from "./decode/esr.js";
export { parseDieLine, describeOopsFlag } from "./decode/oopsflags.js";
export type * from "./types.js";
export { INCIDENT_CLASSES } from "./types.js";
export { Symbolizer, type SymbolizerOptions } from "./sources/symbolizer.js";
export { formatSymAnswer, parseSymQuery, type SymAnswer, type SymQuery } from "./symbolize/resolve.js";
export { enrichIncidents, type EnrichOptions } from "./enrich.js";
