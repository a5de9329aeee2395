/**
 * No-reference focus metrics, stored per frame next to p(OOF). Higher is
 * sharper for all of them except powerLogLogSlope, which gets more negative
 * as high frequencies are lost to defocus.
 *
 * All take an (H, W) float32 row-major `Image` (intensities nominally in [0, 1])
 * and compute in float64. Reference values come from numpy / scipy
 * (test/fixtures/imaging/make_reference.py), which also spells out the
 * definitions below in code.
 *
 * Pure module (fft.js is plain JS): no node, no electron.
 */
import FFT from 'fft.js';
import type { FocusMetrics } from '../../common/domain.js';
import { assertValidImage, type Image } from '../image.js';

/** Smallest side accepted by the gradient / Laplacian / Vollath metrics. */
export const MIN_FOCUS_SIDE = 3;

/** The stored focus metrics (common/domain.ts FocusMetrics) as computed here: a number each. */
export type SpatialFocusMetrics = { [K in keyof FocusMetrics]: number };

/** Every focus metric of one frame: the stored ones and the power-spectrum slope (not stored). */
export type AllFocusMetrics = SpatialFocusMetrics & { powerLogLogSlope: number };

export interface PowerSpectrumOptions {
  /** Lower end of the fitted band, cycles/pixel (default 0.02). */
  fMin?: number;
  /** Upper end of the fitted band, cycles/pixel (default 0.25, half of Nyquist). */
  fMax?: number;
}

function check(img: Image, fn: string): void {
  assertValidImage(img, `${fn}: image`, MIN_FOCUS_SIDE);
}

/** Index of the neighbour at k±1, with scipy 'reflect' borders (for a 1-pixel overhang: the edge pixel itself). */
const clampIndex = (k: number, n: number): number => (k < 0 ? 0 : k >= n ? n - 1 : k);

/**
 * One pass over the 3×3 neighbourhoods: Σ(gx² + gy²) of the unnormalised Sobel
 * gradients and Σ lap, Σ lap² of the 4-neighbour Laplacian, borders 'reflect'.
 */
function stencilSums(img: Image): { sobelSq: number; lapSum: number; lapSq: number } {
  const { width: w, height: h, data: d } = img;
  let sobelSq = 0;
  let lapSum = 0;
  let lapSq = 0;
  for (let y = 0; y < h; y++) {
    const rm = clampIndex(y - 1, h) * w;
    const r0 = y * w;
    const rp = clampIndex(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      const xm = clampIndex(x - 1, w);
      const xp = clampIndex(x + 1, w);
      const a = d[rm + xm]!, b = d[rm + x]!, c = d[rm + xp]!;
      const l = d[r0 + xm]!, m = d[r0 + x]!, r = d[r0 + xp]!;
      const e = d[rp + xm]!, f = d[rp + x]!, g = d[rp + xp]!;
      const gy = (e - a) + 2 * (f - b) + (g - c);
      const gx = (c - a) + 2 * (r - l) + (g - e);
      sobelSq += gx * gx + gy * gy;
      const lap = b + f + l + r - 4 * m;
      lapSum += lap;
      lapSq += lap * lap;
    }
  }
  return { sobelSq, lapSum, lapSq };
}

/**
 * Tenenbaum gradient (Tenengrad): mean over all pixels of gx² + gy², where gx,
 * gy are the unnormalised 3×3 Sobel derivatives ([1 2 1] ⊗ [−1 0 1]) with
 * scipy 'reflect' borders (the edge pixel is repeated) — numpy:
 * mean(ndi.sobel(I, 0)**2 + ndi.sobel(I, 1)**2). No threshold.
 * img: (H, W) float32 row-major, at least 3×3.
 */
export function tenenbaum(img: Image): number {
  check(img, 'tenenbaum');
  return stencilSums(img).sobelSq / img.data.length;
}

/**
 * Variance (population, ddof 0) of the 4-neighbour Laplacian
 * [[0 1 0] [1 −4 1] [0 1 0]] over all pixels, borders 'reflect' — numpy:
 * ndi.laplace(I).var(). img: (H, W) float32 row-major, at least 3×3.
 */
export function laplacianVariance(img: Image): number {
  check(img, 'laplacianVariance');
  const n = img.data.length;
  const { lapSum, lapSq } = stencilSums(img);
  const mean = lapSum / n;
  return Math.max(0, lapSq / n - mean * mean);
}

function meanAndVariance(d: Float32Array): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) {
    const t = d[i]! - mean;
    v += t * t;
  }
  return { mean, variance: v / d.length };
}

/** Σ I(y,x)·I(y,x+1) and Σ I(y,x)·I(y,x+2) along the rows. */
function vollathSums(img: Image): { lag1: number; lag2: number } {
  const { width: w, height: h, data: d } = img;
  let lag1 = 0;
  let lag2 = 0;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w - 1; x++) lag1 += d[o + x]! * d[o + x + 1]!;
    for (let x = 0; x < w - 2; x++) lag2 += d[o + x]! * d[o + x + 2]!;
  }
  return { lag1, lag2 };
}

/**
 * Vollath F4 autocorrelation along the rows (x direction), divided by the
 * pixel count so frames of different sizes compare:
 * F4 = (Σ_{x<W−1} I(y,x)·I(y,x+1) − Σ_{x<W−2} I(y,x)·I(y,x+2)) / (H·W).
 * img: (H, W) float32 row-major, at least 3×3.
 */
export function vollathF4(img: Image): number {
  check(img, 'vollathF4');
  const { lag1, lag2 } = vollathSums(img);
  return (lag1 - lag2) / img.data.length;
}

/**
 * Vollath F5 along the rows, per pixel:
 * F5 = Σ_{x<W−1} I(y,x)·I(y,x+1) / (H·W) − mean(I)².
 * img: (H, W) float32 row-major, at least 3×3.
 */
export function vollathF5(img: Image): number {
  check(img, 'vollathF5');
  const { lag1 } = vollathSums(img);
  const { mean } = meanAndVariance(img.data);
  return lag1 / img.data.length - mean * mean;
}

/**
 * Normalised variance (Groen et al. 1985): population variance / mean.
 * A constant image gives 0. Throws when the mean is ≤ 0 while the variance is
 * not zero (intensities are expected to be non-negative).
 * img: (H, W) float32 row-major, at least 3×3.
 */
export function normalizedVariance(img: Image): number {
  check(img, 'normalizedVariance');
  return normalizedVarianceOf(meanAndVariance(img.data));
}

function normalizedVarianceOf({ mean, variance }: { mean: number; variance: number }): number {
  if (variance === 0) return 0;
  if (!(mean > 0)) throw new Error(`normalizedVariance: mean intensity is ${mean}; needs non-negative intensities with a positive mean`);
  return variance / mean;
}

const fftCache = new Map<number, FFT>();
function fftOf(size: number): FFT {
  let f = fftCache.get(size);
  if (!f) {
    f = new FFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/** Radially averaged power spectrum over the band, as used by powerLogLogSlope. */
export interface RadialPowerSpectrum {
  /** Side S of the zero-padded square transform. */
  size: number;
  /** Ring radii r (frequency r / S cycles/pixel), ascending. */
  radii: number[];
  /** Mean |FFT|² over each ring. */
  power: number[];
}

/** Smallest side accepted by powerLogLogSlope. */
export const MIN_SPECTRUM_SIDE = 8;

/**
 * Radially averaged power spectrum of an (H, W) float32 image over a frequency
 * band: the mean is subtracted, the image is zero-padded (top-left aligned) to
 * S×S, S the next power of two ≥ max(H, W), transformed with fft.js; the
 * power |F(ky, kx)|² (unnormalised) is averaged over rings
 * r = round(√(ky² + kx²)) (signed integer frequency indices) for every integer
 * r with fMin ≤ r/S ≤ fMax and r ≥ 1. Needs both sides ≥ 8 and ≥ 3 rings in the band.
 */
export function radialPowerSpectrum(img: Image, options: PowerSpectrumOptions = {}): RadialPowerSpectrum {
  assertValidImage(img, 'radialPowerSpectrum: image', MIN_SPECTRUM_SIDE);
  const fMin = options.fMin ?? 0.02;
  const fMax = options.fMax ?? 0.25;
  if (!(fMin >= 0) || !(fMax > fMin) || !(fMax <= 0.5)) {
    throw new Error(`radialPowerSpectrum: need 0 ≤ fMin < fMax ≤ 0.5 cycles/pixel, got fMin=${fMin}, fMax=${fMax}`);
  }
  const { width: w, height: h, data } = img;
  let s = 1;
  while (s < Math.max(w, h)) s *= 2;
  const rLo = Math.max(1, Math.ceil(fMin * s - 1e-9));
  const rHi = Math.floor(fMax * s + 1e-9);
  if (rHi - rLo + 1 < 3) {
    throw new Error(
      `radialPowerSpectrum: band ${fMin}–${fMax} cycles/pixel holds ${Math.max(0, rHi - rLo + 1)} rings on a ${s}×${s} transform (image ${w}×${h}); need ≥ 3 — use a larger image or a wider band`,
    );
  }
  const { mean } = meanAndVariance(data);
  const fft = fftOf(s);
  const half = s / 2;
  // Row transforms of the H non-zero rows; only kx = 0..S/2 is kept (real input,
  // Hermitian symmetry: the power at (ky, −kx) equals that at (−ky, kx), same ring).
  const rows = new Float64Array(h * (half + 1) * 2);
  const rowIn = new Float64Array(s);
  const rowOut = new Float64Array(2 * s);
  for (let y = 0; y < h; y++) {
    rowIn.fill(0);
    for (let x = 0; x < w; x++) rowIn[x] = data[y * w + x]! - mean;
    fft.realTransform(rowOut, rowIn);
    rows.set(rowOut.subarray(0, 2 * (half + 1)), y * (half + 1) * 2);
  }
  const nRings = rHi - rLo + 1;
  const sum = new Float64Array(nRings);
  const count = new Float64Array(nRings);
  const colIn = new Float64Array(2 * s);
  const colOut = new Float64Array(2 * s);
  for (let kx = 0; kx <= half; kx++) {
    colIn.fill(0);
    for (let y = 0; y < h; y++) {
      const o = (y * (half + 1) + kx) * 2;
      colIn[2 * y] = rows[o]!;
      colIn[2 * y + 1] = rows[o + 1]!;
    }
    fft.transform(colOut, colIn);
    const mult = kx === 0 || kx === half ? 1 : 2;
    for (let k = 0; k < s; k++) {
      const ky = k < half ? k : k - s;
      const r = Math.floor(Math.sqrt(ky * ky + kx * kx) + 0.5);
      if (r < rLo || r > rHi) continue;
      const re = colOut[2 * k]!;
      const im = colOut[2 * k + 1]!;
      sum[r - rLo] = sum[r - rLo]! + mult * (re * re + im * im);
      count[r - rLo] = count[r - rLo]! + mult;
    }
  }
  const radii: number[] = [];
  const power: number[] = [];
  for (let i = 0; i < nRings; i++) {
    radii.push(rLo + i);
    power.push(sum[i]! / count[i]!);
  }
  return { size: s, radii, power };
}

/**
 * Power-spectrum log-log slope: least-squares slope of ln(mean ring power)
 * against ln(r/S) over the band fMin ≤ r/S ≤ fMax cycles/pixel (defaults
 * 0.02–0.25), with the spectrum of radialPowerSpectrum(). Sharp frames have a
 * shallower (less negative) slope. Returns NaN when a ring has zero power
 * (e.g. a constant image). img: (H, W) float32 row-major, both sides ≥ 8.
 */
export function powerLogLogSlope(img: Image, options: PowerSpectrumOptions = {}): number {
  const { size, radii, power } = radialPowerSpectrum(img, options);
  const n = radii.length;
  let mx = 0;
  let my = 0;
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(power[i]! > 0)) return NaN;
    lx.push(Math.log(radii[i]! / size));
    ly.push(Math.log(power[i]!));
    mx += lx[i]!;
    my += ly[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * The image-domain focus metrics of one (H, W) float32 row-major frame (at
 * least 3×3), sharing one 3×3 stencil pass and the mean/variance. This is what
 * the station stores per classified frame: the power-spectrum slope needs a
 * zero-padded 2-D FFT (512² for a 281² crop), about 3× the cost of the rest,
 * and is not stored, so the classification hot path skips it.
 */
export function spatialFocusMetrics(img: Image): SpatialFocusMetrics {
  check(img, 'spatialFocusMetrics');
  const n = img.data.length;
  const { sobelSq, lapSum, lapSq } = stencilSums(img);
  const stats = meanAndVariance(img.data);
  const { lag1, lag2 } = vollathSums(img);
  const lapMean = lapSum / n;
  return {
    tenenbaum: sobelSq / n,
    vollathF4: (lag1 - lag2) / n,
    vollathF5: lag1 / n - stats.mean * stats.mean,
    normalizedVariance: normalizedVarianceOf(stats),
    laplacianVariance: Math.max(0, lapSq / n - lapMean * lapMean),
  };
}

/**
 * All focus metrics of one (H, W) float32 row-major frame, sharing the 3×3
 * stencil pass and the mean/variance between metrics. Both sides ≥ 8 (for the
 * power spectrum); see the individual functions for definitions.
 */
export function focusMetrics(img: Image, options: PowerSpectrumOptions = {}): AllFocusMetrics {
  assertValidImage(img, 'focusMetrics: image', MIN_SPECTRUM_SIDE);
  return { ...spatialFocusMetrics(img), powerLogLogSlope: powerLogLogSlope(img, options) };
}
