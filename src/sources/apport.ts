/**
 * Ubuntu apport kernel crash reports (`/var/crash/linux-image-*.crash`):
 * RFC 822-like `Key: value` fields, continuation lines indented by a space,
 * binary attachments as `Key: base64` followed by base64 lines of a gzip
 * stream. The report is read as a stream (a `VmCore` attachment can be
 * gigabytes): text fields that hold a kernel log are returned as text, and a
 * `VmCore` is decoded into a private temporary file so its log can be read.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import split2 from "split2";
import { releaseTempDir, trackTempDir } from "./tempdirs.js";

export interface ApportKernelReport {
  fields: Record<string, string>;
  /** Text fields that are kernel logs (dmesg, vmcore-dmesg), by field name. */
  logs: Record<string, string>;
  /** The decoded VmCore attachment, when there was one; remove with cleanup(). */
  vmcorePath: string | null;
  cleanup: () => void;
}

/** Text fields kept whole (small, or logs); other values are only noted by name. */
const KEPT = /^(?:ProblemType|Package|SourcePackage|Date|Uname|Architecture|DistroRelease|Title|VmCoreLog|Dmesg|CurrentDmesg|KernLog|KernelLog|VmCoreDmesg|ProcCmdline)$/;
const LOGLIKE = /^(?:VmCoreLog|Dmesg|CurrentDmesg|KernLog|KernelLog|VmCoreDmesg)$/;
const MAX_FIELD = 16 << 20;

export async function readApportReport(path: string): Promise<ApportKernelReport> {
  const fields: Record<string, string> = {};
  let key: string | null = null;
  let value: string[] = [];
  let size = 0;
  let tmp: string | null = null;
  let vmcorePath: string | null = null;
  let b64: { gunzip: ReturnType<typeof createGunzip>; done: Promise<void>; rest: string } | null = null;

  const finish = async (): Promise<void> => {
    if (b64) {
      const pending = b64;
      if (pending.rest) pending.gunzip.write(Buffer.from(pending.rest, "base64"));
      pending.gunzip.end();
      b64 = null;
      await pending.done;
    } else if (key !== null && KEPT.test(key)) {
      fields[key] = value.join("\n");
    }
    key = null;
    value = [];
    size = 0;
  };

  for await (const line of createReadStream(path).pipe(split2("\n", { maxLength: MAX_FIELD })) as AsyncIterable<string>) {
    if (line.startsWith(" ") && key !== null) {
      const v = line.slice(1);
      if (b64) {
        // Decode in 4-character groups; keep a partial group for the next line.
        const all = b64.rest + v.trim();
        const cut = all.length - (all.length % 4);
        if (cut > 0) b64.gunzip.write(Buffer.from(all.slice(0, cut), "base64"));
        b64.rest = all.slice(cut);
      } else if (KEPT.test(key) && size < MAX_FIELD) {
        value.push(v);
        size += v.length;
      }
      continue;
    }
    await finish();
    const c = line.indexOf(":");
    if (c <= 0) continue;
    key = line.slice(0, c);
    const first = line.slice(c + 1).trim();
    if (key === "VmCore" && first === "base64") {
      if (tmp === null) {
        tmp = mkdtempSync(join(tmpdir(), "kpanic-apport-"));
        trackTempDir(tmp);
      }
      vmcorePath = join(tmp, "vmcore");
      const gunzip = createGunzip();
      const out = createWriteStream(vmcorePath, { mode: 0o600 });
      const done = new Promise<void>((resolve, reject) => {
        out.on("finish", () => resolve());
        out.on("error", reject);
        gunzip.on("error", reject);
      });
      gunzip.pipe(out);
      b64 = { gunzip, done, rest: "" };
    } else if (first) value.push(first);
  }
  await finish();
  const logs: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (LOGLIKE.test(k) && v.trim()) logs[k] = v;
  const dir = tmp;
  return {
    fields,
    logs,
    vmcorePath,
    cleanup: () => {
      if (!dir) return;
      rmSync(dir, { recursive: true, force: true });
      releaseTempDir(dir);
    },
  };
}
