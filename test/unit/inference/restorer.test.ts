import { describe, expect, it } from 'vitest';
import { planFrame, restoreFrame, TiledRunner, type NetworkFn } from '../../../main/inference/restorer.js';
import { cosineSchedule } from '../../../main/inference/samplers/schedule.js';
import { maxAbsDiff } from './samplers/oracle.js';

const pre = { scale: 2, offset: -1, sizeMultiple: 8, trainPatch: 32, minSize: 1, threshold: 0.5, inputRange: [0, 1] as [number, number] };

/** A per-pixel "network": out = 2·x_t + cond (no spatial context, so tiling must not change it). */
const pointwise: NetworkFn = async (inputs) => {
  const x = inputs.x_t!;
  const c = inputs.cond!;
  return x.map((v, i) => 2 * v + c[i]!);
};

describe('tiled network runner', () => {
  it('plans no tiling for a frame that fits one tile, a tile grid otherwise', () => {
    expect(planFrame(30, 20, pre)).toEqual({ pw: 32, ph: 24, grid: null });
    const big = planFrame(70, 45, pre);
    expect(big.grid).toMatchObject({ tileSize: 32, overlap: 4, cols: 3, rows: 2 });
    expect([big.pw, big.ph]).toEqual([big.grid!.paddedWidth, big.grid!.paddedHeight]);
  });

  it('blends tiles into exactly what the untiled network gives (partition of unity), in chunks of any size', async () => {
    const { pw, ph, grid } = planFrame(70, 45, pre);
    const P = pw * ph;
    const B = 3;
    const x = Float32Array.from({ length: B * P }, (_, i) => Math.sin(i * 0.01));
    const cond = Float32Array.from({ length: P }, (_, i) => Math.cos(i * 0.03));
    const whole = new TiledRunner(pw, ph, null, 1);
    const expected = await whole.run(pointwise, B, { x_t: x, cond });
    for (const maxBatch of [1, 5, 64]) {
      const tiled = new TiledRunner(pw, ph, grid, maxBatch);
      expect(tiled.tiles).toBe(6);
      expect(maxAbsDiff(await tiled.run(pointwise, B, { x_t: x, cond }), expected)).toBeLessThan(1e-5);
    }
  });
});

describe('restoreFrame with an exact ε-oracle network', () => {
  it('returns the condition image itself when the network knows x_0 = cond (DDIM, tiled, padded, cropped)', async () => {
    const schedule = cosineSchedule(1000);
    const W = 70;
    const H = 45;
    const image = { width: W, height: H, data: Float32Array.from({ length: W * H }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.05)) };
    // ε(x_t, t | cond) for data = cond exactly: (x_t − √ᾱ·cond) / √(1 − ᾱ).
    const oracle: NetworkFn = async (inputs, n, h, w) => {
      const out = new Float32Array(n * h * w);
      for (let j = 0; j < n; j++) {
        const ab = schedule.alphasCumprod[inputs.t![j]!]!;
        for (let i = 0; i < h * w; i++) {
          const k = j * h * w + i;
          out[k] = (inputs.x_t![k]! - Math.sqrt(ab) * inputs.cond![k]!) / Math.sqrt(1 - ab);
        }
      }
      return out;
    };
    const res = await restoreFrame(image, { ddpm: oracle, ddpmPre: pre, schedule }, { sampler: 'ddim', steps: 8, eta: 0, seeds: [1, 2, 3] });
    expect(res.members).toHaveLength(3);
    expect(res.evaluations).toBe(8);
    for (const m of res.members) expect(maxAbsDiff(m, image.data)).toBeLessThan(1e-4);
    expect(res.spreadMean).toBeLessThan(1e-4);
  });
});
