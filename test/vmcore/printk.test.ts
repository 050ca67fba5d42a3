import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMakedumpfile, parseVmcoreinfo, timestamp, callerString, VmcoreError, type VmcoreInfo } from "../../src/vmcore/index.js";
import { readLog } from "../../src/vmcore/printk.js";
import type { MissingSink } from "../../src/vmcore/dump.js";
import type { VirtualMemory } from "../../src/vmcore/x86_64.js";

/** The 6.1 x86_64 layout, as its VMCOREINFO says. */
const LAYOUT = `SYMBOL(prb)=ffffffff80001000
SIZE(printk_ringbuffer)=88
OFFSET(printk_ringbuffer.desc_ring)=0
OFFSET(printk_ringbuffer.text_data_ring)=48
SIZE(prb_desc)=24
OFFSET(prb_desc_ring.count_bits)=0
OFFSET(prb_desc_ring.descs)=8
OFFSET(prb_desc_ring.infos)=16
OFFSET(prb_desc_ring.head_id)=24
OFFSET(prb_desc_ring.tail_id)=32
OFFSET(prb_desc.state_var)=0
OFFSET(prb_desc.text_blk_lpos)=8
OFFSET(prb_data_blk_lpos.begin)=0
OFFSET(prb_data_blk_lpos.next)=8
SIZE(printk_info)=88
OFFSET(printk_info.seq)=0
OFFSET(printk_info.ts_nsec)=8
OFFSET(printk_info.text_len)=16
OFFSET(printk_info.caller_id)=20
OFFSET(prb_data_ring.size_bits)=0
OFFSET(prb_data_ring.data)=8
OFFSET(atomic_long_t.counter)=0
`;

const PRB = 0xffffffff80002000n;
const DESCS = 0xffffffff80010000n;
const INFOS = 0xffffffff80020000n;
const DATA = 0xffffffff80040000n;

/** Flat fake kernel memory: a few regions at fixed virtual addresses. */
class FakeMemory implements VirtualMemory {
  regions: Array<{ at: bigint; bytes: Uint8Array }> = [];
  add(at: bigint, bytes: Uint8Array): void {
    this.regions.push({ at, bytes });
  }
  readVirt(vaddr: bigint, length: number, missing: MissingSink): Promise<Uint8Array> {
    for (const r of this.regions) {
      if (vaddr >= r.at && vaddr + BigInt(length) <= r.at + BigInt(r.bytes.length)) {
        const o = Number(vaddr - r.at);
        return Promise.resolve(r.bytes.slice(o, o + length));
      }
    }
    missing(-1, length, `unmapped ${vaddr.toString(16)}`);
    return Promise.resolve(new Uint8Array(length));
  }
}

interface Rec {
  text: Uint8Array;
  ts: bigint;
  caller: number;
}

/** Writes records into a ring like the kernel's data_alloc(): wrapping blocks go to the start. */
function buildRing(recs: Rec[], countBits: number, sizeBits: number, opts: { firstId?: bigint; headId?: bigint; tailId?: bigint } = {}): FakeMemory {
  const count = 1 << countBits;
  const size = 1 << sizeBits;
  const descs = new Uint8Array(count * 24);
  const infos = new Uint8Array(count * 88);
  const data = new Uint8Array(size);
  const dd = new DataView(descs.buffer);
  const iv = new DataView(infos.buffer);
  const tv = new DataView(data.buffer);
  let lpos = 0;
  let id = opts.firstId ?? 0n;
  const ids: bigint[] = [];
  recs.forEach((r, seq) => {
    const blk = (8 + r.text.length + 7) & ~7;
    let begin = lpos;
    let next = lpos + blk;
    if (Math.floor(begin / size) !== Math.floor(next / size)) {
      // wraps: id at the old place, data at the start of the next wrap
      tv.setBigUint64(begin % size, id, true);
      next = (Math.floor(next / size)) * size + blk;
    }
    const at = (next - blk) % size;
    tv.setBigUint64(at, id, true);
    data.set(r.text, at + 8);
    const di = Number(id % BigInt(count));
    dd.setBigUint64(di * 24, (2n << 62n) | id, true);
    dd.setBigUint64(di * 24 + 8, BigInt(begin), true);
    dd.setBigUint64(di * 24 + 16, BigInt(next), true);
    iv.setBigUint64(di * 88, BigInt(seq), true);
    iv.setBigUint64(di * 88 + 8, r.ts, true);
    iv.setUint16(di * 88 + 16, r.text.length, true);
    iv.setUint32(di * 88 + 20, r.caller, true);
    ids.push(id);
    lpos = next;
    id++;
  });
  const prb = new Uint8Array(88);
  const pv = new DataView(prb.buffer);
  pv.setUint32(0, countBits, true);
  pv.setBigUint64(8, DESCS, true);
  pv.setBigUint64(16, INFOS, true);
  pv.setBigUint64(24, opts.headId ?? ids.at(-1) ?? 0n, true);
  pv.setBigUint64(32, opts.tailId ?? ids[0] ?? 0n, true);
  pv.setUint32(48, sizeBits, true);
  pv.setBigUint64(56, DATA, true);
  const ptr = new Uint8Array(8);
  new DataView(ptr.buffer).setBigUint64(0, PRB, true);
  const m = new FakeMemory();
  m.add(0xffffffff80001000n, ptr);
  m.add(PRB, prb);
  m.add(DESCS, descs);
  m.add(INFOS, infos);
  m.add(DATA, data);
  return m;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const info = (): VmcoreInfo => parseVmcoreinfo(LAYOUT);

describe("makedumpfile output format", () => {
  it("timestamps are [%5lld.%06ld]", () => {
    expect(timestamp(0n)).toBe("[    0.000000] ");
    expect(timestamp(8_665_858_167n)).toBe("[    8.665858] ");
    expect(timestamp(123_456_789_999_999n)).toBe("[123456.789999] ");
  });

  it("timestamps in doubles equal the BigInt arithmetic, at second boundaries, near 2^52 ns and beyond", () => {
    const exact = (t: bigint) => `[${(t / 1_000_000_000n).toString().padStart(5, " ")}.${((t % 1_000_000_000n) / 1000n).toString().padStart(6, "0")}] `;
    const edges = [0n, 999n, 1000n, 999_999_999n, 1_000_000_000n, 1_000_000_001n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 52n + 1n, 2n ** 63n - 1n];
    for (let k = 1n; k < 9_007_199n; k *= 3n) edges.push(k * 1_000_000_000n - 1n, k * 1_000_000_000n, k * 1_000_000_000n + 999n);
    for (const t of edges) expect(timestamp(t), String(t)).toBe(exact(t));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (t) => timestamp(t) === exact(t)), { numRuns: 2000 });
  });

  it("prints a printable one-line record as it is, and any other through the escaping path", () => {
    const text = (s: string) => ({ seq: 0n, tsNsec: 0n, text: Uint8Array.from(Buffer.from(s, "latin1")) });
    expect(formatMakedumpfile(text("plain ~ text\t\v\f\r"))).toBe("[    0.000000] plain ~ text\t\v\f\r\n");
    expect(formatMakedumpfile(text(""))).toBe("[    0.000000] \n");
    expect(formatMakedumpfile(text("a\x7fb"))).toBe("[    0.000000] a\\x7fb\n");
    expect(formatMakedumpfile(text("\x1f"))).toBe("[    0.000000] \\x1f\n");
  });

  it("escapes like makedumpfile: continuation indent, \\x of a signed char", () => {
    const r = { seq: 0n, tsNsec: 1_500_000n, text: Uint8Array.from([0x61, 0x0a, 0x62, 0x09, 0x01, 0xc3, 0xa9, 0x0d]) };
    expect(formatMakedumpfile(r)).toBe("[    0.001500] a\n               b\t\\x01\\xffffffc3\\xffffffa9\r\n");
  });

  it("caller ids", () => {
    expect(callerString(0x80000001)).toBe("C1");
    expect(callerString(97)).toBe("T97");
    expect(callerString(undefined)).toBeUndefined();
  });
});

describe("lockless printk ring", () => {
  it("decodes records in id order, including a block that wraps", async () => {
    const recs = Array.from({ length: 40 }, (_, i) => ({ text: enc(`message number ${i} ${"x".repeat(i % 7)}`), ts: BigInt(i) * 1_000_000n, caller: i % 2 ? 0x80000000 | i : i }));
    // 1 KiB of text: the 40 records wrap around (only the last fit).
    const mem = buildRing(recs, 6, 10);
    const r = await readLog(mem, info());
    expect(r.kind).toBe("lockless");
    expect(r.records.length).toBe(40);
    expect(new TextDecoder().decode(r.records[39]!.text)).toBe(`message number 39 ${"x".repeat(39 % 7)}`);
    expect(r.records[5]!.callerId).toBe(0x80000005);
  });

  it("skips descriptors whose id does not match (overwritten) and reserved ones", async () => {
    const recs = Array.from({ length: 10 }, (_, i) => ({ text: enc(`m${i}`), ts: 0n, caller: 1 }));
    const mem = buildRing(recs, 4, 12);
    const descs = mem.regions.find((x) => x.at === DESCS)!.bytes;
    const dv = new DataView(descs.buffer);
    dv.setBigUint64(3 * 24, 999n, true); // id mismatch
    dv.setBigUint64(4 * 24, (0n << 62n) | 4n, true); // reserved
    const r = await readLog(mem, info());
    expect(r.records.map((x) => new TextDecoder().decode(x.text))).toEqual(["m0", "m1", "m2", "m5", "m6", "m7", "m8", "m9"]);
  });

  it("ids that loop (tail far behind head) read at most one ring's worth, with a diagnostic", async () => {
    const recs = Array.from({ length: 8 }, (_, i) => ({ text: enc(`m${i}`), ts: 0n, caller: 1 }));
    const mem = buildRing(recs, 3, 12, { tailId: 5n, headId: 4n });
    const t0 = performance.now();
    const r = await readLog(mem, info());
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.records.length).toBeLessThanOrEqual(8);
    expect(r.diagnostics.map((d) => d.code)).toContain("ring-ids");
  });

  it("garbage ring geometry is a clear error", async () => {
    const mem = buildRing([{ text: enc("a"), ts: 0n, caller: 0 }], 3, 12);
    new DataView(mem.regions.find((x) => x.at === PRB)!.bytes.buffer).setUint32(0, 200, true);
    await expect(readLog(mem, info())).rejects.toThrow(/implausible count_bits/);
  });

  it("VMCOREINFO without the ring's symbols or with offsets outside the struct is a clear error", async () => {
    const mem = buildRing([{ text: enc("a"), ts: 0n, caller: 0 }], 3, 12);
    await expect(readLog(mem, parseVmcoreinfo("OSRELEASE=6.1\n"))).rejects.toThrow(VmcoreError);
    await expect(readLog(mem, parseVmcoreinfo(LAYOUT.replace("OFFSET(prb_desc_ring.tail_id)=32", "OFFSET(prb_desc_ring.tail_id)=4000")))).rejects.toThrow(/outside its size/);
  });

  it("property: any descriptor/info/text contents decode in bounded time without crashing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 8 * 24, maxLength: 8 * 24 }), fc.uint8Array({ minLength: 8 * 88, maxLength: 8 * 88 }), fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (descs, infos, data, head, tail) => {
        const mem = buildRing([], 3, 8, { headId: head, tailId: tail });
        mem.regions.find((x) => x.at === DESCS)!.bytes = descs;
        mem.regions.find((x) => x.at === INFOS)!.bytes = infos;
        mem.regions.find((x) => x.at === DATA)!.bytes = data;
        const r = await readLog(mem, info());
        expect(r.records.length).toBeLessThanOrEqual(8);
        for (const rec of r.records) {
          expect(rec.text.length).toBeLessThanOrEqual(256);
          formatMakedumpfile(rec);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("VMCOREINFO parsing", () => {
  it("parses the keys and keeps negative numbers", () => {
    const i = parseVmcoreinfo("OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nKERNELOFFSET=38800000\nCRASHTIME=1795892762\nNUMBER(phys_base)=-486539264\nSYMBOL(prb)=ffffffffbb2643e0\nSIZE(prb_desc)=24\nOFFSET(printk_info.seq)=0\nNUMBER(sme_mask)=0x0\n");
    expect(i.osrelease).toBe("6.1.0-56-amd64");
    expect(i.pageSize).toBe(4096);
    expect(i.kernelOffset).toBe(0x38800000n);
    expect(i.numbers.get("phys_base")).toBe(-486539264n);
    expect(i.numbers.get("sme_mask")).toBe(0n);
    expect(i.symbols.get("prb")).toBe(0xffffffffbb2643e0n);
    expect(i.diagnostics).toEqual([]);
  });

  it("property: garbage never throws and yields at most 20 diagnostics", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const i = parseVmcoreinfo(s);
        expect(i.diagnostics.length).toBeLessThanOrEqual(20);
      }),
      { numRuns: 500 },
    );
    const bad = parseVmcoreinfo("PAGESIZE=banana\nSYMBOL(prb)=zz\nSIZE(prb_desc)=99999999999999999999\nNUMBER(x)=\n");
    expect(bad.pageSize).toBeUndefined();
    expect(bad.symbols.size).toBe(0);
    expect(bad.diagnostics.length).toBe(4);
  });
});

describe("legacy log_buf (3.5-5.9)", () => {
  const LEGACY = `SYMBOL(log_buf)=ffffffff80001000
SYMBOL(log_buf_len)=ffffffff80001008
SYMBOL(log_first_idx)=ffffffff80001010
SYMBOL(log_next_idx)=ffffffff80001018
SIZE(printk_log)=16
OFFSET(printk_log.ts_nsec)=0
OFFSET(printk_log.len)=8
OFFSET(printk_log.text_len)=10
`;
  function legacyRing(texts: string[], len: number, first: number, wrapAt?: number): FakeMemory {
    const buf = new Uint8Array(len);
    const dv = new DataView(buf.buffer);
    let idx = first;
    for (const [i, t] of texts.entries()) {
      const b = enc(t);
      const recLen = (16 + b.length + 7) & ~7;
      if (wrapAt !== undefined && i === wrapAt) {
        dv.setUint16(idx + 8, 0, true); // len 0: wrap to the start
        idx = 0;
      }
      dv.setBigUint64(idx, BigInt(i) * 1000n, true);
      dv.setUint16(idx + 8, recLen, true);
      dv.setUint16(idx + 10, b.length, true);
      buf.set(b, idx + 16);
      idx += recLen;
    }
    const vars = new Uint8Array(32);
    const vv = new DataView(vars.buffer);
    vv.setBigUint64(0, 0xffffffff80100000n, true);
    vv.setUint32(8, len, true);
    vv.setUint32(16, first, true);
    vv.setUint32(24, idx, true);
    const m = new FakeMemory();
    m.add(0xffffffff80001000n, vars);
    m.add(0xffffffff80100000n, buf);
    return m;
  }

  it("walks records from log_first_idx, wrapping at len 0", async () => {
    const mem = legacyRing(["one", "two", "three", "four"], 256, 160, 2);
    const r = await readLog(mem, parseVmcoreinfo(LEGACY));
    expect(r.kind).toBe("legacy");
    expect(r.records.map((x) => new TextDecoder().decode(x.text))).toEqual(["one", "two", "three", "four"]);
    expect(formatMakedumpfile(r.records[1]!)).toBe("[    0.000001] two\n");
  });

  it("a corrupt index stops with a diagnostic instead of looping", async () => {
    const mem = legacyRing(["one"], 64, 0);
    new DataView(mem.regions[0]!.bytes.buffer).setUint32(24, 13, true); // next idx never reached
    const r = await readLog(mem, parseVmcoreinfo(LEGACY));
    expect(r.records.length).toBeLessThan(100);
  });
});
