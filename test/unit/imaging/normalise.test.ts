import { describe, expect, it } from 'vitest';
import { percentiles } from '../../../main/imaging/normalise.js';

describe('percentiles', () => {
  it('match numpy.percentile (linear)', () => {
    const d = Float32Array.from([4, 1, 3, 2, 5]);
    // np.percentile([1,2,3,4,5], [0, 10, 50, 99.5, 100]) = [1, 1.4, 3, 4.98, 5]
    const p = percentiles(d, [0, 10, 50, 99.5, 100]);
    [1, 1.4, 3, 4.98, 5].forEach((e, i) => expect(p[i]).toBeCloseTo(e, 6));
  });
  it('rejects an empty array, NaN values and percentages outside [0, 100]', () => {
    expect(() => percentiles(new Float32Array(0), [50])).toThrow(/empty array/);
    expect(() => percentiles(Float32Array.of(1, Number.NaN), [50])).toThrow(/contains NaN/);
    expect(() => percentiles(Float32Array.of(1), [101])).toThrow(/must be in \[0, 100\], got 101/);
  });
});
