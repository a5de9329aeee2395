/**
 * Percentiles of intensities, for the models' input normalisation
 * (inference/tensor.ts). Sample ↔ intensity conversion lives in sample.ts, the
 * display window in display.ts.
 *
 * Pure module: no node, no electron.
 */

/**
 * Percentiles of the values (numpy.percentile, default 'linear' method:
 * position p/100·(n − 1) in the sorted values, linearly interpolated).
 * ps: percentages in [0, 100]. Throws on an empty array or NaN values.
 */
export function percentiles(data: Float32Array, ps: readonly number[]): number[] {
  if (data.length === 0) throw new Error('percentiles: empty array');
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw new Error(`percentiles: percentage must be in [0, 100], got ${p}`);
  }
  const sorted = data.slice().sort();
  if (Number.isNaN(sorted[sorted.length - 1])) throw new Error('percentiles: data contains NaN');
  return ps.map((p) => {
    const pos = (p / 100) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    const f = pos - lo;
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * f;
  });
}
