/**
 * Composition of the pure layers: bytes → lines (records/framer) → records
 * (records/normalize) → incidents (core). Push-based and synchronous, so the
 * same object serves streams, the sync string API and the tests.
 */
import { builtinGrammar, type CompiledGrammar } from "./grammar/compile.js";
import { LineFramer, type FramedBlock } from "./records/framer.js";
import { Scanner } from "./core/scanner.js";
import type { Diagnostic, Incident } from "./types.js";

export interface AnalyzerOptions {
  /** Name reported in `incident.source.name` (a path, or "-" for stdin). */
  sourceName?: string;
  grammar?: CompiledGrammar;
  /** Longer lines are analysed up to this many characters, with a diagnostic (default 65536). */
  maxLineLength?: number;
  /** Raw lines kept in an incident's `text` (default 5000). */
  maxIncidentLines?: number;
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
  });

  const feed = (b: FramedBlock): void => {
    if (b.text.length === 0) return;
    sawAny = true;
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

  return {
    push(chunk) {
      feed(framer.push(chunk));
    },
    flush() {
      scanner.flush();
    },
    end() {
      feed(framer.end());
      scanner.end();
      if (!sawAny) onDiagnostic({ code: "empty-input", severity: "info", message: `${sourceName} is empty`, source: sourceName });
    },
  };
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
