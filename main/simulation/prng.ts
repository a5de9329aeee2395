/**
 * Small seeded pseudo-random generators. Every random choice of the virtual
 * microscope goes through these, so a seed reproduces every byte it writes,
 * independently of how work is split across worker threads: each independent
 * stream (a nanowell, a frame's noise, a training pair) gets its own seed
 * derived by hashing, never by sharing one sequential generator.
 */
import { MULBERRY32_INCREMENT, mulberry32Output, murmurMix } from '../common/random.js';

/** Mixes integers into a well-distributed 32-bit seed (murmur3 finaliser per part). */
export function hashSeed(...parts: number[]): number {
  return murmurMix(0x9e3779b9, parts);
}

/** A seeded generator: mulberry32 for uniforms, Box–Muller for normals. */
export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1), 32-bit resolution. */
  next(): number {
    this.state = (this.state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Output(this.state) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** -1 or +1 with equal probability. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Picks one element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array');
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * Fills `out` with standard normal values from a seed (Box–Muller in pairs).
 * Used for camera noise: the in-focus twin and its defocused frame reuse the
 * same draws ("same noise seed"), so they differ only by optics.
 */
export function fillStandardNormal(out: Float32Array, seed: number): Float32Array {
  const rng = new Rng(seed);
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let u = rng.next();
    while (u <= 1e-12) u = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    out[i + 1] = r * Math.sin(a);
  }
  if (i < n) out[i] = rng.normal();
  return out;
}
