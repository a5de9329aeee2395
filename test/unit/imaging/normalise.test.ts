import { describe, expect, it } from 'vitest';
import { percentiles } from '../../../main/imaging/normalise.js';

/** numpy.percentile ('linear') by a full sort: the definition the selection must reproduce exactly. */
function sortedPercentiles(data: Float32Array, ps: number[]): number[] {
  const s = data.slice().sort();
  return ps.map((p) => {
    const pos = (p / 100) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  });
}

describe('percentiles', () => {
  it('equals the sort-based definition exactly on random, 8-bit-like (few distinct values), constant and sorted data', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const ps = [0, 0.5, 1, 25, 50, 75, 99, 99.5, 100];
    const cases: Float32Array[] = [
      Float32Array.from({ length: 281 * 281 }, () => rand()),
      Float32Array.from({ length: 10007 }, () => Math.floor(rand() * 256) / 255),
      Float32Array.from({ length: 999 }, () => Math.floor(rand() * 3)),
      new Float32Array(500).fill(0.25),
      Float32Array.from({ length: 1000 }, (_, i) => i),
      Float32Array.from({ length: 1000 }, (_, i) => 1000 - i),
      Float32Array.of(7),
      Float32Array.of(2, 1),
    ];
    for (const d of cases) expect(percentiles(d, ps)).toEqual(sortedPercentiles(d, ps));
  });

  it('leaves its input as it was', () => {
    const d = Float32Array.of(5, 3, 9, 1, 7);
    percentiles(d, [50]);
    expect([...d]).toEqual([5, 3, 9, 1, 7]);
  });

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
