/**
 * Canny edge detector, a port of skimage.feature.canny (scikit-image 0.19.3,
 * skimage/feature/_canny.py) without the `mask` and `use_quantiles` options.
 *
 * Steps, as in skimage:
 * 1. Gaussian smoothing (scipy gaussian_filter, truncate 4.0, mode 'constant',
 *    cval 0), divided by the same filter applied to an all-ones image (+ float64
 *    eps) so the border is not darkened ("bleed-over" normalisation).
 * 2. Unnormalised Sobel gradients (scipy.ndimage.sobel, mode 'reflect'),
 *    magnitude = hypot(gy, gx).
 * 3. Non-maximum suppression with interpolation between the two neighbours
 *    that bracket the gradient direction, in skimage's four sectors and order
 *    (later sectors overwrite earlier ones for pixels on a sector boundary).
 *    The outermost 1-pixel frame is never an edge.
 * 4. Hysteresis: keep 8-connected components of {local max, magnitude ≥ low}
 *    that contain a pixel with magnitude ≥ high.
 *
 * Defaults match skimage: sigma 1, low 0.1, high 0.2 in units of the gradient
 * magnitude of an image scaled to [0, 1] (skimage converts integer images to
 * [0, 1] first, which is why its docs speak of "10% / 20% of the dtype max").
 *
 * Arithmetic is float64 throughout, in scipy's accumulation order (including
 * its symmetric-kernel shortcut and numpy's pairwise kernel normalisation);
 * against skimage on the same values as float64 the masks agree pixel for pixel
 * on all reference fixtures (test/unit/imaging/canny.test.ts). skimage given
 * float32 arrays smooths in float32; that also agreed exactly on the fixtures,
 * but near-ties could in principle flip (the test allows 2%). Not reproduced
 * bit for bit: hypot (libm's is correctly rounded) and exp in the Gaussian
 * kernel (V8 vs numpy); both may differ by an ulp, which only matters at exact ties.
 *
 * Pure module: no node, no electron.
 */
import { assertValidImage, type Image } from './image.js';
import { gaussianFilter, sobel, toFloat64 } from './filters.js';

export interface CannyOptions {
  /** Standard deviation of the Gaussian smoothing, pixels (default 1). */
  sigma?: number;
  /** Lower hysteresis threshold on the Sobel magnitude (default 0.1). */
  lowThreshold?: number;
  /** Upper hysteresis threshold on the Sobel magnitude (default 0.2). */
  highThreshold?: number;
}

/** Intermediate results of the detector, for callers that also need the gradients. */
export interface CannyResult {
  /** (H, W) edge mask, 1 = edge, row-major. */
  edges: Uint8Array;
  /** (H, W) float64 Sobel magnitude of the smoothed image. */
  magnitude: Float64Array;
}

/**
 * Canny edge mask of an (H, W) float32 row-major image with intensities in
 * [0, 1]; returns an (H, W) Uint8Array (1 = edge, 0 = not), row-major.
 * Matches skimage.feature.canny(image, sigma, low_threshold, high_threshold).
 * Throws on a malformed or non-finite image, a non-positive sigma, or
 * low > high thresholds.
 */
export function canny(img: Image, options: CannyOptions = {}): Uint8Array {
  return cannyDetailed(img, options).edges;
}

/** canny() that also returns the gradient magnitude (see CannyResult). */
export function cannyDetailed(img: Image, options: CannyOptions = {}): CannyResult {
  assertValidImage(img, 'canny: image');
  const sigma = options.sigma ?? 1;
  const low = options.lowThreshold ?? 0.1;
  const high = options.highThreshold ?? 0.2;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`canny: sigma must be a positive finite number, got ${sigma}`);
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new Error(`canny: thresholds must be finite, got ${low}, ${high}`);
  if (high < low) throw new Error(`canny: lowThreshold (${low}) must not exceed highThreshold (${high})`);

  const { width: w, height: h } = img;
  const n = w * h;
  const smoothed = gaussianFilter(toFloat64(img.data), w, h, sigma, 'constant', 0);
  const bleed = gaussianFilter(new Float64Array(n).fill(1), w, h, sigma, 'constant', 0);
  for (let i = 0; i < n; i++) smoothed[i] = smoothed[i]! / (bleed[i]! + Number.EPSILON);

  const gy = sobel(smoothed, w, h, 0); // skimage's isobel
  const gx = sobel(smoothed, w, h, 1); // skimage's jsobel
  const magnitude = new Float64Array(n);
  for (let i = 0; i < n; i++) magnitude[i] = hypot(gy[i]!, gx[i]!);

  const localMax = nonMaximumSuppression(gy, gx, magnitude, w, h);
  const edges = hysteresis(localMax, magnitude, w, h, low, high);
  return { edges, magnitude };
}

/**
 * sqrt(a² + b²) with the scaling of a careful hypot, so it does not overflow
 * and is symmetric in the signs of its arguments (ties in the non-maximum
 * suppression depend on exact equality of mirrored magnitudes).
 */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = x > y ? x : y;
  if (big === 0) return 0;
  const small = x > y ? y : x;
  const r = small / big;
  return big * Math.sqrt(1 + r * r);
}

// Neighbour offsets (dy, dx) for skimage's four sectors, in the order
// [c1+, c2+, c1−, c2−], derived from the slice tuples in _get_local_maxima;
// WEIGHT_X[s] says whether the interpolation weight is |gx|/|gy| (true) or
// |gy|/|gx| (false). Sectors: 0–45°, 45–90°, 90–135°, 135–180°.
const SECTOR_OFFSETS: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [[1, 0], [1, 1], [-1, 0], [-1, -1]],
  [[0, 1], [1, 1], [0, -1], [-1, -1]],
  [[0, 1], [-1, 1], [0, -1], [1, -1]],
  [[-1, 0], [-1, 1], [1, 0], [1, -1]],
];
const WEIGHT_X = [true, false, false, true];

function nonMaximumSuppression(
  gy: Float64Array,
  gx: Float64Array,
  mag: Float64Array,
  w: number,
  h: number,
): Uint8Array {
  const out = new Uint8Array(w * h);
  // Flat index deltas of the four neighbours of each sector.
  const deltas = SECTOR_OFFSETS.map((offs) => Int32Array.from(offs, ([dy, dx]) => dy * w + dx));
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = mag[i]!;
      if (!(m > 0)) continue;
      const iy = gy[i]!;
      const jx = gx[i]!;
      const ay = Math.abs(iy);
      const ax = Math.abs(jx);
      const horizontal = ay >= ax;
      const vertical = ay <= ax;
      const diag = (iy >= 0 && jx >= 0) || (iy <= 0 && jx <= 0);
      const anti = (iy <= 0 && jx >= 0) || (iy >= 0 && jx <= 0);
      // skimage evaluates the sectors in this order and later ones overwrite
      // earlier ones for pixels on a sector boundary.
      for (let s = 0; s < 4; s++) {
        const inSector = s === 0 ? diag && horizontal : s === 1 ? diag && vertical : s === 2 ? anti && vertical : anti && horizontal;
        if (!inSector) continue;
        const d = deltas[s]!;
        const wt = WEIGHT_X[s] ? ax / ay : ay / ax;
        const plus = mag[i + d[1]!]! * wt + mag[i + d[0]!]! * (1 - wt) <= m;
        const minus = mag[i + d[3]!]! * wt + mag[i + d[2]!]! * (1 - wt) <= m;
        out[i] = plus && minus ? 1 : 0;
      }
    }
  }
  return out;
}

function hysteresis(localMax: Uint8Array, mag: Float64Array, w: number, h: number, low: number, high: number): Uint8Array {
  const n = w * h;
  const out = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  for (let i = 0; i < n; i++) {
    if (localMax[i] && mag[i]! >= high && !out[i]) {
      out[i] = 1;
      stack[top++] = i;
      while (top > 0) {
        const p = stack[--top]!;
        const py = Math.floor(p / w);
        const px = p - py * w;
        for (let dy = -1; dy <= 1; dy++) {
          const qy = py + dy;
          if (qy < 0 || qy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const qx = px + dx;
            if (qx < 0 || qx >= w) continue;
            const q = qy * w + qx;
            if (!out[q] && localMax[q] && mag[q]! >= low) {
              out[q] = 1;
              stack[top++] = q;
            }
          }
        }
      }
    }
  }
  return out;
}
