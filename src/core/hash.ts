/**
 * FNV-1a, 64 bits (as two 32-bit halves): a small, stable, dependency-free
 * hash for fingerprints and ids. Not cryptographic; it only has to be stable
 * across runs, machines and Node versions.
 */
export function fnv1a64(s: string): string {
  let h1 = 0x84222325 >>> 0; // low 32 bits of the offset basis 0xcbf29ce484222325
  let h2 = 0xcbf29ce4 >>> 0; // high 32 bits
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    // Each UTF-16 code unit is hashed as two bytes, low byte first.
    for (let k = 0; k < 2; k++) {
      h1 ^= c & 0xff;
      c >>>= 8;
      // multiply (h2:h1) by the FNV prime 0x100000001b3 = 2^40 + 0x1b3
      const lo = h1 * 0x1b3;
      const carry = Math.floor(lo / 0x100000000);
      const hi = h2 * 0x1b3 + ((h1 << 8) >>> 0) + carry; // 2^40 = 2^32 * 2^8
      h1 = lo >>> 0;
      h2 = hi >>> 0;
    }
  }
  return h2.toString(16).padStart(8, "0") + h1.toString(16).padStart(8, "0");
}
