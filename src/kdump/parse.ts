/**
 * Parsers for the host files doctor reads. Pure: text in, data out.
 */

/** Kernel .config: CONFIG_X=y|m|"str"|n; "# CONFIG_X is not set" → "n". */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("# CONFIG_") && line.endsWith(" is not set")) {
      out.set(line.slice(2, line.length - " is not set".length), "n");
      continue;
    }
    if (!line.startsWith("CONFIG_")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    let v = line.slice(eq + 1);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.set(line.slice(0, eq), v);
  }
  return out;
}

/** Shell-style KEY=value files (/etc/default/*, /etc/os-release): last assignment wins, quotes removed, comments skipped. */
export function parseShellVars(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trim();
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,100}$/.test(key)) continue;
    let v = line.slice(eq + 1).trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.indexOf(q, 1) > 0) v = v.slice(1, v.indexOf(q, 1));
    else {
      const hash = v.indexOf(" #");
      if (hash >= 0) v = v.slice(0, hash).trim();
    }
    out.set(key, v);
  }
  return out;
}

/** /etc/kdump.conf: "directive value..." lines; last one wins. */
export function parseKdumpConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const sp = line.search(/[ \t]/);
    if (sp < 0) out.set(line, "");
    else out.set(line.slice(0, sp), line.slice(sp + 1).trim());
  }
  return out;
}

/** /proc/meminfo → bytes per field ("MemTotal: 16318240 kB"). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const parts = line.slice(colon + 1).trim().split(" ").filter(Boolean);
    const n = Number(parts[0]);
    if (!Number.isFinite(n)) continue;
    out.set(line.slice(0, colon).trim(), parts[1] === "kB" ? n * 1024 : n);
  }
  return out;
}

export interface IomemRange {
  start: bigint;
  end: bigint;
  name: string;
  depth: number;
}

/** /proc/iomem: "  00100000-bfffffff : System RAM" (nested by two-space indents). */
export function parseIomem(text: string): IomemRange[] {
  const out: IomemRange[] = [];
  for (const line of text.split("\n")) {
    const m = /^( {0,40})([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16}) : (.{0,200})$/.exec(line);
    if (!m) continue;
    out.push({ start: BigInt(`0x${m[2]}`), end: BigInt(`0x${m[3]}`), name: m[4]!.trim(), depth: m[1]!.length / 2 });
  }
  return out;
}

/** Sizes in /proc/iomem: when a non-root user reads it every range shows as 00000000-00000000. */
export function iomemHidden(ranges: IomemRange[]): boolean {
  return ranges.length > 0 && ranges.every((r) => r.start === 0n && r.end === 0n);
}

/** Bytes of the "Crash kernel" ranges (there can be a high and a low one), or null when none is listed. */
export function iomemCrashKernel(ranges: IomemRange[]): { bytes: number; ranges: string[] } | null {
  const ck = ranges.filter((r) => r.name === "Crash kernel");
  if (!ck.length) return null;
  return {
    bytes: ck.reduce((a, r) => a + Number(r.end - r.start + 1n), 0),
    ranges: ck.map((r) => `${r.start.toString(16).padStart(8, "0")}-${r.end.toString(16).padStart(8, "0")}`),
  };
}

/** Total of the top-level "System RAM" ranges (what the kernel sizes crashkernel= ranges against, before rounding). */
export function iomemSystemRam(ranges: IomemRange[]): number {
  return ranges.filter((r) => r.depth === 0 && r.name === "System RAM").reduce((a, r) => a + Number(r.end - r.start + 1n), 0);
}

/** "0-3,8-11" (/sys/devices/system/cpu/present) → 8. */
export function countCpuList(text: string): number | null {
  let n = 0;
  const t = text.trim();
  if (!t) return null;
  for (const part of t.split(",")) {
    const [a, b] = part.split("-");
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) return null;
    n += hi - lo + 1;
  }
  return n;
}

/** The GNU build-id from an ELF note section (/sys/kernel/notes), as hex. */
export function buildIdFromNotes(bytes: Uint8Array): string | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const align = (n: number): number => (n + 3) & ~3;
  while (off + 12 <= bytes.length) {
    const namesz = dv.getUint32(off, true);
    const descsz = dv.getUint32(off + 4, true);
    const type = dv.getUint32(off + 8, true);
    const nameOff = off + 12;
    const descOff = nameOff + align(namesz);
    if (descOff + descsz > bytes.length) return null;
    const name = String.fromCharCode(...bytes.subarray(nameOff, nameOff + Math.max(0, namesz - 1)));
    if (type === 3 && name === "GNU" && descsz > 0) {
      return Array.from(bytes.subarray(descOff, descOff + descsz), (b) => b.toString(16).padStart(2, "0")).join("");
    }
    off = descOff + align(descsz);
  }
  return null;
}

export type DistroFamily = "debian" | "rhel" | "unknown";

/** /etc/os-release → family (ID and ID_LIKE), id and a display name. */
export function distroFromOsRelease(text: string | null): { family: DistroFamily; id: string; name: string } {
  if (text === null) return { family: "unknown", id: "", name: "unknown distribution" };
  const v = parseShellVars(text);
  const id = v.get("ID") ?? "";
  const like = `${id} ${v.get("ID_LIKE") ?? ""}`.split(" ");
  const family: DistroFamily = like.some((x) => x === "debian" || x === "ubuntu")
    ? "debian"
    : like.some((x) => ["rhel", "fedora", "centos", "rocky", "almalinux"].includes(x))
      ? "rhel"
      : "unknown";
  return { family, id, name: v.get("PRETTY_NAME") ?? (id || "unknown distribution") };
}

/** makedumpfile's -d level in an argument string ("-c -d 31", "makedumpfile -l --message-level 7 -d 31"), or null. */
export function dumpLevel(args: string): number | null {
  const words = args.split(" ").filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-d" || w === "--dump-level") {
      const n = Number(words[i + 1]);
      return Number.isInteger(n) ? n : null;
    }
    if (w.startsWith("-d") && w.length > 2 && !w.startsWith("--")) {
      const n = Number(w.slice(2));
      if (Number.isInteger(n)) return n;
    }
  }
  return null;
}
