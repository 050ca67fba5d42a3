/**
 * A dump without a VMCOREINFO note (QEMU dump-guest-memory of a guest started
 * without `-device vmcoreinfo`, a hypervisor's memory dump) still holds the
 * kernel's own copy: vmcoreinfo_data, the page crash_save_vmcoreinfo_init()
 * fills at boot with "OSRELEASE=...\nPAGESIZE=...\nSYMBOL(...)=..." (and, on
 * x86_64, NUMBER(phys_base) and KERNELOFFSET). Retrace tools find it by
 * scanning for "OSRELEASE=". The page is allocated page-aligned, so only the
 * first bytes of each page are compared; the whole dump is read, in 1 MiB
 * pieces, once.
 */
import type { PhysicalDump } from "./dump.js";

const MAGIC = "OSRELEASE=";
const PAGE = 4096;
const CHUNK = 1 << 20;

export interface FoundVmcoreinfo {
  text: string;
  /** Physical address of the page. */
  paddr: number;
  /** Bytes of physical memory looked at. */
  scanned: number;
}

/** The text of a VMCOREINFO page: up to its first NUL, when it looks like one. */
export function vmcoreinfoPageText(page: Uint8Array): string | null {
  for (let i = 0; i < MAGIC.length; i++) if (page[i] !== MAGIC.charCodeAt(i)) return null;
  let end = page.indexOf(0);
  if (end < 0) end = page.length;
  const text = Buffer.from(page.buffer, page.byteOffset, end).toString("latin1");
  // A real one names the page size and the symbols the log needs.
  return /\nPAGESIZE=[0-9]{1,8}\n/.test(text) && /\nSYMBOL\((?:prb|log_buf)\)=/.test(text) ? text : null;
}

/** Scans the dump's physical memory for the kernel's VMCOREINFO page; null when there is none. */
export async function scanForVmcoreinfo(dump: PhysicalDump): Promise<FoundVmcoreinfo | null> {
  const ranges = (await dump.physRanges?.()) ?? [];
  const ignore = (): void => undefined;
  let scanned = 0;
  for (const r of ranges) {
    // Page-aligned addresses inside the range.
    const first = Math.ceil(r.start / PAGE) * PAGE;
    const end = r.start + r.length;
    for (let at = first; at < end; at += CHUNK) {
      const len = Math.min(CHUNK, end - at);
      const b = await dump.readPhys(at, len, ignore);
      scanned += len;
      for (let off = 0; off + MAGIC.length <= len; off += PAGE) {
        if (b[off] !== 0x4f /* O */ || b[off + 1] !== 0x53 /* S */) continue;
        const page = off + PAGE <= len ? b.subarray(off, off + PAGE) : await dump.readPhys(at + off, PAGE, ignore);
        const text = vmcoreinfoPageText(page);
        if (text !== null) return { text, paddr: at + off, scanned };
      }
    }
  }
  return null;
}
