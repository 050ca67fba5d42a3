/**
 * The kernel log from memory, with only VMCOREINFO's offsets and sizes.
 *
 * 5.10+ lockless ring (kernel/printk/printk_ringbuffer.[ch]): `prb` points to
 * a printk_ringbuffer {desc_ring {count_bits, descs, infos, head_id, tail_id},
 * text_data_ring {size_bits, data}}. Descriptor i = id % count; its state_var
 * holds the id in the low 62 bits and the state (0 reserved, 1 committed,
 * 2 finalized, 3 reusable) in the top 2. A record's text block [begin, next)
 * (logical positions, modulo the ring size) starts with the 8-byte id; a block
 * that wraps is stored at the start of the ring. printk_info has seq, ts_nsec,
 * text_len, caller_id.
 *
 * 3.5-5.9 (`log_buf`): variable-length struct printk_log {ts_nsec, len,
 * text_len, ...} records from log_first_idx to log_next_idx; len 0 wraps.
 *
 * Records are walked exactly as `makedumpfile --dump-dmesg` walks them so that
 * the output can be compared byte for byte, but every index is bounded.
 */
import type { MissingSink } from "./dump.js";
import { VmcoreError, type VmcoreDiagnostic } from "./io.js";
import type { VmcoreInfo } from "./vmcoreinfo.js";
import type { VirtualMemory } from "./memory.js";

export interface LogRecord {
  /** printk sequence number (lockless ring) or the record's position (legacy). */
  seq: bigint;
  tsNsec: bigint;
  /** printk_info.caller_id: bit 31 set = CPU number, else task id; undefined when not recorded. */
  callerId?: number;
  /** Raw text bytes (not NUL-terminated, no trailing newline). */
  text: Uint8Array;
  /** Descriptor id (lockless ring). */
  id?: bigint;
}

export interface RingReadResult {
  kind: "lockless" | "legacy";
  records: LogRecord[];
  /** Bytes of kernel memory the ring occupies (the lockless ring's live part is what is read). */
  ringBytes: number;
  diagnostics: VmcoreDiagnostic[];
}

/**
 * Largest ring read by default: 256 MiB of descriptors + infos + text. The
 * kernel's largest log_buf_len (2^31) is never used in practice; a 32 MiB text
 * ring with its descriptors and infos is ~144 MiB.
 */
export const DEFAULT_MAX_RING = 256 * 1024 * 1024;

export interface RingOptions {
  /** Refuse rings larger than this (descriptors + infos + text), bytes. Default DEFAULT_MAX_RING. */
  maxRingBytes?: number;
  /** Without a VMCOREINFO note, scan the dump's memory for the kernel's copy (default true; reads the whole dump). */
  scanVmcoreinfo?: boolean;
}

const DESC_FLAGS_SHIFT = 62n;
const DESC_ID_MASK = (1n << 62n) - 1n;

function need(map: Map<string, number>, key: string, what: string): number {
  const v = map.get(key);
  if (v === undefined) throw new VmcoreError("no-vmcoreinfo", `VMCOREINFO lacks ${what}(${key}), needed to read the log`);
  if (v < 0 || v > 1 << 20) throw new VmcoreError("bad-vmcoreinfo", `VMCOREINFO ${what}(${key})=${v} is implausible`);
  return v;
}

class Missing {
  count = 0;
  bytes = 0;
  first: string | undefined;
  readonly sink: MissingSink = (_a, n, why) => {
    this.count++;
    this.bytes += n;
    this.first ??= why;
  };
}

export async function readLog(mem: VirtualMemory, info: VmcoreInfo, opts: RingOptions = {}): Promise<RingReadResult> {
  if (info.symbols.has("prb")) return readLockless(mem, info, opts);
  if (info.symbols.has("log_buf")) return readLegacy(mem, info, opts);
  throw new VmcoreError("no-vmcoreinfo", "VMCOREINFO has neither SYMBOL(prb) (5.10+ printk ring) nor SYMBOL(log_buf) (3.5-5.9): cannot find the log");
}

export async function readLockless(mem: VirtualMemory, info: VmcoreInfo, opts: RingOptions = {}): Promise<RingReadResult> {
  const maxRing = opts.maxRingBytes ?? DEFAULT_MAX_RING;
  const S = info.sizes;
  const O = info.offsets;
  const sizePrb = need(S, "printk_ringbuffer", "SIZE");
  const sizeDesc = need(S, "prb_desc", "SIZE");
  const sizeInfo = need(S, "printk_info", "SIZE");
  const oDescRing = need(O, "printk_ringbuffer.desc_ring", "OFFSET");
  const oTextRing = need(O, "printk_ringbuffer.text_data_ring", "OFFSET");
  const oCountBits = need(O, "prb_desc_ring.count_bits", "OFFSET");
  const oDescs = need(O, "prb_desc_ring.descs", "OFFSET");
  const oInfos = need(O, "prb_desc_ring.infos", "OFFSET");
  const oHead = need(O, "prb_desc_ring.head_id", "OFFSET");
  const oTail = need(O, "prb_desc_ring.tail_id", "OFFSET");
  const oState = need(O, "prb_desc.state_var", "OFFSET");
  const oLpos = need(O, "prb_desc.text_blk_lpos", "OFFSET");
  const oBegin = need(O, "prb_data_blk_lpos.begin", "OFFSET");
  const oNext = need(O, "prb_data_blk_lpos.next", "OFFSET");
  const oSizeBits = need(O, "prb_data_ring.size_bits", "OFFSET");
  const oData = need(O, "prb_data_ring.data", "OFFSET");
  const oCounter = need(O, "atomic_long_t.counter", "OFFSET");
  const oSeq = need(O, "printk_info.seq", "OFFSET");
  const oTs = need(O, "printk_info.ts_nsec", "OFFSET");
  const oTextLen = need(O, "printk_info.text_len", "OFFSET");
  const oCaller = O.get("printk_info.caller_id");
  const diagnostics: VmcoreDiagnostic[] = [];
  const missing = new Missing();
  const checkFit = (what: string, size: number, ...fields: Array<[number, number]>): void => {
    for (const [off, len] of fields) {
      if (off + len > size) throw new VmcoreError("bad-vmcoreinfo", `VMCOREINFO: a field of ${what} (offset ${off}, ${len} bytes) lies outside its size ${size}`);
    }
  };
  checkFit("printk_ringbuffer", sizePrb, [oDescRing + oCountBits, 4], [oDescRing + oDescs, 8], [oDescRing + oInfos, 8], [oDescRing + oHead + oCounter, 8], [oDescRing + oTail + oCounter, 8], [oTextRing + oSizeBits, 4], [oTextRing + oData, 8]);
  checkFit("prb_desc", sizeDesc, [oState + oCounter, 8], [oLpos + oBegin, 8], [oLpos + oNext, 8]);
  checkFit("printk_info", sizeInfo, [oSeq, 8], [oTs, 8], [oTextLen, 2], ...(oCaller !== undefined ? [[oCaller, 4] as [number, number]] : []));

  const prbSym = info.symbols.get("prb")!;
  const ptr = await mem.readVirt(prbSym, 8, missing.sink);
  if (missing.count) throw new VmcoreError("unmapped", `cannot read the prb pointer at ${prbSym.toString(16)}: ${missing.first}`);
  const prbAddr = new DataView(ptr.buffer, ptr.byteOffset, 8).getBigUint64(0, true);
  const prbBytes = await mem.readVirt(prbAddr, sizePrb, missing.sink);
  if (missing.count) throw new VmcoreError("unmapped", `cannot read struct printk_ringbuffer at ${prbAddr.toString(16)}: ${missing.first}`);
  const pv = new DataView(prbBytes.buffer, prbBytes.byteOffset, prbBytes.byteLength);
  const countBits = pv.getUint32(oDescRing + oCountBits, true);
  const sizeBits = pv.getUint32(oTextRing + oSizeBits, true);
  if (countBits > 30 || sizeBits > 31 || sizeBits < 3) {
    throw new VmcoreError("bad-ring", `printk ring: implausible count_bits ${countBits} / size_bits ${sizeBits}`);
  }
  const count = 2 ** countBits;
  const textSize = 2 ** sizeBits;
  const ringBytes = count * (sizeDesc + sizeInfo) + textSize;
  if (ringBytes > maxRing) throw new VmcoreError("bad-ring", `printk ring of ${ringBytes} bytes exceeds the limit of ${maxRing}`);
  const descsAddr = pv.getBigUint64(oDescRing + oDescs, true);
  const infosAddr = pv.getBigUint64(oDescRing + oInfos, true);
  const dataAddr = pv.getBigUint64(oTextRing + oData, true);
  const headId = pv.getBigUint64(oDescRing + oHead + oCounter, true);
  const tailId = pv.getBigUint64(oDescRing + oTail + oCounter, true);

  let tail = tailId & DESC_ID_MASK;
  const head = headId & DESC_ID_MASK;
  const span = (head - tail) & DESC_ID_MASK;
  if (span >= BigInt(count)) {
    diagnostics.push({
      code: "ring-ids",
      severity: "warning",
      message: `printk ring: tail id ${tailId} and head id ${headId} are ${span} apart, more than the ${count} descriptors; reading the last ${count} ids only`,
    });
    tail = (head - BigInt(count) + 1n) & DESC_ID_MASK;
  }
  const live = Number((head - tail) & DESC_ID_MASK) + 1;
  const countB = BigInt(count);
  const first = Number(tail % countB);

  // Only the live part of each array is read (the descriptors and infos from tail to head,
  // the text their records point at), into arrays laid out as the ring is: a log of a few
  // hundred records touches a few dozen pages of a ring of hundreds.
  const region = async (what: string, addr: bigint, size: number, ranges: ReadonlyArray<readonly [number, number]>): Promise<Uint8Array> => {
    const out = new Uint8Array(size);
    const before = missing.count;
    const bytesBefore = missing.bytes;
    let wanted = 0;
    for (const [start, end] of ranges) {
      out.set(await mem.readVirt(addr + BigInt(start), end - start, missing.sink), start);
      wanted += end - start;
    }
    if (missing.count > before) {
      diagnostics.push({
        code: "ring-incomplete",
        severity: "warning",
        message: `printk ring ${what}: ${missing.bytes - bytesBefore} of the ${wanted} bytes its records occupy could not be read (${missing.first}); records there are skipped or damaged`,
      });
    }
    return out;
  };
  /** The byte ranges of `n` slots of `width` bytes from slot `from`, wrapping at `count`. */
  const slots = (from: number, n: number, width: number): Array<[number, number]> =>
    from + n <= count
      ? [[from * width, (from + n) * width]]
      : [
          [from * width, count * width],
          [0, (from + n - count) * width],
        ];
  const descs = await region("descriptors", descsAddr, count * sizeDesc, slots(first, live, sizeDesc));
  const infos = await region("infos", infosAddr, count * sizeInfo, slots(first, live, sizeInfo));
  const dv = new DataView(descs.buffer, descs.byteOffset, descs.byteLength);
  const iv = new DataView(infos.buffer, infos.byteOffset, infos.byteLength);

  /** A record's descriptor and where its text lies in the text ring; null when the descriptor is not a finished record. */
  const locate = (id: bigint): { di: number; begin: number; end: number } | null => {
    const di = Number(id % countB);
    const d = di * sizeDesc;
    const sv = dv.getBigUint64(d + oState + oCounter, true);
    if ((sv & DESC_ID_MASK) !== id) return null;
    const state = Number((sv >> DESC_FLAGS_SHIFT) & 3n);
    if (state !== 1 && state !== 2) return null;
    // Logical positions modulo the ring size, a power of two of at most 2^31: their low 32 bits decide.
    let begin = dv.getUint32(d + oLpos + oBegin, true) % textSize;
    const next = dv.getUint32(d + oLpos + oNext, true) % textSize;
    if (begin === next) return null;
    let textLen = iv.getUint16(di * sizeInfo + oTextLen, true);
    if (begin > next) begin = 0;
    begin += 8;
    // makedumpfile: `if (next - begin < text_len)` in unsigned arithmetic (a negative difference is huge).
    const room = next - begin;
    if (room >= 0 && room < textLen) textLen = room;
    return { di, begin: Math.min(begin, textSize), end: Math.min(begin + textLen, textSize) };
  };
  const found: Array<{ id: bigint; di: number; begin: number; end: number }> = [];
  for (let k = 0, id = tail; k < live; k++, id = (id + 1n) & DESC_ID_MASK) {
    const r = locate(id);
    if (r) found.push({ id, ...r });
  }
  const text = await region("text", dataAddr, textSize, textRanges(found));
  const records: LogRecord[] = [];
  for (const { id, di, begin, end } of found) {
    const inf = di * sizeInfo;
    const rec: LogRecord = {
      seq: iv.getBigUint64(inf + oSeq, true),
      tsNsec: iv.getBigUint64(inf + oTs, true),
      text: text.subarray(begin, end),
      id,
    };
    if (oCaller !== undefined) rec.callerId = iv.getUint32(inf + oCaller, true);
    records.push(rec);
  }
  return { kind: "lockless", records, ringBytes, diagnostics };
}

/** Text ring ranges to read: the records' texts (with the 8-byte id before each), merged where they touch or lie within a page of each other. */
function textRanges(found: ReadonlyArray<{ begin: number; end: number }>): Array<[number, number]> {
  const rs = found.filter((r) => r.end > r.begin).map((r): [number, number] => [Math.max(0, r.begin - 8), r.end]);
  rs.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const r of rs) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 4096) last[1] = Math.max(last[1], r[1]);
    else merged.push(r);
  }
  return merged;
}

export async function readLegacy(mem: VirtualMemory, info: VmcoreInfo, opts: RingOptions = {}): Promise<RingReadResult> {
  const maxRing = opts.maxRingBytes ?? DEFAULT_MAX_RING;
  const sizeLog = need(info.sizes, "printk_log", "SIZE");
  const oTs = need(info.offsets, "printk_log.ts_nsec", "OFFSET");
  const oLen = need(info.offsets, "printk_log.len", "OFFSET");
  const oTextLen = need(info.offsets, "printk_log.text_len", "OFFSET");
  const diagnostics: VmcoreDiagnostic[] = [];
  const missing = new Missing();
  const sym = (name: string): bigint => {
    const v = info.symbols.get(name);
    if (v === undefined) throw new VmcoreError("no-vmcoreinfo", `VMCOREINFO lacks SYMBOL(${name}), needed to read the log`);
    return v;
  };
  const u = async (name: string, width: 4 | 8): Promise<bigint> => {
    const b = await mem.readVirt(sym(name), width, missing.sink);
    if (missing.count) throw new VmcoreError("unmapped", `cannot read ${name}: ${missing.first}`);
    const v = new DataView(b.buffer, b.byteOffset, width);
    return width === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
  };
  const logBuf = await u("log_buf", 8);
  const len = Number(await u("log_buf_len", 4));
  const first = Number(await u("log_first_idx", 4));
  const nextIdx = Number(await u("log_next_idx", 4));
  if (len <= 0 || len > maxRing) throw new VmcoreError("bad-ring", `log_buf_len ${len} is implausible`);
  const buf = await mem.readVirt(logBuf, len, missing.sink);
  if (missing.count) diagnostics.push({ code: "ring-incomplete", severity: "warning", message: `log buffer: ${missing.bytes} bytes could not be read (${missing.first})` });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: LogRecord[] = [];
  let idx = first;
  let seq = 0n;
  // Each step advances by at least one header or wraps once; bound the walk by the buffer size.
  for (let steps = 0; idx !== nextIdx && steps <= len; steps++) {
    if (idx + sizeLog > len) {
      diagnostics.push({ code: "ring-bad-record", severity: "warning", message: `log buffer: record index ${idx} runs past the buffer; stopping` });
      break;
    }
    const l = dv.getUint16(idx + oLen, true);
    if (l === 0) {
      idx = 0;
      continue;
    }
    const tl = dv.getUint16(idx + oTextLen, true);
    const start = idx + sizeLog;
    records.push({ seq: seq++, tsNsec: dv.getBigUint64(idx + oTs, true), text: buf.subarray(start, Math.min(start + tl, len)) });
    idx += l;
  }
  return { kind: "legacy", records, ringBytes: len, diagnostics };
}
