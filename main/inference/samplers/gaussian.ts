/**
 * Seeded Gaussian noise for the samplers. Each ensemble member draws from its own
 * stream, so a member's result depends only on its seed (never on batch size or on
 * how many members run together) and a recorded seed reproduces it exactly.
 */

import { MULBERRY32_INCREMENT, mulberry32Output, murmurMix } from '../../common/random.js';

/** Seeded standard-normal generator: mulberry32 uniforms, Box–Muller pairs. */
export class GaussianRng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`GaussianRng: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.state = seed >>> 0;
  }

  /** Uniform in (0, 1): never exactly 0, so log() is finite. */
  uniform(): number {
    this.state = (this.state + MULBERRY32_INCREMENT) >>> 0;
    return (mulberry32Output(this.state) + 0.5) / 4294967296;
  }

  /** One standard normal value. */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Fills `out[offset .. offset + length)` with standard normal values; returns `out`. */
  fill(out: Float32Array, offset = 0, length = out.length - offset): Float32Array {
    for (let i = offset; i < offset + length; i++) out[i] = this.normal();
    return out;
  }
}

/**
 * Seeds of an ensemble, derived from a base key (e.g. the frame id) by hashing, so
 * a retried restoration reproduces the same members.
 */
export function ensembleSeeds(key: number, count: number, salt = 0): number[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`ensemble size must be ≥ 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => mixSeed(key, i, salt));
}

/** murmur3-style 32-bit mix of integers. */
export function mixSeed(...parts: number[]): number {
  return murmurMix(0x2545f491, parts);
}
