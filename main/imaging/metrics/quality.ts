/**
 * Full-reference image quality metrics (a test image against a ground truth),
 * matching scikit-image / numpy; reference values in
 * test/fixtures/imaging/reference.json (make_reference.py).
 *
 * All images are (H, W) float32 row-major `Image`s; arithmetic is float64.
 * Pure module: no node, no electron.
 */
import { canny } from '../canny.js';
import { assertSameShape, assertValidImage, type Image } from '../image.js';

function checkPair(a: Image, b: Image, fn: string, minSide = 1): void {
  assertValidImage(a, `${fn}: first image`, minSide);
  assertValidImage(b, `${fn}: second image`, minSide);
  assertSameShape(a, b, `${fn}: first image`, `${fn}: second image`);
}

/** Mean squared error between two same-size (H, W) float32 images (float64 result). */
export function mse(a: Image, b: Image): number {
  checkPair(a, b, 'mse');
  const x = a.data;
  const y = b.data;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    s += d * d;
  }
  return s / x.length;
}

/**
 * Peak signal-to-noise ratio in dB, 10·log10(dataRange² / MSE(a, b)), as
 * skimage.metrics.peak_signal_noise_ratio(truth, test, data_range=dataRange).
 * Symmetric in a and b. Identical images give +Infinity.
 * a, b: (H, W) float32 row-major, same size; dataRange > 0 (1 for [0, 1] images).
 */
export function psnr(a: Image, b: Image, dataRange = 1): number {
  if (!(dataRange > 0) || !Number.isFinite(dataRange)) throw new Error(`psnr: dataRange must be a positive finite number, got ${dataRange}`);
  const e = mse(a, b);
  return e === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / e);
}

export interface SsimOptions {
  /** Distance between the minimum and maximum possible values (default 1). */
  dataRange?: number;
  /** Side of the square uniform window, odd (default 7). */
  winSize?: number;
  /** Stabilising constants, C1 = (K1·R)², C2 = (K2·R)² (defaults 0.01, 0.03). */
  k1?: number;
  k2?: number;
}

/**
 * Mean structural similarity, as skimage.metrics.structural_similarity(a, b,
 * data_range=1) with its defaults: a 7×7 uniform window, K1 = 0.01, K2 = 0.03,
 * sample (co)variances (N/(N−1) correction, N = 49), and the mean of the SSIM
 * map over the pixels whose window lies entirely inside the image (skimage
 * crops (winSize−1)/2 pixels from each side, so the border mode never matters).
 * a, b: (H, W) float32 row-major, same size, at least winSize × winSize.
 * Symmetric in a and b.
 */
export function ssim(a: Image, b: Image, options: SsimOptions = {}): number {
  const R = options.dataRange ?? 1;
  const win = options.winSize ?? 7;
  const K1 = options.k1 ?? 0.01;
  const K2 = options.k2 ?? 0.03;
  if (!(R > 0) || !Number.isFinite(R)) throw new Error(`ssim: dataRange must be a positive finite number, got ${R}`);
  if (!Number.isInteger(win) || win < 3 || win % 2 !== 1) throw new Error(`ssim: winSize must be an odd integer ≥ 3, got ${win}`);
  if (!(K1 >= 0) || !(K2 >= 0)) throw new Error(`ssim: K1 and K2 must be non-negative, got ${K1}, ${K2}`);
  checkPair(a, b, 'ssim', win);

  const { width: w, height: h } = a;
  const x = a.data;
  const y = b.data;
  const np = win * win;
  const covNorm = np / (np - 1);
  const C1 = (K1 * R) ** 2;
  const C2 = (K2 * R) ** 2;
  const ow = w - win + 1; // valid (cropped) region
  const oh = h - win + 1;

  // Horizontal window sums of x, y, x², y², xy for every row, then vertical
  // sums: 2·win adds per value, all in float64.
  const hs = [0, 1, 2, 3, 4].map(() => new Float64Array(h * ow));
  const [sx, sy, sxx, syy, sxy] = hs as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let r = 0; r < h; r++) {
    const row = r * w;
    for (let c = 0; c < ow; c++) {
      let ax = 0, ay = 0, axx = 0, ayy = 0, axy = 0;
      for (let k = 0; k < win; k++) {
        const u = x[row + c + k]!;
        const v = y[row + c + k]!;
        ax += u; ay += v; axx += u * u; ayy += v * v; axy += u * v;
      }
      const o = r * ow + c;
      sx[o] = ax; sy[o] = ay; sxx[o] = axx; syy[o] = ayy; sxy[o] = axy;
    }
  }
  let total = 0;
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      let ax = 0, ay = 0, axx = 0, ayy = 0, axy = 0;
      for (let k = 0; k < win; k++) {
        const o = (r + k) * ow + c;
        ax += sx[o]!; ay += sy[o]!; axx += sxx[o]!; ayy += syy[o]!; axy += sxy[o]!;
      }
      const ux = ax / np;
      const uy = ay / np;
      const vx = covNorm * (axx / np - ux * ux);
      const vy = covNorm * (ayy / np - uy * uy);
      const vxy = covNorm * (axy / np - ux * uy);
      const A1 = 2 * ux * uy + C1;
      const A2 = 2 * vxy + C2;
      const B1 = ux * ux + uy * uy + C1;
      const B2 = vx + vy + C2;
      total += (A1 * A2) / (B1 * B2);
    }
  }
  return total / (ow * oh);
}

/**
 * Pearson correlation of the pixel values of a and b (numpy.corrcoef).
 * a, b: (H, W) float32 row-major, same size. Returns NaN when either image is
 * constant (the correlation is undefined).
 */
export function pcc(a: Image, b: Image): number {
  checkPair(a, b, 'pcc');
  return pearson(a.data, b.data, null);
}

/**
 * Pearson correlation of a and b over the pixels where mask ≠ 0.
 * a, b: (H, W) float32 row-major, same size; mask: (H, W) Uint8Array, row-major.
 * Returns NaN when fewer than 2 pixels are selected or either selection is constant.
 */
export function maskedPcc(a: Image, b: Image, mask: Uint8Array): number {
  checkPair(a, b, 'maskedPcc');
  if (mask.length !== a.data.length) {
    throw new Error(`maskedPcc: mask has ${mask.length} values, expected ${a.width}·${a.height} = ${a.data.length}`);
  }
  return pearson(a.data, b.data, mask);
}

/** Sigma of the Canny detector that defines the edge pixels of edgePcc. */
export const EDGE_PCC_SIGMA = 2;

/**
 * Edge-restricted Pearson correlation: the correlation of a and b over the
 * edge pixels of the ground truth, canny(truth, sigma=2) with skimage's
 * default thresholds (0.1 / 0.2, see canny.ts). The usual call is
 * edgePcc(restored, truth, truth) — how well the restoration reproduces the
 * truth where the truth has edges, which global PCC dilutes with flat background.
 * a, b, truth: (H, W) float32 row-major, same size. Returns NaN when the truth
 * has fewer than 2 edge pixels. Callers that score many images against one
 * truth can compute canny() once and use maskedPcc().
 */
export function edgePcc(a: Image, b: Image, truth: Image, sigma = EDGE_PCC_SIGMA): number {
  checkPair(a, b, 'edgePcc');
  assertValidImage(truth, 'edgePcc: truth');
  assertSameShape(a, truth, 'edgePcc: first image', 'edgePcc: truth');
  return pearson(a.data, b.data, canny(truth, { sigma }));
}

function pearson(x: Float32Array, y: Float32Array, mask: Uint8Array | null): number {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask && !mask[i]) continue;
    mx += x[i]!;
    my += y[i]!;
    n++;
  }
  if (n < 2) return NaN;
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask && !mask[i]) continue;
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}
