/**
 * Ensemble statistics: per-pixel mean and standard deviation of N samples, the
 * restored image and its uncertainty map.
 */

export interface EnsembleStats {
  /** (H, W) float32, row-major: per-pixel mean of the members. */
  mean: Float32Array;
  /** (H, W) float32, row-major: per-pixel population standard deviation (ddof = 0). */
  spread: Float32Array;
  /** Mean of `spread` over the image. */
  spreadMean: number;
}

/** Mean and per-pixel std of `members` (each (H, W) float32, same length). */
export function ensembleStats(members: readonly Float32Array[]): EnsembleStats {
  if (members.length === 0) throw new RangeError('ensembleStats: no members');
  const P = members[0]!.length;
  for (const m of members) if (m.length !== P) throw new RangeError(`ensembleStats: member lengths differ (${m.length} vs ${P})`);
  const n = members.length;
  const mean = new Float32Array(P);
  const spread = new Float32Array(P);
  let total = 0;
  for (let i = 0; i < P; i++) {
    let s = 0;
    for (const m of members) s += m[i]!;
    const mu = s / n;
    let v = 0;
    for (const m of members) v += (m[i]! - mu) ** 2;
    const sd = Math.sqrt(v / n);
    mean[i] = mu;
    spread[i] = sd;
    total += sd;
  }
  return { mean, spread, spreadMean: total / P };
}
