/**
 * Hints: what an incident most likely means, from grammars/hints.yaml.
 */
import type { CompiledHint } from "../grammar/compile.js";
import type { Incident } from "../types.js";

/** The fault address as the hint patterns see it: lower-case hex, no 0x, no leading zeros. */
function addressKey(a: string | null | undefined): string | null {
  if (!a) return null;
  const h = a.toLowerCase().replace(/^0x/, "").replace(/^0+/, "");
  return h || "0";
}

export function hintsFor(i: Incident, hints: readonly CompiledHint[]): string[] {
  const out: string[] = [];
  const addr = addressKey(i.fault?.address);
  const guiltyFrame = i.guilty ? [i.ip, ...i.frames].find((f) => f && f.function.startsWith(i.guilty!)) : undefined;
  for (const h of hints) {
    if (h.kinds && !h.kinds.has(i.kind)) continue;
    if (h.classes && !h.classes.has(i.class)) continue;
    if (h.address && (addr === null || !h.address.test(addr))) continue;
    if (h.headline && !h.headline.test(i.headline) && !i.text.some((l) => h.headline!.test(l))) continue;
    if (h.panic && (!i.panic || !h.panic.test(i.panic.message))) continue;
    if (h.taint && !i.kernel.taint.some((t) => h.taint!.has(t.letter))) continue;
    if (h.dieCounterAbove !== null && (i.oops?.counter ?? 0) <= h.dieCounterAbove) continue;
    if (h.guiltyInModule !== null && (guiltyFrame?.module != null) !== h.guiltyInModule) continue;
    out.push(h.hint);
  }
  return out;
}
