/**
 * Detector of a periodic artefact (a tile grid) in a restoration: the
 * absolute gradient of restored − input is reduced to one profile per axis, in
 * which a seam that runs across the whole frame stands out; the power of that profile's DFT at the harmonics of the suspected
 * period is compared with the median power of the neighbouring frequencies.
 * Without a grid the score is about 1.4 (the mean ratio of a bin of a noisy
 * spectrum to its local median); a tile grid scores far higher.
 */

/** Power |DFT|² of a zero-mean 1-D profile at integer frequency k (cycles per length). */
function power(profile: Float64Array, k: number): number {
  const n = profile.length;
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const a = (-2 * Math.PI * k * i) / n;
    re += profile[i]! * Math.cos(a);
    im += profile[i]! * Math.sin(a);
  }
  return re * re + im * im;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function profileScore(profile: Float64Array, period: number, harmonics: number): number {
  const n = profile.length;
  const m = profile.reduce((a, b) => a + b, 0) / n;
  const p = profile.map((v) => v - m);
  let total = 0;
  let count = 0;
  for (let h = 1; h <= harmonics; h++) {
    const f = (h * n) / period;
    if (f >= n / 2 - 1) break;
    const peak = Math.max(power(p, Math.floor(f)), power(p, Math.ceil(f)));
    // Local background: bins within ±6 of the harmonic, excluding ±1 around it.
    const bg: number[] = [];
    for (let k = Math.max(1, Math.floor(f) - 6); k <= Math.min(Math.floor(n / 2) - 1, Math.ceil(f) + 6); k++) {
      if (Math.abs(k - f) > 1.5) bg.push(power(p, k));
    }
    total += peak / Math.max(median(bg), 1e-30);
    count++;
  }
  return count ? total / count : 0;
}

/**
 * Mean ratio, over the first `harmonics` harmonics of `period` px, of the power
 * at the harmonic to its local median, for the profile of |∂(restored − input)|
 * along x (the median over rows) and along y (over columns); the larger of the
 * two. The absolute gradient turns every seam into a positive spike whatever its
 * sign, and the median keeps what runs through the whole frame (a seam) while
 * dropping the edges of image content, which cross only some rows.
 */
export function periodicScore(restored: Float32Array, input: Float32Array, width: number, height: number, period: number, harmonics = 6): number {
  const d = new Float64Array(width * height);
  for (let i = 0; i < d.length; i++) d[i] = restored[i]! - input[i]!;
  const cols = new Float64Array(width - 1);
  const rows = new Float64Array(height - 1);
  const buf: number[] = [];
  for (let x = 0; x + 1 < width; x++) {
    buf.length = 0;
    for (let y = 0; y < height; y++) buf.push(Math.abs(d[y * width + x + 1]! - d[y * width + x]!));
    cols[x] = median(buf);
  }
  for (let y = 0; y + 1 < height; y++) {
    buf.length = 0;
    for (let x = 0; x < width; x++) buf.push(Math.abs(d[(y + 1) * width + x]! - d[y * width + x]!));
    rows[y] = median(buf);
  }
  return Math.max(profileScore(cols, period, harmonics), profileScore(rows, period, harmonics));
}
