/**
 * Hostile dumps: every one ends in a result or a VmcoreError with a message,
 * in bounded time, never another exception.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BytesSource, readVmcoreLog, VmcoreError, type VmcoreLog } from "../../src/vmcore/index.js";
import { HDR, PAGE_DESC_SIZE, readKdumpHeader, SUB } from "../../src/vmcore/kdump.js";
import { flatten } from "../../src/vmcore/minimize.js";
import { bytes, ZLIB_FIXTURE } from "./helpers.js";

const fixture = bytes(ZLIB_FIXTURE);

async function attempt(b: Uint8Array): Promise<VmcoreLog | VmcoreError> {
  try {
    return await readVmcoreLog(new BytesSource(b));
  } catch (e) {
    if (e instanceof VmcoreError) {
      expect(e.message.length).toBeGreaterThan(10);
      return e;
    }
    throw e;
  }
}

describe("bad input", () => {
  it("random bytes, and random bytes behind each signature", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom(null, "KDUMP   ", "\x7fELF\x02\x01\x01", "makedumpfile\0"), async (rnd, magic) => {
        const b = rnd.slice();
        if (magic) for (let i = 0; i < magic.length && i < b.length; i++) b[i] = magic.charCodeAt(i);
        const r = await attempt(b);
        expect(r).toBeInstanceOf(VmcoreError);
      }),
      { numRuns: 300 },
    );
  });

  it("bytes flipped anywhere in the headers, bitmaps and descriptors", async () => {
    const h = await readKdumpHeader(new BytesSource(fixture));
    const metaEnd = h.pageDescs + 200 * PAGE_DESC_SIZE;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: metaEnd - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }), async (flips) => {
        const b = fixture.slice();
        for (const [at, v] of flips) b[at] = v;
        const t0 = performance.now();
        await attempt(b);
        expect(performance.now() - t0).toBeLessThan(5000);
      }),
      { numRuns: 150 },
    );
  });

  it("a bitmap pointing past the end of the file", async () => {
    const b = fixture.slice();
    new DataView(b.buffer).setUint32(HDR.bitmapBlocks, 1 << 20, true);
    const r = await attempt(b);
    if (r instanceof VmcoreError) expect(r.message).toMatch(/./);
    else expect(r.diagnostics.map((d) => d.code)).toContain("truncated-dump");
  });

  it("no VMCOREINFO and a header claiming terabytes of memory: the scan for the kernel's copy stays within the file", async () => {
    const h = await readKdumpHeader(new BytesSource(fixture));
    const b = fixture.slice();
    const dv = new DataView(b.buffer);
    dv.setBigInt64(h.blockSize + SUB.sizeVmcoreinfo, 0n, true);
    dv.setUint32(HDR.bitmapBlocks, 1 << 24, true);
    dv.setUint32(HDR.maxMapnr, 0xffffffff, true);
    dv.setBigUint64(h.blockSize + SUB.maxMapnr64, 1n << 40n, true);
    const t0 = performance.now();
    const r = await attempt(b);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r).toBeInstanceOf(VmcoreError);
    expect((r as VmcoreError).message).toMatch(/no VMCOREINFO note, and no copy of it was found/);
  });

  it("page descriptors with huge sizes or offsets are reported, not followed", async () => {
    const h = await readKdumpHeader(new BytesSource(fixture));
    const b = fixture.slice();
    const dv = new DataView(b.buffer);
    for (let i = 0; i < 150; i++) {
      dv.setUint32(h.pageDescs + i * PAGE_DESC_SIZE + 8, 0xfffffff0, true);
      if (i % 2) dv.setBigInt64(h.pageDescs + i * PAGE_DESC_SIZE, 1n << 60n, true);
    }
    const r = await attempt(b);
    expect(r).toBeInstanceOf(VmcoreError);
    expect((r as VmcoreError).message).toMatch(/prb pointer|printk_ringbuffer/);
  });

  it("garbage VMCOREINFO values", async () => {
    const h = await readKdumpHeader(new BytesSource(fixture));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("SIZE(printk_info)=", "OFFSET(prb_desc_ring.descs)=", "SYMBOL(prb)=", "NUMBER(phys_base)=", "OFFSET(printk_info.text_len)=", "SYMBOL(init_top_pgt)="), fc.string({ minLength: 1, maxLength: 12 }), async (key, val) => {
        const text = Buffer.from(fixture.subarray(h.offsetVmcoreinfo, h.offsetVmcoreinfo + h.sizeVmcoreinfo)).toString("latin1");
        const at = text.indexOf(key);
        const end = text.indexOf("\n", at);
        const replaced = text.slice(0, at + key.length) + val + text.slice(end);
        const b = fixture.slice();
        const buf = Buffer.from(replaced, "latin1").subarray(0, h.sizeVmcoreinfo);
        b.fill(0, h.offsetVmcoreinfo, h.offsetVmcoreinfo + h.sizeVmcoreinfo);
        b.set(buf, h.offsetVmcoreinfo);
        await attempt(b);
      }),
      { numRuns: 100 },
    );
  });

  it("every truncation point of a flattened dump", async () => {
    const flat = flatten(fixture, 1 << 15);
    for (let cut = 0; cut < flat.length; cut += 9973) await attempt(flat.subarray(0, cut));
  });
});
