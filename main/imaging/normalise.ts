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
 *
 * Only the order statistics the percentiles need are found (selection, O(n)),
 * not a full sort: the classifier standardises every frame by three
 * percentiles, and sorting a 281² frame was a sixth of a classification
 * worker's time. The values are exactly those of a sort.
 */
export function percentiles(data: Float32Array, ps: readonly number[]): number[] {
  if (data.length === 0) throw new Error('percentiles: empty array');
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw new Error(`percentiles: percentage must be in [0, 100], got ${p}`);
  }
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i]!)) throw new Error('percentiles: data contains NaN');
  const n = data.length;
  const positions = ps.map((p) => (p / 100) * (n - 1));
  const ranks = [...new Set(positions.flatMap((pos) => [Math.floor(pos), Math.min(Math.floor(pos) + 1, n - 1)]))].sort((a, b) => a - b);
  const work = data.slice();
  const value = new Map<number, number>();
  // Ranks in ascending order: each selection leaves everything left of its rank ≤ it,
  // so the next one searches only to the right.
  let left = 0;
  for (const k of ranks) {
    selectInPlace(work, k, left, n - 1);
    value.set(k, work[k]!);
    left = k;
  }
  return positions.map((pos) => {
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    return value.get(lo)! + (value.get(hi)! - value.get(lo)!) * (pos - lo);
  });
}

/**
 * Reorders a[left..right] so that a[k] is the value a sort would put there, with
 * nothing greater before it and nothing smaller after it (Hoare's selection,
 * median-of-three pivot; equal values split between both sides, so frames with
 * few distinct values, e.g. 8-bit, stay linear).
 */
function selectInPlace(a: Float32Array, k: number, left: number, right: number): void {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three to a[mid].
    if (a[mid]! < a[left]!) swap(a, mid, left);
    if (a[right]! < a[left]!) swap(a, right, left);
    if (a[right]! < a[mid]!) swap(a, right, mid);
    const pivot = a[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[left..j] ≤ pivot ≤ a[i..right], and a[j+1..i-1] (if any) = pivot.
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
