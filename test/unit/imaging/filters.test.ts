import { describe, expect, it } from 'vitest';
import { borderIndex, correlate1d, gaussianFilter, gaussianKernel1d, pairwiseSum, sobel } from '../../../main/imaging/filters.js';

// 3×4 test plane; expected values printed by scipy 1.10 (scipy.ndimage).
const X = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 9, 0, 1, 0, 2]);
const W = 4;
const H = 3;

describe('borderIndex', () => {
  it('follows scipy border modes', () => {
    const idx = (mode: Parameters<typeof borderIndex>[2]) => [-3, -2, -1, 0, 3, 4, 5, 6].map((i) => borderIndex(i, 4, mode));
    expect(idx('reflect')).toEqual([2, 1, 0, 0, 3, 3, 2, 1]);
    expect(idx('mirror')).toEqual([3, 2, 1, 0, 3, 2, 1, 0]);
    expect(idx('nearest')).toEqual([0, 0, 0, 0, 3, 3, 3, 3]);
    expect(idx('constant')).toEqual([-1, -1, -1, 0, 3, -1, -1, -1]);
    expect(borderIndex(-5, 1, 'mirror')).toBe(0);
  });
});

describe('correlate1d (scipy.ndimage.correlate1d)', () => {
  const k = [1, 2, 0.5];
  it('reflect along x', () => expect(Array.from(correlate1d(X, W, H, k, 1, 'reflect'))).toEqual([4, 6.5, 10, 13, 18, 20.5, 24.5, 29.5, 0.5, 2, 2, 5]));
  it('mirror along y', () => expect(Array.from(correlate1d(X, W, H, k, 0, 'mirror'))).toEqual([9.5, 13, 16.5, 21.5, 11, 14.5, 17, 23, 7.5, 11, 10.5, 17.5]));
  it('constant (cval 0.5) along y', () => expect(Array.from(correlate1d(X, W, H, k, 0, 'constant', 0.5))).toEqual([5, 7.5, 10, 13, 11, 14.5, 17, 23, 5.25, 8.25, 7.25, 13.25]));
  it('rejects even kernels', () => expect(() => correlate1d(X, W, H, [1, 1], 1, 'reflect')).toThrow(/odd/));
});

describe('gaussian and sobel', () => {
  it('gaussianKernel1d(1) equals scipy _gaussian_kernel1d(1, 0, 4) to 2 ulp', () => {
    const expected = [0.00013383062461474175, 0.004431861620031266, 0.053991127420704395, 0.24197144565660073, 0.39894346935609776];
    const g = gaussianKernel1d(1);
    expect(g).toHaveLength(9);
    expected.forEach((e, i) => {
      expect(Math.abs(g[i]! - e)).toBeLessThanOrEqual(5e-16 * e); // ≤ 2 ulp: V8 and numpy exp may differ by one
      expect(g[8 - i]).toBe(g[i]);
    });
  });
  it('gaussianFilter(σ = 0.8, constant) matches scipy to the last bits', () => {
    const expected = [1.4330066038747586, 2.362009735091947, 3.058957708548974, 2.8007532048202837, 2.2908126513097344, 3.5367196030498422, 4.318869828635423, 3.956336091427596, 1.0546451886856825, 1.667962223257955, 2.0087030189886024, 1.9880404297995253];
    const got = gaussianFilter(X, W, H, 0.8, 'constant');
    expected.forEach((e, i) => expect(Math.abs(got[i]! - e)).toBeLessThanOrEqual(4e-16 * Math.abs(e)));
  });
  it('sobel along y and x (unnormalised, reflect)', () => {
    expect(Array.from(sobel(X, W, H, 0))).toEqual([16, 16, 17, 19, -4, -6, -9, -9, -20, -22, -26, -28]);
    expect(Array.from(sobel(X, W, H, 1))).toEqual([4, 8, 9, 5, 4, 6, 9, 7, 4, 2, 6, 8]);
  });
  it('pairwiseSum reproduces numpy blocking (8 accumulators) for n ≥ 8', () => {
    const a = Array.from({ length: 17 }, (_, i) => 0.1 * (i + 1));
    const r = Array.from({ length: 8 }, (_, j) => a[j]! + a[j + 8]!);
    const expected = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!)) + a[16]!;
    expect(pairwiseSum(a)).toBe(expected);
    expect(pairwiseSum([1, 2, 3])).toBe(6);
  });
});
