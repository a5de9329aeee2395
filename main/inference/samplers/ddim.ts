/**
 * DDIM sampler (Song et al. 2021) for an ε-prediction model, with η (0 =
 * deterministic probability-flow walk, 1 = DDPM-like noise) and an optional warm
 * start from an estimate of x_0 noised to an intermediate timestep.
 */
import { GaussianRng } from './gaussian.js';
import { ddimTimesteps, type NoiseSchedule } from './schedule.js';
import { checkBatch, evalEps, type EpsModel, type SampleBatch, type SampleResult, type StepCallback } from './types.js';

export interface DdimOptions {
  /** Network evaluations (timesteps visited), ≥ 1. */
  steps: number;
  /** Stochasticity η ∈ [0, 1]. */
  eta: number;
  /** Clip the x_0 prediction to [−1, 1] at every step (default true). */
  clip?: boolean;
  /**
   * Warm start: begin at timestep `t` from x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·z instead of
   * pure noise at T−1. `x0` holds B·P values (one estimate per batch element).
   */
  start?: { x0: Float32Array; t: number };
  onStep?: StepCallback;
}

/**
 * Draws B samples with DDIM. Noise of element b comes only from seeds[b]: first
 * the starting noise (P values), then P values per stochastic step.
 */
export async function sampleDdim(
  model: EpsModel,
  schedule: NoiseSchedule,
  batch: SampleBatch,
  options: DdimOptions,
): Promise<SampleResult> {
  checkBatch(batch, 'DDIM');
  const { eta, clip = true } = options;
  if (!(eta >= 0 && eta <= 1)) throw new RangeError(`DDIM: eta must be within [0, 1], got ${eta}`);
  const { batch: B, pixels: P } = batch;
  const ab = schedule.alphasCumprod;
  const rngs = batch.seeds.map((s) => new GaussianRng(s));
  const x = new Float32Array(B * P);
  const noise = new Float32Array(P);

  let tStart = schedule.T - 1;
  if (options.start) {
    tStart = options.start.t;
    if (!Number.isInteger(tStart) || tStart < 0 || tStart >= schedule.T) {
      throw new RangeError(`DDIM warm start: t must be an integer in [0, ${schedule.T}), got ${tStart}`);
    }
    if (options.start.x0.length !== B * P) {
      throw new RangeError(`DDIM warm start: x0 has ${options.start.x0.length} values, expected ${B * P}`);
    }
  }
  const a0 = ab[tStart]!;
  for (let b = 0; b < B; b++) {
    rngs[b]!.fill(noise);
    const o = b * P;
    if (options.start) {
      const x0 = options.start.x0;
      const sa = Math.sqrt(a0);
      const sn = Math.sqrt(1 - a0);
      for (let i = 0; i < P; i++) x[o + i] = sa * x0[o + i]! + sn * noise[i]!;
    } else {
      x.set(noise, o);
    }
  }

  const ts = ddimTimesteps(tStart, options.steps);
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    const prev = k + 1 < ts.length ? ts[k + 1]! : -1;
    const abT = ab[t]!;
    const abP = prev >= 0 ? ab[prev]! : 1;
    const eps = await evalEps(model, x, t, B, 'DDIM');
    const sigma = prev >= 0 ? eta * Math.sqrt((1 - abP) / (1 - abT)) * Math.sqrt(1 - abT / abP) : 0;
    const sqrtAbT = Math.sqrt(abT);
    const sqrt1mAbT = Math.sqrt(1 - abT);
    const sqrtAbP = Math.sqrt(abP);
    const dirCoef = Math.sqrt(Math.max(0, 1 - abP - sigma * sigma));
    for (let b = 0; b < B; b++) {
      if (sigma > 0) rngs[b]!.fill(noise);
      const o = b * P;
      for (let i = 0; i < P; i++) {
        const xt = x[o + i]!;
        let e = eps[o + i]!;
        let x0 = (xt - sqrt1mAbT * e) / sqrtAbT;
        if (clip && (x0 > 1 || x0 < -1)) {
          x0 = x0 > 1 ? 1 : -1;
          // Keep ε consistent with the clipped x_0 (as diffusers does).
          e = (xt - sqrtAbT * x0) / sqrt1mAbT;
        }
        x[o + i] = sqrtAbP * x0 + dirCoef * e + (sigma > 0 ? sigma * noise[i]! : 0);
      }
    }
    await options.onStep?.(k + 1, ts.length);
  }
  return { x0: x, evaluations: ts.length };
}
