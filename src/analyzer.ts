/**
 * Composition of the pure layers: bytes → lines (records/framer) → records
 * (records/normalize) → incidents (core). Push-based and synchronous, so the
 * same object serves streams, the sync string API and the tests.
 */
import { builtinGrammar, type CompiledGrammar } from "./grammar/compile.js";
import { LineFramer, type FramedBlock } from "./records/framer.js";
import { Scanner } from "./core/scanner.js";
import { detectFormat, normalizerFor, type InputFormat } from "./records/formats.js";
import { JournalExportDecoder, looksLikeJournalExport } from "./records/journal-export.js";
import type { Diagnostic, Incident } from "./types.js";

export interface AnalyzerOptions {
  /** Name reported in `incident.source.name` (a path, or "-" for stdin). */
  sourceName?: string;
  grammar?: CompiledGrammar;
  /** Longer lines are analysed up to this many characters, with a diagnostic (default 65536). */
  maxLineLength?: number;
  /** Raw lines kept in an incident's `text` (default 5000). */
  maxIncidentLines?: number;
  /** The input's format; "auto" (default) detects it from the first lines. */
  inputFormat?: InputFormat | "auto";
  /** syslog / journal inputs: keep only this host's lines. */
  host?: string;
  /** Also report opt-in kinds: user-space faults (`segfault at`, `traps:`, arm64 `unhandled exception`), class `other`. */
  includeOptIn?: boolean;
}

export interface Analyzer {
  push(chunk: Uint8Array | string): void;
  /**
   * Emits a report that closed but is kept a little while in case the panic
   * it causes follows (panic_on_rcu_stall prints it seconds later). Call it
   * when a live input goes quiet.
   */
  flush(): void;
  end(): void;
}

/** Creates a push-based analyzer for one source. */
export function createAnalyzer(
  opts: AnalyzerOptions,
  onIncident: (i: Incident) => void,
  onDiagnostic: (d: Diagnostic) => void,
): Analyzer {
  const sourceName = opts.sourceName ?? "-";
  const grammar = opts.grammar ?? builtinGrammar();
  const maxLine = opts.maxLineLength ?? 65536;
  const framer = new LineFramer({ maxLineLength: maxLine });
  let firstBlock = true;
  let sawAny = false;
  const scanner = new Scanner({
    grammar,
    sourceName,
    emit: onIncident,
    diagnose: onDiagnostic,
    maxLineLength: maxLine,
    ...(opts.maxIncidentLines !== undefined ? { maxIncidentLines: opts.maxIncidentLines } : {}),
    ...(opts.includeOptIn ? { includeOptIn: true } : {}),
  });

  const wanted = opts.inputFormat ?? "auto";
  const fmtOpts = opts.host !== undefined ? { host: opts.host } : {};
  if (wanted !== "auto") scanner.setNormalizer(normalizerFor(wanted, fmtOpts));
  // The format is detected on the first lines: hold them back until there are
  // enough (so the choice does not depend on how the input was chunked).
  let detecting = wanted === "auto";
  let held: FramedBlock = { text: "", invalidUtf8At: [] };
  const DETECT_BYTES = 16384;
  const DETECT_LINES = 40;

  const runBlock = (b: FramedBlock): void => {
    if (b.text.length === 0) return;
    if (firstBlock) {
      firstBlock = false;
      if (looksBinary(b.text)) {
        onDiagnostic({
          code: "binary-input",
          severity: "warning",
          message: `${sourceName} does not look like a text log (many control bytes); if it is a vmcore, extract its log first (makedumpfile --dump-dmesg VMCORE OUT)`,
          source: sourceName,
        });
      }
    }
    scanner.pushBlock(b.text, b.invalidUtf8At);
  };

  const decide = (): void => {
    detecting = false;
    const f = detectFormat(held.text.slice(0, DETECT_BYTES));
    if (f !== "dmesg") {
      scanner.setNormalizer(normalizerFor(f, fmtOpts));
      onDiagnostic({ code: "input-format", severity: "info", message: `${sourceName} read as ${f} (override with --input-format)`, source: sourceName });
    }
    const h = held;
    held = { text: "", invalidUtf8At: [] };
    runBlock(h);
  };

  const feed = (b: FramedBlock): void => {
    if (b.text.length === 0) return;
    sawAny = true;
    if (!detecting) {
      runBlock(b);
      return;
    }
    const base = held.text.length;
    held = { text: held.text + b.text, invalidUtf8At: [...held.invalidUtf8At, ...b.invalidUtf8At.map((x) => x + base)] };
    if (held.text.length >= DETECT_BYTES || countNewlines(held.text, DETECT_LINES) >= DETECT_LINES) decide();
  };

  // journalctl -o export is binary-framed: decoded to journal-json lines before the framer.
  let exportDecoder: JournalExportDecoder | null = null;
  const useExport = (): void => {
    exportDecoder = new JournalExportDecoder({
      maxField: maxLine,
      onProblem: (m) => onDiagnostic({ code: "malformed-input", severity: "warning", message: `${sourceName}: ${m}`, source: sourceName }),
    });
    scanner.setNormalizer(normalizerFor("journal-export", fmtOpts));
    detecting = false;
  };
  if (wanted === "journal-export") useExport();
  // Auto-detection of export needs the first 10 bytes: chunks are held (not copied) until there are.
  let sniffing = wanted === "auto";
  let sniffed: (Uint8Array | string)[] = [];
  let sniffedLen = 0;
  const sniff = (chunk: Uint8Array | string, final: boolean): (Uint8Array | string)[] | null => {
    sniffed.push(chunk);
    sniffedLen += chunk.length;
    if (sniffedLen < 10 && !final) return null;
    const head = Buffer.concat(sniffed.map((c) => (typeof c === "string" ? Buffer.from(c.slice(0, 10), "utf8") : c.subarray(0, 10))));
    const held = sniffed;
    sniffing = false;
    sniffed = [];
    if (looksLikeJournalExport(head)) {
      useExport();
      onDiagnostic({ code: "input-format", severity: "info", message: `${sourceName} read as journal-export (override with --input-format)`, source: sourceName });
    }
    return held;
  };
  const pushBytes = (chunk: Uint8Array | string): void => {
    if (exportDecoder) {
      if (chunk.length) sawAny = true;
      feed(framer.push(exportDecoder.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)));
    } else feed(framer.push(chunk));
  };

  return {
    push(chunk) {
      if (!sniffing) return pushBytes(chunk);
      for (const c of sniff(chunk, false) ?? []) pushBytes(c);
    },
    flush() {
      if (detecting && held.text.length) decide();
      scanner.flush();
    },
    end() {
      if (sniffing) for (const c of sniff("", true) ?? []) pushBytes(c);
      if (exportDecoder) feed(framer.push((exportDecoder as JournalExportDecoder).end()));
      feed(framer.end());
      if (detecting) decide();
      scanner.end();
      if (!sawAny) onDiagnostic({ code: "empty-input", severity: "info", message: `${sourceName} is empty`, source: sourceName });
    },
  };
}

function countNewlines(s: string, max: number): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0 && n < max; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function looksBinary(text: string): boolean {
  const n = Math.min(text.length, 4096);
  let ctl = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27) || c === 0xfffd) ctl++;
  }
  return n >= 64 && ctl / n > 0.1;
}

/**
 * Analyses a stream of chunks, yielding each incident as soon as it closes.
 * @example for await (const i of analyze(fs.createReadStream(p), { sourceName: p })) console.log(i.title)
 */
export async function* analyze(
  input: AsyncIterable<Uint8Array | string>,
  opts: AnalyzerOptions & {
    onDiagnostic?: (d: Diagnostic) => void;
    /** When the input is quiet this long (ms), emit reports held for a possible panic. Default 500; 0 disables. */
    idleFlushMs?: number;
  } = {},
): AsyncGenerator<Incident> {
  const queue: Incident[] = [];
  const a = createAnalyzer(opts, (i) => queue.push(i), opts.onDiagnostic ?? (() => {}));
  const idle = opts.idleFlushMs ?? 500;
  const it = input[Symbol.asyncIterator]();
  let flushed = true;
  for (;;) {
    const next = it.next();
    let r: IteratorResult<Uint8Array | string>;
    if (idle > 0 && !flushed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<"quiet">((resolve) => {
        timer = setTimeout(() => resolve("quiet"), idle);
      });
      const first = await Promise.race([next, quiet]);
      clearTimeout(timer);
      if (first === "quiet") {
        a.flush();
        flushed = true;
        while (queue.length) yield queue.shift()!;
        r = await next;
      } else r = first;
    } else r = await next;
    if (r.done) break;
    a.push(r.value);
    flushed = false;
    while (queue.length) yield queue.shift()!;
  }
  a.end();
  while (queue.length) yield queue.shift()!;
}

/**
 * Synchronous variant for a log already in memory.
 * @example analyzeText(fs.readFileSync("dmesg.txt", "utf8")).incidents[0]?.title
 */
export function analyzeText(text: string | Uint8Array, opts: AnalyzerOptions = {}): { incidents: Incident[]; diagnostics: Diagnostic[] } {
  const incidents: Incident[] = [];
  const diagnostics: Diagnostic[] = [];
  const a = createAnalyzer(opts, (i) => incidents.push(i), (d) => diagnostics.push(d));
  a.push(text);
  a.end();
  return { incidents, diagnostics };
}
