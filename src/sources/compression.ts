/**
 * Whole-file compressions kpanic reads, known by their magic bytes. A module
 * of its own so that the lean vmcore path can ask without loading the
 * decoders (./file.ts).
 */
export type Compression = "gzip" | "zstd" | "xz" | "bzip2";

export function compressionOf(m: Uint8Array): Compression | null {
  if (m[0] === 0x1f && m[1] === 0x8b) return "gzip";
  if (m[0] === 0x28 && m[1] === 0xb5 && m[2] === 0x2f && m[3] === 0xfd) return "zstd";
  if (m[0] === 0xfd && m[1] === 0x37 && m[2] === 0x7a && m[3] === 0x58 && m[4] === 0x5a && m[5] === 0x00) return "xz";
  if (m[0] === 0x42 && m[1] === 0x5a && m[2] === 0x68) return "bzip2";
  return null;
}
