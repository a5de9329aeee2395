/**
 * Diffusion noise schedule (ᾱ_t, t = 0 … T−1) as exported with the model in
 * models/manifest.json, and the timestep subsequences the samplers walk.
 * Convention of the training recipe (models/training/train_ddpm.py): the network
 * sees x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε for an integer index t in [0, T), passed as float.
 */

export interface NoiseSchedule {
  /** Number of training timesteps (PostFocus: 1000). */
  T: number;
  /** ᾱ_t for t = 0 … T−1, strictly decreasing, in (0, 1). */
  alphasCumprod: Float64Array;
}

/** Builds and checks a schedule from the manifest's `preprocess.schedule`. */
export function makeSchedule(alphasCumprod: readonly number[] | Float64Array, T = alphasCumprod.length): NoiseSchedule {
  if (!Number.isInteger(T) || T < 2 || alphasCumprod.length !== T) {
    throw new Error(`noise schedule: expected T = ${T} values of alphas_cumprod, got ${alphasCumprod.length}`);
  }
  const ab = Float64Array.from(alphasCumprod);
  for (let t = 0; t < T; t++) {
    const v = ab[t]!;
    if (!(v > 0 && v < 1) || (t > 0 && !(v < ab[t - 1]!))) {
      throw new Error(`noise schedule: alphas_cumprod must decrease strictly within (0, 1); bad value ${v} at t = ${t}`);
    }
  }
  return { T, alphasCumprod: ab };
}

/** Nichol & Dhariwal (2021) cosine schedule, exactly as models/training/common.py computes it. */
export function cosineSchedule(T = 1000, s = 0.008): NoiseSchedule {
  const f = (u: number) => Math.cos(((u / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const ab = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    prod *= 1 - Math.min(1 - f(t + 1) / f(t), 0.999);
    ab[t] = prod;
  }
  return { T, alphasCumprod: ab };
}

/**
 * Descending timesteps for an S-step DDIM walk from `tStart` down to 0, evenly
 * spaced and rounded (duplicates removed, so fewer than S when tStart + 1 < S).
 */
export function ddimTimesteps(tStart: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`DDIM steps must be a whole number ≥ 1, got ${steps}`);
  if (!Number.isInteger(tStart) || tStart < 0) throw new RangeError(`DDIM start timestep must be ≥ 0, got ${tStart}`);
  if (steps === 1) return [tStart];
  const out: number[] = [];
  for (let k = steps - 1; k >= 0; k--) {
    const t = Math.round((tStart * k) / (steps - 1));
    if (out[out.length - 1] !== t) out.push(t);
  }
  return out;
}
