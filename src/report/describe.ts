/**
 * Incident fields in words, shared by the text and markdown renderers.
 */
import type { Frame, Incident, UnnamedResolution } from "../types.js";
import { describeOopsFlag } from "../decode/oopsflags.js";
import { describeEdac } from "../decode/edac.js";

export function frameText(f: Frame): string {
  let s = f.function;
  if (f.offset) s += `+${f.offset}${f.size ? "/" + f.size : ""}`;
  if (f.module) s += ` [${f.module}]`;
  return s;
}

/** `drivers/misc/lkdtm/perms.c:265` for a symbolized frame, else "". */
export function frameLocation(f: Frame): string {
  return f.file ? `${f.file}:${f.line ?? "?"}` : "";
}

/** `sysrq_handle_crash+0x16 drivers/tty/sysrq.c:155` for a named bare address. */
export function unnamedText(r: UnnamedResolution): string {
  return `${r.function}+${r.offset}${r.module ? ` [${r.module}]` : ""}${r.file ? `  ${r.file}:${r.line ?? "?"}` : ""}`;
}

/** The inlined chain of a frame, one line each, innermost first. */
export function inlinedText(f: Frame): string[] {
  return (f.inlined ?? []).map((x) => `inlined ${x.function}${x.file ? ` ${x.file}:${x.line ?? "?"}` : ""}`);
}

/** The decoded Code: bytes as aligned lines, the faulting instruction marked. */
export function codeText(i: Incident): string[] {
  const ins = i.code?.instructions ?? [];
  if (ins.length === 0) return [];
  const bw = Math.min(30, Math.max(...ins.map((x) => x.bytes.length)));
  return ins.map((x) => {
    const off = (x.offset === 0 ? "0" : `${x.offset < 0 ? "-" : "+"}0x${Math.abs(x.offset).toString(16)}`).padStart(6);
    return `${off}: ${x.bytes.padEnd(bw)}  ${x.text}${x.faulting ? "   <-- faulting instruction" : ""}`;
  });
}

export function uptimeText(t: number | null): string | null {
  if (t === null) return null;
  const s = String(Number(t.toFixed(6)));
  if (t < 120) return `${s} s after boot`;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = Math.floor(t % 60);
  return `${s} s after boot (${h ? h + "h " : ""}${m}m ${sec}s)`;
}

/** Label/value pairs describing an incident, in reading order. */
export function describe(i: Incident): [string, string][] {
  const rows: [string, string][] = [];
  rows.push(["class", `${i.class} / ${i.kind}${i.fatal ? " (fatal: the kernel panicked)" : ""}`]);
  const when = uptimeText(i.time.uptime);
  if (i.time.wallClock) rows.push(["when", `${i.time.wallClock}${i.time.approximate ? " (approximate)" : ""}${when ? `, ${when}` : ""}`]);
  else if (when) rows.push(["when", when]);
  if (i.time.bootId) rows.push(["boot", i.time.bootId]);
  rows.push(["source", `${i.source.name} lines ${i.source.startLine}-${i.source.endLine}`]);
  rows.push(["headline", i.headline]);
  if (i.task.comm !== null || i.task.pid !== null) {
    const parts = [i.task.comm ?? "?"];
    if (i.task.pid !== null) parts.push(`(pid ${i.task.pid})`);
    if (i.task.cpu !== null) parts.push(`on CPU ${i.task.cpu}`);
    rows.push(["task", parts.join(" ")]);
  }
  if (i.kernel.release) rows.push(["kernel", [i.kernel.release, i.kernel.version].filter(Boolean).join(" ")]);
  if (i.kernel.tainted !== null) {
    rows.push(["tainted", i.kernel.tainted ? i.kernel.taint.map((t) => `${t.letter} (${t.meaning})`).join(", ") || "yes" : "no"]);
  }
  if (i.kernel.hardware) rows.push(["hardware", i.kernel.hardware]);
  if (i.oops) {
    const flags = i.oops.flags.map((f) => {
      const d = describeOopsFlag(f);
      return d ? `${f} (${d})` : f;
    });
    const head = [i.oops.message, i.oops.code !== null ? `code ${i.oops.code}` : null, i.oops.counter !== null ? `#${i.oops.counter}` : null].filter(Boolean).join(", ");
    rows.push(["oops", head + (flags.length ? `; ${flags.join(", ")}` : "")]);
    if (i.oops.counter !== null && i.oops.counter > 1) rows.push(["note", `die counter #${i.oops.counter}: an earlier oops happened first; look for it above`]);
  }
  if (i.fault) {
    const parts: string[] = [];
    if (i.fault.summary) parts.push(i.fault.summary);
    else if (i.fault.address) parts.push(`address ${i.fault.address}`);
    if (i.fault.errorCode) parts.push(`(error code ${i.fault.errorCode})`);
    if (parts.length) rows.push(["fault", parts.join(" ")]);
    if (i.fault.esr) rows.push(["ESR", `${i.fault.esr.value}: ${i.fault.esr.class}; ${i.fault.esr.summary}`]);
  }
  if (i.mce) rows.push(["machine check", `bank ${i.mce.bank}, status ${i.mce.status} (${i.mce.flags.join(" ")}): ${i.mce.summary}${i.mce.address ? ` at ${i.mce.address}` : ""}${i.mce.message ? `; the kernel: ${i.mce.message}` : ""}`]);
  if (i.edac) rows.push([i.edac.source === "mc" ? "memory error" : "EDAC device", describeEdac(i.edac)]);
  if (i.oom) {
    const v = i.oom.victim;
    if (v) rows.push(["killed", `${v.comm} (pid ${v.pid}): ${v.totalVmKb ?? "?"} kB virtual, ${v.anonRssKb ?? "?"} kB anonymous + ${v.fileRssKb ?? "?"} kB file + ${v.shmemRssKb ?? "?"} kB shmem resident`]);
    else rows.push(["killed", "nobody (the kernel panicked instead)"]);
    rows.push(["allocation", `by ${i.oom.invoker.comm ?? "?"}: order ${i.oom.order ?? "?"}, gfp ${i.oom.gfpMask ?? "?"}${i.oom.gfpFlags.length ? ` (${i.oom.gfpFlags.join("|")})` : ""}${i.oom.constraint ? `, ${i.oom.constraint}` : ""}`]);
  }
  if (i.location) rows.push(["location", `${i.location.file}:${i.location.line}`]);
  if (i.ip) rows.push(["ip", frameText(i.ip) + (i.ip.file ? `  ${frameLocation(i.ip)}` : "")]);
  if (i.ip?.inlined?.length) for (const l of inlinedText(i.ip)) rows.push(["", l]);
  if (!i.ip && i.unnamed?.ip) rows.push(["ip", `${i.unnamed.ip}${i.unnamed.ipResolved ? ` = ${unnamedText(i.unnamed.ipResolved)}` : " (no symbol)"}`]);
  if (i.symbolization?.source) rows.push(["source", `${i.symbolization.source.file}:${i.symbolization.source.line}: ${i.symbolization.source.text.trim()}`]);
  if (i.symbolization) {
    const s = i.symbolization;
    rows.push(["symbols", `${s.resolved} of ${s.resolved + s.unresolved} frames resolved${s.objects.length ? ` (${s.objects.join(", ")})` : ""}`]);
    for (const r of s.reasons.slice(0, 3)) rows.push(["", r]);
  }
  // A hardware error blames no kernel function: no row rather than "(none found)".
  if (i.guilty !== null || i.class !== "hardware") rows.push(["guilty", i.guilty ?? "(none found)"]);
  if (i.panic) rows.push(["panic", i.panic.message]);
  if (i.corrupted) rows.push(["corrupted", i.corruptedReason ?? "yes"]);
  if (i.modules.length) rows.push(["modules", i.modules.length > 12 ? `${i.modules.slice(0, 12).join(" ")} … (${i.modules.length})` : i.modules.join(" ")]);
  if (i.kaslrOffset) rows.push(["KASLR offset", i.kaslrOffset]);
  rows.push(["fingerprint", i.fingerprint]);
  for (const h of i.hints) rows.push(["hint", h]);
  for (const n of i.notes) rows.push(["note", n]);
  return rows;
}
