/**
 * Analytic ε-models for testing the samplers' math without a network: for data
 * whose distribution is known, E[ε | x_t] is computable exactly.
 */
import type { NoiseSchedule } from '../../../../main/inference/samplers/schedule.js';
import type { EpsModel } from '../../../../main/inference/samplers/types.js';

/** Data = one known image c (point mass): ε = (x_t − √ᾱ_t·c) / √(1−ᾱ_t). */
export function constantOracle(schedule: NoiseSchedule, c: Float32Array): EpsModel {
  return async (xt, t) => {
    const P = c.length;
    const out = new Float32Array(xt.length);
    for (let b = 0; b < t.length; b++) {
      const ab = schedule.alphasCumprod[t[b]!]!;
      for (let i = 0; i < P; i++) out[b * P + i] = (xt[b * P + i]! - Math.sqrt(ab) * c[i]!) / Math.sqrt(1 - ab);
    }
    return out;
  };
}

/** Data = iid N(μ, s²) pixels: ε = √(1−ᾱ)·(x_t − √ᾱ·μ) / (ᾱ·s² + 1 − ᾱ). */
export function gaussianOracle(schedule: NoiseSchedule, mu: number, s: number): EpsModel {
  return async (xt, t) => {
    const P = xt.length / t.length;
    const out = new Float32Array(xt.length);
    for (let b = 0; b < t.length; b++) {
      const ab = schedule.alphasCumprod[t[b]!]!;
      const k = Math.sqrt(1 - ab) / (ab * s * s + 1 - ab);
      for (let i = 0; i < P; i++) out[b * P + i] = k * (xt[b * P + i]! - Math.sqrt(ab) * mu);
    }
    return out;
  };
}

export function meanStd(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let v2 = 0;
  for (const v of x) v2 += (v - mean) ** 2;
  return { mean, std: Math.sqrt(v2 / x.length) };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
