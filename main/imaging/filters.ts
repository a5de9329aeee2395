/**
 * Separable linear filters with scipy.ndimage semantics, on (H, W) float64
 * row-major planes. They exist so that the metrics and the Canny detector match
 * scipy / scikit-image bit for bit where possible: the accumulation order of
 * `correlate1d` (including its special cases for symmetric and antisymmetric
 * kernels), the border modes and the Gaussian kernel construction all follow
 * scipy 1.10 (ndimage/src/ni_filters.c, ndimage/_filters.py).
 *
 * Pure module: no node, no electron.
 */

/**
 * Border handling, named as in scipy.ndimage:
 * - 'reflect'  (d c b a | a b c d | d c b a): the edge sample is repeated.
 * - 'mirror'   (d c b | a b c d | c b a): reflected about the edge sample (numpy's 'reflect').
 * - 'nearest'  (a a a | a b c d | d d d)
 * - 'constant' (k k k | a b c d | k k k) with k = cval.
 */
export type BorderMode = 'reflect' | 'mirror' | 'nearest' | 'constant';

/**
 * Map an out-of-range index i into [0, n) for the given mode; returns -1 for
 * 'constant' (meaning "use cval"). n ≥ 1.
 */
export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      const period = 2 * n;
      let j = ((i % period) + period) % period;
      if (j >= n) j = period - 1 - j;
      return j;
    }
    case 'mirror': {
      if (n === 1) return 0;
      const period = 2 * n - 2;
      let j = ((i % period) + period) % period;
      if (j >= n) j = period - j;
      return j;
    }
  }
}

/**
 * scipy.ndimage.correlate1d along `axis` (0 = down the columns / y, 1 = along
 * the rows / x) of an (H, W) float64 row-major plane, origin 0.
 * Kernels must have odd length. Returns a new (H, W) Float64Array.
 */
export function correlate1d(
  input: Float64Array,
  width: number,
  height: number,
  weights: ArrayLike<number>,
  axis: 0 | 1,
  mode: BorderMode,
  cval = 0,
): Float64Array {
  const size = weights.length;
  if (size % 2 !== 1) throw new Error(`correlate1d: kernel length must be odd, got ${size}`);
  if (input.length !== width * height) {
    throw new Error(`correlate1d: input has ${input.length} values, expected ${width}·${height}`);
  }
  const r = (size - 1) / 2;
  // Same symmetry test as scipy (|w[c+i] ∓ w[c−i]| ≤ DBL_EPSILON); the symmetric
  // branches accumulate in a different order, which matters for exact agreement.
  let symmetric = 1;
  for (let i = 1; i <= r; i++) {
    if (Math.abs(weights[r + i]! - weights[r - i]!) > Number.EPSILON) { symmetric = 0; break; }
  }
  if (symmetric === 0) {
    symmetric = -1;
    for (let i = 1; i <= r; i++) {
      if (Math.abs(weights[r + i]! + weights[r - i]!) > Number.EPSILON) { symmetric = 0; break; }
    }
  }
  const len = axis === 1 ? width : height;
  const lines = axis === 1 ? height : width;
  const stride = axis === 1 ? 1 : width;
  const lineStep = axis === 1 ? width : 1;
  const buf = new Float64Array(len + 2 * r);
  const out = new Float64Array(input.length);
  const w = Float64Array.from(weights);
  const c = r; // centre of the kernel in w
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let k = -r; k < len + r; k++) {
      const j = borderIndex(k, len, mode);
      buf[k + r] = j < 0 ? cval : input[base + j * stride]!;
    }
    for (let k = 0; k < len; k++) {
      const p = k + r; // position of the centre sample in buf
      let acc: number;
      if (symmetric > 0) {
        acc = buf[p]! * w[c]!;
        for (let jj = -r; jj < 0; jj++) acc += (buf[p + jj]! + buf[p - jj]!) * w[c + jj]!;
      } else if (symmetric < 0) {
        acc = buf[p]! * w[c]!;
        for (let jj = -r; jj < 0; jj++) acc += (buf[p + jj]! - buf[p - jj]!) * w[c + jj]!;
      } else {
        acc = buf[p + r]! * w[c + r]!;
        for (let jj = -r; jj < r; jj++) acc += buf[p + jj]! * w[c + jj]!;
      }
      out[base + k * stride] = acc;
    }
  }
  return out;
}

/** numpy's pairwise summation (np.sum of a contiguous float64 vector), for exact kernel normalisation. */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = r[j]! + a[start + i + j]!;
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * The 1-D Gaussian kernel of scipy.ndimage.gaussian_filter1d: radius
 * int(truncate·σ + 0.5), weights exp(−x²/(2σ²)) normalised to sum 1.
 */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`gaussianKernel1d: sigma must be a positive finite number, got ${sigma}`);
  const radius = Math.trunc(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  const a = -0.5 / (sigma * sigma);
  for (let i = 0; i < k.length; i++) {
    const x = i - radius;
    k[i] = Math.exp(a * (x * x));
  }
  const s = pairwiseSum(k);
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  return k;
}

/**
 * scipy.ndimage.gaussian_filter (order 0) of an (H, W) float64 plane: the 1-D
 * kernel applied along axis 0 and then axis 1, as scipy does.
 */
export function gaussianFilter(
  input: Float64Array,
  width: number,
  height: number,
  sigma: number,
  mode: BorderMode,
  cval = 0,
  truncate = 4.0,
): Float64Array {
  const k = gaussianKernel1d(sigma, truncate);
  const tmp = correlate1d(input, width, height, k, 0, mode, cval);
  return correlate1d(tmp, width, height, k, 1, mode, cval);
}

/**
 * scipy.ndimage.sobel along `axis` (0: derivative down y, 1: derivative along x),
 * unnormalised: [−1, 0, 1] along `axis`, then [1, 2, 1] along the other axis.
 * (H, W) float64 row-major in and out.
 */
export function sobel(input: Float64Array, width: number, height: number, axis: 0 | 1, mode: BorderMode = 'reflect'): Float64Array {
  const d = correlate1d(input, width, height, [-1, 0, 1], axis, mode);
  return correlate1d(d, width, height, [1, 2, 1], axis === 0 ? 1 : 0, mode);
}

/** (H, W) float32 → float64 copy, for filtering in double precision. */
export function toFloat64(data: Float32Array): Float64Array {
  return Float64Array.from(data);
}
