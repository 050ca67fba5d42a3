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
    if (h.guiltyModuleTaint) {
      if (!guiltyFrame?.module) continue;
      // Without a "Modules linked in:" line (panic, hung task reports) the kernel's taint has to do.
      const flags = moduleFlags(i.text, guiltyFrame.module) ?? i.kernel.taint.map((t) => t.letter).join("");
      if (![...flags].some((f) => h.guiltyModuleTaint!.has(f))) continue;
    }
    out.push(h.hint);
  }
  return out;
}

/** The taint flags "Modules linked in:" shows for `mod` (`lkdtm(OE)` → "OE", `ext4` → ""), or null when the text has no such line. */
export function moduleFlags(text: readonly string[], mod: string): string | null {
  let sawLine = false;
  for (const line of text) {
    const at = line.indexOf("Modules linked in:");
    if (at < 0) continue;
    sawLine = true;
    const want = `${mod}(`;
    for (let k = line.indexOf(want, at); k >= 0; k = line.indexOf(want, k + 1)) {
      const before = line.charCodeAt(k - 1);
      if (before !== 32 && before !== 58) continue; // a whole name: after a space or the colon
      const end = line.indexOf(")", k + want.length);
      if (end < 0 || end - (k + want.length) > 8) continue;
      return line.slice(k + want.length, end);
    }
  }
  return sawLine ? "" : null;
}
