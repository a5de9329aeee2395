/**
 * Plain-array helpers between images and network tensors: model-space mapping
 * (x·scale + offset, from the manifest), batching of equal-sized images into
 * (B, 1, H, W) tensors, and the logistic function. Pure: no node, no runtime.
 */
import type { Image } from '../imaging/image.js';
import { percentiles } from '../imaging/normalise.js';
import type { Preprocess, Standardise } from './model-registry.js';

/** [0, 1] intensities → model space, (H, W) float32 row-major in and out. */
export function toModelSpace(data: Float32Array, pre: Pick<Preprocess, 'scale' | 'offset'>, out = new Float32Array(data.length)): Float32Array {
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * pre.scale + pre.offset;
  return out;
}

/**
 * Centre and spread of a frame's robust standardisation (manifest `preprocess.standardise`):
 * centre = its centre percentile, spread = max(high − low percentile, minSpreadRel·|centre|,
 * minSpreadAbs). Percentiles as numpy's 'linear' method, like the Python training.
 * The floor keeps an empty, flat frame from being stretched into pure noise.
 * data: (H, W) float32 row-major.
 */
export function standardisation(data: Float32Array, st: Standardise): { center: number; spread: number } {
  const [lo, center, hi] = percentiles(data, [st.lowPercentile, st.centerPercentile, st.highPercentile]) as [number, number, number];
  return { center, spread: Math.max(hi - lo, st.minSpreadRel * Math.abs(center), st.minSpreadAbs) };
}

/**
 * Standardised network input: clip((x − centre) / spread, ±clip). The statistics come
 * from the unpadded frame (see standardisation), the mapping is applied to any
 * array (e.g. the mirror-padded frame). (H, W) float32 in and out.
 */
export function toStandardised(
  data: Float32Array,
  stats: { center: number; spread: number },
  st: Pick<Standardise, 'clip'>,
  out = new Float32Array(data.length),
): Float32Array {
  const k = 1 / stats.spread;
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - stats.center) * k;
    out[i] = v < -st.clip ? -st.clip : v > st.clip ? st.clip : v;
  }
  return out;
}

/** Model space → [0, 1] intensities, clipped to [0, 1]. */
export function fromModelSpace(data: Float32Array, pre: Pick<Preprocess, 'scale' | 'offset'>, out = new Float32Array(data.length)): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - pre.offset) / pre.scale;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** Stacks equal-sized (H, W) images into one (B, 1, H, W) float32 tensor. */
export function stackImages(images: readonly Image[]): { data: Float32Array; dims: [number, number, number, number] } {
  if (images.length === 0) throw new RangeError('stackImages: no images');
  const { width, height } = images[0]!;
  const P = width * height;
  const data = new Float32Array(images.length * P);
  images.forEach((img, b) => {
    if (img.width !== width || img.height !== height) {
      throw new RangeError(`stackImages: image ${b} is ${img.width}×${img.height}, expected ${width}×${height}`);
    }
    data.set(img.data, b * P);
  });
  return { data, dims: [images.length, 1, height, width] };
}

/** Logistic function, numerically safe for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Smallest multiple of `m` that is ≥ n. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
