/** Shared fixtures for the vmcore tests: minimised real dumps of the corpus's kdump run. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const VMCORE_DIR = join(ROOT, "corpora", "vmcore");
/** The fixtures are committed gzipped; `bytes()` gunzips them in memory. */
export const ZLIB_FIXTURE = join(VMCORE_DIR, "debian-6.1-kaslr-zlib-d31.kdump.gz");
export const LZO_FIXTURE = join(VMCORE_DIR, "rhel-6.1-kaslr-lzo-d31.kdump.gz");
/** makedumpfile -E -d 31 (ELF) from another crash of the same kdump run, and makedumpfile --dump-dmesg on the full dump. */
export const ELF_FIXTURE = join(VMCORE_DIR, "debian-6.1-kaslr-elf-d31.vmcore.gz");
export const ELF_EXPECTED_DMESG = join(VMCORE_DIR, "debian-6.1-kaslr-elf-d31.expected-dmesg.txt");
/** QEMU dump-guest-memory of one panicked KASLR guest: plain ELF, -p (paging, PN_XNUM originally), -z (flattened). */
export const QEMU_KASLR = ["qemu-kaslr-vmcore.elf.gz", "qemu-kaslr-vmcore-paging.elf.gz", "qemu-kaslr-vmcore.kdump-flat.gz"].map((f) => join(VMCORE_DIR, f));
export const QEMU_NOKASLR_PAGING = join(VMCORE_DIR, "qemu-nokaslr-vmcore-paging.elf.gz");
/** makedumpfile --dump-dmesg of the same crash, written by the capture kernel. */
export const EXPECTED_DMESG = join(ROOT, "corpora", "kdump", "debian", "var", "crash", "202611281906", "dmesg.202611281906");

export function bytes(path: string): Uint8Array {
  const raw = readFileSync(path);
  const b = path.endsWith(".gz") ? gunzipSync(raw) : raw;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function expectedDmesg(): string {
  return readFileSync(EXPECTED_DMESG, "latin1");
}

/** A guest booted with log_buf_len=1M: the ring lives in the direct map. -z (page-table walk) and -p (PT_LOAD virtual addresses). */
export const QEMU_LOGBUF_FLAT = join(VMCORE_DIR, "qemu-logbuf-vmcore.kdump-flat.gz");
export const QEMU_LOGBUF_PAGING = join(VMCORE_DIR, "qemu-logbuf-vmcore-paging.elf.gz");
