#!/usr/bin/env node
// minimize-vmcore.mjs DUMP OUT[.gz] : keep only the headers and pages kpanic's log
// reader touches in a dump, and write them as a small valid dump of the same
// format (kdump-compressed; flattened kdump-compressed; ELF64: ELF header,
// the PT_NOTEs as they are, PT_LOADs cut to the pages read) + OUT.json (provenance:
// sha256 and size of the full dump, pages kept). Needs `npm run build` first.
// The result must still give the same `kpanic dmesg` (checked here). makedumpfile
// itself cannot read it (it needs mem_section, node maps... that kpanic does not
// read); its attempt is recorded in the .json.
import { createHash } from "node:crypto";
import { createReadStream, writeFileSync, readFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { FileRandomAccess } from "../../dist/sources/vmcore.js";
import { BytesSource, FlattenedSource, KdumpCompressed, RecordingSource, formatMakedumpfile, kernelMemory, openDump, parseVmcoreinfo, readVmcoreLog, scanForVmcoreinfo, vmcoreInfoOf } from "../../dist/vmcore/index.js";
import { readLog } from "../../dist/vmcore/printk.js";
import { flatten, minimizeElf, minimizeKdump } from "../../dist/vmcore/minimize.js";

const [input, output, ...rest] = process.argv.slice(2);
// --expected FILE: also write what kpanic dmesg prints for it (for dumps makedumpfile cannot read).
const expectedOut = rest[0] === "--expected" ? rest[1] : undefined;
if (!input || !output) {
  console.error("usage: minimize-vmcore.mjs DUMP OUT.kdump");
  process.exit(2);
}
const sha256 = (path) =>
  new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (d) => h.update(d)).on("end", () => resolve(h.digest("hex"))).on("error", reject);
  });

const file = await FileRandomAccess.open(input);
const head = await file.read(0, 16);
const isFlat = Buffer.from(head).toString("latin1").startsWith("makedumpfile");
const isElf = head[0] === 0x7f && head[1] === 0x45;
let small, full, pagesKept, format, records;
// A dump without a VMCOREINFO note: kpanic scans its memory for the kernel's copy. The scan is
// not recorded (it reads everything before the page); the page itself is kept.
async function scannedVmcoreinfo(dump, plainDump) {
  if (dump.vmcoreinfo !== null) return;
  const found = await scanForVmcoreinfo(plainDump);
  if (found === null) return;
  dump.vmcoreinfo = found.text;
  await dump.readPhys(found.paddr, 4096, () => {});
}
if (isElf) {
  const rec = new RecordingSource(file);
  const { dump } = await openDump(rec);
  await scannedVmcoreinfo(dump, (await openDump(file)).dump);
  const info = vmcoreInfoOf(dump);
  const memory = kernelMemory(dump, info);
  const ring = await readLog(memory, info, { scanVmcoreinfo: false });
  const log = { dump, memory, records: ring.records };
  full = log.records.map(formatMakedumpfile).join("");
  // Also keep the page-table pages that map the ring (read through the same recording source),
  // so tests can check the page-table walk against the other translations on real tables.
  const ignore = () => {};
  for (const v of log.memory.translatedPages()) await log.memory.walkVirt(v, ignore);
  small = await minimizeElf(file, log.dump, rec.ranges);
  pagesKept = new Set(rec.ranges.flatMap(([a, b]) => { const p = []; for (let x = Math.floor(a / 4096); x * 4096 < b; x++) p.push(x); return p; })).size;
  format = log.dump.description;
  records = log.records.length;
} else {
  const src = isFlat ? await FlattenedSource.open(file) : file;
  const dump = await KdumpCompressed.open(src);
  await scannedVmcoreinfo(dump, await KdumpCompressed.open(src));
  const info = parseVmcoreinfo(dump.vmcoreinfo ?? "");
  const mem = kernelMemory(dump, info);
  const ring = await readLog(mem, info);
  full = ring.records.map(formatMakedumpfile).join("");
  // Also keep the page-table pages that translate the ring's kernel-text pages,
  // so tests can check the page-table walk against the text mapping on real tables.
  const ignore = () => {};
  for (const v of mem.translatedPages()) await mem.walkVirt(v, ignore);
  small = await minimizeKdump(src, dump, dump.touchedPfns);
  // A flattened input stays flattened.
  if (isFlat) small = flatten(small);
  pagesKept = dump.touchedPfns.size;
  format = dump.description + (isFlat ? " (flattened)" : "");
  records = ring.records.length;
}
await file.close();
// OUT.gz: gzip the result (the fixtures are committed that way; tests gunzip them in memory).
writeFileSync(output, output.endsWith(".gz") ? gzipSync(small, { level: 9 }) : small);

// The minimised dump must decode to the same log.
const again = await readVmcoreLog(new BytesSource(small));
const text = again.records.map(formatMakedumpfile).join("");
if (text !== full) {
  console.error("minimised dump decodes differently!");
  process.exit(1);
}
let makedumpfile = "not run";
try {
  const dir = mkdtempSync(join(tmpdir(), "kpanic-min-"));
  try {
    writeFileSync(join(dir, "dump"), small);
    execFileSync("makedumpfile", ["--dump-dmesg", join(dir, "dump"), join(dir, "dmesg")], { stdio: "ignore" });
    makedumpfile = readFileSync(join(dir, "dmesg"), "latin1") === full ? "identical" : "differs";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} catch (e) {
  makedumpfile = `failed: ${e.message.split("\n")[0]}`;
}
if (expectedOut) writeFileSync(expectedOut, full, "latin1");
const meta = {
  source: basename(input),
  sourceSize: file.size,
  sourceSha256: await sha256(input),
  sourceFormat: format,
  minimizedSize: small.length,
  fileSize: statSync(output).size,
  minimizedSha256: createHash("sha256").update(small).digest("hex"),
  pagesKept,
  records,
  makedumpfileDumpDmesgOnMinimized: makedumpfile,
  made: new Date().toISOString(),
  by: "corpora/generate/minimize-vmcore.mjs",
};
writeFileSync(`${output}.json`, JSON.stringify(meta, null, 2) + "\n");
console.log(JSON.stringify(meta, null, 2));
