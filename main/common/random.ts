/**
 * The station's two seeded primitives, shared by the virtual microscope
 * (main/simulation/prng.ts) and the samplers' noise (main/inference/samplers/
 * gaussian.ts): the mulberry32 generator step and a murmur3-style integer mix
 * for deriving independent seeds. Pure; no node imports.
 */

/** Amount mulberry32 adds to its state per draw. */
export const MULBERRY32_INCREMENT = 0x6d2b79f5;

/** mulberry32 output (uint32) for a state already advanced by MULBERRY32_INCREMENT. */
export function mulberry32Output(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * Mixes integers (each up to 2^53) into a well-distributed uint32, starting from
 * `init`: murmur3 body per part, murmur3 finaliser at the end. Different `init`
 * values give unrelated seed families.
 */
export function murmurMix(init: number, parts: readonly number[]): number {
  let h = init;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51) ^ Math.imul(Math.floor(part / 0x100000000) | 0, 0x1b873593);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
