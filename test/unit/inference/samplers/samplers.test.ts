import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleAncestral } from '../../../../main/inference/samplers/ancestral.js';
import { sampleDdim } from '../../../../main/inference/samplers/ddim.js';
import { ensembleStats } from '../../../../main/inference/samplers/ensemble.js';
import { GaussianRng, ensembleSeeds } from '../../../../main/inference/samplers/gaussian.js';
import { cosineSchedule, ddimTimesteps, makeSchedule } from '../../../../main/inference/samplers/schedule.js';
import { constantOracle, gaussianOracle, maxAbsDiff, meanStd } from './oracle.js';

const schedule = cosineSchedule(1000);
const P = 16 * 16;
/** A known image in model space, spanning most of [−1, 1]. */
const target = Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37) * 0.9);
const broadcast = (img: Float32Array, n: number) => {
  const out = new Float32Array(img.length * n);
  for (let b = 0; b < n; b++) out.set(img, b * img.length);
  return out;
};

describe('noise schedule', () => {
  it('matches the cosine schedule exported from Python (fixture manifest)', () => {
    const manifest = JSON.parse(readFileSync('test/fixtures/models/manifest.json', 'utf8'));
    const ddpm = manifest.models.find((m: { kind: string }) => m.kind === 'ddpm');
    const fromPython = makeSchedule(ddpm.preprocess.schedule.alphas_cumprod);
    expect(maxAbsDiff(Float32Array.from(fromPython.alphasCumprod), Float32Array.from(schedule.alphasCumprod))).toBeLessThan(1e-7);
  });
  it('rejects a schedule that does not decrease', () => {
    expect(() => makeSchedule([0.9, 0.95, 0.5])).toThrow(/decrease strictly.*t = 1/);
  });
  it('walks DDIM timesteps from the start down to 0, evenly', () => {
    expect(ddimTimesteps(999, 5)).toEqual([999, 749, 500, 250, 0]);
    expect(ddimTimesteps(300, 4)).toEqual([300, 200, 100, 0]);
    expect(ddimTimesteps(999, 1)).toEqual([999]);
    expect(ddimTimesteps(2, 10)).toEqual([2, 1, 0]);
  });
});

describe('seeded Gaussian noise', () => {
  it('is reproducible from a seed and standard normal', () => {
    const a = new GaussianRng(42).fill(new Float32Array(20000));
    const b = new GaussianRng(42).fill(new Float32Array(20000));
    expect(a).toEqual(b);
    const { mean, std } = meanStd(a);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });
  it('derives distinct, stable ensemble seeds from a key', () => {
    const s = ensembleSeeds(17, 5);
    expect(new Set(s).size).toBe(5);
    expect(ensembleSeeds(17, 5)).toEqual(s);
    expect(ensembleSeeds(18, 5)).not.toEqual(s);
  });
});

describe('DDIM with an exact ε-oracle', () => {
  it('η = 0 returns the data exactly (point-mass data), for any step count', async () => {
    // One step from t = T−1 divides float32 ε by √ᾱ ≈ 3e-5: exact up to that rounding.
    for (const [steps, tol] of [[1, 1e-2], [4, 1e-4], [50, 1e-4]] as const) {
      const { x0, evaluations } = await sampleDdim(constantOracle(schedule, target), schedule,
        { batch: 3, pixels: P, seeds: [1, 2, 3] }, { steps, eta: 0 });
      expect(evaluations).toBe(steps);
      expect(maxAbsDiff(x0, broadcast(target, 3))).toBeLessThan(tol);
    }
  });
  it('η = 1 also returns the data exactly (the x_0 prediction is exact)', async () => {
    const { x0 } = await sampleDdim(constantOracle(schedule, target), schedule, { batch: 2, pixels: P, seeds: [5, 6] }, { steps: 20, eta: 1 });
    expect(maxAbsDiff(x0, broadcast(target, 2))).toBeLessThan(1e-4);
  });
  it('warm start from a wrong estimate still converges to the data', async () => {
    const wrong = broadcast(new Float32Array(P).fill(0.1), 2);
    const { x0, evaluations } = await sampleDdim(constantOracle(schedule, target), schedule,
      { batch: 2, pixels: P, seeds: [7, 8] }, { steps: 5, eta: 0, start: { x0: wrong, t: 300 } });
    expect(evaluations).toBe(5);
    expect(maxAbsDiff(x0, broadcast(target, 2))).toBeLessThan(1e-4);
  });
  it('samples N(μ, s²) data: right mean, spread error shrinking with the step count (η = 0)', async () => {
    const mu = 0.2;
    const s = 0.3;
    const stdError: number[] = [];
    for (const steps of [10, 50, 250]) {
      const { x0 } = await sampleDdim(gaussianOracle(schedule, mu, s), schedule,
        { batch: 4, pixels: 64 * 64, seeds: [11, 12, 13, 14] }, { steps, eta: 0, clip: false });
      const st = meanStd(x0);
      expect(Math.abs(st.mean - mu)).toBeLessThan(0.01);
      stdError.push(Math.abs(st.std - s) / s);
    }
    expect(stdError[1]!).toBeLessThan(stdError[0]!);
    expect(stdError[2]!).toBeLessThan(stdError[1]!);
    expect(stdError[2]!).toBeLessThan(0.015);
  });
  it("a member's sample depends only on its seed, not on the batch it runs in", async () => {
    const model = gaussianOracle(schedule, 0, 0.5);
    const alone = await sampleDdim(model, schedule, { batch: 1, pixels: P, seeds: [99] }, { steps: 10, eta: 0.5 });
    const batched = await sampleDdim(model, schedule, { batch: 3, pixels: P, seeds: [1, 99, 2] }, { steps: 10, eta: 0.5 });
    expect(maxAbsDiff(alone.x0, batched.x0.subarray(P, 2 * P))).toBe(0);
  });
  it('rejects η outside [0, 1] and a seed count that does not match the batch', async () => {
    const model = constantOracle(schedule, target);
    await expect(sampleDdim(model, schedule, { batch: 1, pixels: P, seeds: [1] }, { steps: 5, eta: 1.5 })).rejects.toThrow(/eta/);
    await expect(sampleDdim(model, schedule, { batch: 2, pixels: P, seeds: [1] }, { steps: 5, eta: 0 })).rejects.toThrow(/seeds/);
  });
});

describe('ancestral DDPM (1000-step reference) with an exact ε-oracle', () => {
  it('returns point-mass data exactly after T evaluations', async () => {
    const { x0, evaluations } = await sampleAncestral(constantOracle(schedule, target), schedule, { batch: 2, pixels: P, seeds: [3, 4] });
    expect(evaluations).toBe(1000);
    expect(maxAbsDiff(x0, broadcast(target, 2))).toBeLessThan(1e-4);
  });
  it('samples N(μ, s²) data with the right mean and spread', async () => {
    const mu = -0.1;
    const s = 0.25;
    const { x0 } = await sampleAncestral(gaussianOracle(schedule, mu, s), schedule,
      { batch: 2, pixels: 64 * 64, seeds: [21, 22] }, { clip: false });
    const st = meanStd(x0);
    expect(Math.abs(st.mean - mu)).toBeLessThan(0.01);
    expect(Math.abs(st.std - s) / s).toBeLessThan(0.03);
  });
  it('equals DDIM with η = 1 over all T steps, draw for draw', async () => {
    const model = gaussianOracle(schedule, 0.1, 0.4);
    const batch = { batch: 2, pixels: P, seeds: [31, 32] };
    const a = await sampleAncestral(model, schedule, batch, { clip: false });
    const d = await sampleDdim(model, schedule, batch, { steps: 1000, eta: 1, clip: false });
    expect(maxAbsDiff(a.x0, d.x0)).toBeLessThan(1e-3);
  });
});

describe('ensemble statistics', () => {
  it('computes the per-pixel mean and population standard deviation', () => {
    const stats = ensembleStats([Float32Array.of(0, 1), Float32Array.of(2, 1), Float32Array.of(4, 1)]);
    expect(Array.from(stats.mean)).toEqual([2, 1]);
    expect(stats.spread[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(stats.spread[1]).toBe(0);
    expect(stats.spreadMean).toBeCloseTo(Math.sqrt(8 / 3) / 2, 6);
  });
});
