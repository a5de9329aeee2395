/**
 * The PostFocus reference sampler: ancestral DDPM sampling (Ho et al. 2020) over
 * every one of the T training timesteps, x_0 prediction clipped to [−1, 1] and
 * the posterior q(x_{t−1} | x_t, x_0) mean and variance β̃_t.
 */
import { GaussianRng } from './gaussian.js';
import type { NoiseSchedule } from './schedule.js';
import { checkBatch, evalEps, type EpsModel, type SampleBatch, type SampleResult, type StepCallback } from './types.js';

export interface AncestralOptions {
  clip?: boolean;
  onStep?: StepCallback;
}

/**
 * Draws B samples with T network evaluations. Noise of element b comes only from
 * seeds[b]: the starting noise, then P values at each step t > 0 — the same
 * order as DDIM with η = 1 over all T steps, which this equals mathematically.
 */
export async function sampleAncestral(
  model: EpsModel,
  schedule: NoiseSchedule,
  batch: SampleBatch,
  options: AncestralOptions = {},
): Promise<SampleResult> {
  checkBatch(batch, 'ancestral DDPM');
  const { clip = true } = options;
  const { batch: B, pixels: P } = batch;
  const ab = schedule.alphasCumprod;
  const rngs = batch.seeds.map((s) => new GaussianRng(s));
  const x = new Float32Array(B * P);
  for (let b = 0; b < B; b++) rngs[b]!.fill(x, b * P, P);
  const noise = new Float32Array(P);
  for (let t = schedule.T - 1; t >= 0; t--) {
    const abT = ab[t]!;
    const abP = t > 0 ? ab[t - 1]! : 1;
    const alpha = abT / abP;
    const beta = 1 - alpha;
    const coefX0 = (Math.sqrt(abP) * beta) / (1 - abT);
    const coefXt = (Math.sqrt(alpha) * (1 - abP)) / (1 - abT);
    const std = t > 0 ? Math.sqrt((beta * (1 - abP)) / (1 - abT)) : 0;
    const sqrtAbT = Math.sqrt(abT);
    const sqrt1mAbT = Math.sqrt(1 - abT);
    const eps = await evalEps(model, x, t, B, 'ancestral DDPM');
    for (let b = 0; b < B; b++) {
      if (t > 0) rngs[b]!.fill(noise);
      const o = b * P;
      for (let i = 0; i < P; i++) {
        const xt = x[o + i]!;
        let x0 = (xt - sqrt1mAbT * eps[o + i]!) / sqrtAbT;
        if (clip && (x0 > 1 || x0 < -1)) x0 = x0 > 1 ? 1 : -1;
        x[o + i] = coefX0 * x0 + coefXt * xt + (t > 0 ? std * noise[i]! : 0);
      }
    }
    await options.onStep?.(schedule.T - t, schedule.T);
  }
  return { x0: x, evaluations: schedule.T };
}
