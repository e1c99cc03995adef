/**
 * Stable, seedable hashing to [0, 1): the mock fleet's "randomness that must not depend on call
 * order" (which hour it drizzles, which 20 s window a heavy truck crosses a bridge). Two calls
 * with the same inputs always agree, in any process.
 */

/** 2^32, to map an unsigned 32-bit hash onto [0, 1). */
const UINT32_RANGE = 4_294_967_296;

/** FNV-1a over the key, then a murmur3 finaliser mixing in the seed and the integer. */
export function hashUnit(seed: number, key: string, n: number = 0): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= n | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= Math.floor(n / UINT32_RANGE) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= h >>> 16;
  return (h >>> 0) / UINT32_RANGE;
}
