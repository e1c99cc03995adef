/**
 * Tiny seeded PRNG for deterministic fleets and simulations. Not for cryptography.
 */

/**
 * mulberry32: a 32-bit-state generator returning floats in [0, 1).
 * The same seed always yields the same sequence, on every platform.
 */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derive an independent seed from a base seed and a salt (e.g. a device id), so each device can
 * own a stream that does not shift when other devices are added. FNV-1a over the salt, mixed with the seed.
 */
export function deriveSeed(seed: number, salt: string | number): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  const s = String(salt);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
