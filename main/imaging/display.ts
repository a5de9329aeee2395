/**
 * The display pipeline of frames (review UI thumbnails, compare views, the
 * uncertainty overlay): a robust display window from percentiles, area-averaging
 * downscale, and PNG encoding, grey through the window or colour-mapped. PNG
 * encoding goes through pngjs (needs node's Buffer: main process and workers only).
 * Images are `(H, W)` float32, row-major (imaging/image.ts).
 */
import { PNG } from 'pngjs';
import { assertValidImage, type Image } from './image.js';

/** Display window in intensity units. */
export interface DisplayWindow {
  low: number;
  high: number;
}

/**
 * The [lo, hi] percentiles of an image's values (histogram of 4096 bins over
 * the value range), for a robust display window. `(H, W)` float32, row-major.
 */
export function percentileWindow(img: Image, lo = 0.005, hi = 0.995): DisplayWindow {
  const { data } = img;
  if (data.length === 0) throw new Error('percentileWindow: empty image');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return { low: min, high: min + 1e-6 };
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < data.length; i++) hist[Math.round((data[i]! - min) * scale)]!++;
  const at = (q: number): number => {
    const target = q * data.length;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= target) return min + b / scale;
    }
    return max;
  };
  const low = at(lo);
  const high = at(hi);
  return high > low ? { low, high } : { low: min, high: max };
}

/**
 * Downscales an (H, W) float32 image so its longer side is at most maxSide, by
 * area averaging: each output pixel is the mean of the input area it covers,
 * with fractional pixels weighted by their covered fraction (like OpenCV
 * INTER_AREA). Output size round(W·s) × round(H·s), s = maxSide / max(W, H),
 * each side ≥ 1. An image already small enough is returned as it is (never upscaled).
 */
export function downscaleArea(img: Image, maxSide: number): Image {
  assertValidImage(img, 'downscaleArea: image');
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new Error(`downscaleArea: maxSide must be a positive integer, got ${maxSide}`);
  const longer = Math.max(img.width, img.height);
  if (longer <= maxSide) return img;
  const s = maxSide / longer;
  const ow = Math.max(1, Math.round(img.width * s));
  const oh = Math.max(1, Math.round(img.height * s));
  const horizontal = resize1d(img.data, img.width, img.height, ow, 1);
  const out = resize1d(horizontal, ow, img.height, oh, 0);
  return { width: ow, height: oh, data: Float32Array.from(out) };
}

/** Area-average along one axis (1: x, 0: y) of an (h, w) plane to `n` samples. */
function resize1d(src: ArrayLike<number>, w: number, h: number, n: number, axis: 0 | 1): Float64Array {
  const len = axis === 1 ? w : h;
  const lines = axis === 1 ? h : w;
  const outW = axis === 1 ? n : w;
  const out = new Float64Array(axis === 1 ? n * h : w * n);
  const scale = len / n; // input pixels per output pixel (> 1)
  for (let k = 0; k < n; k++) {
    const a = k * scale;
    const b = (k + 1) * scale;
    const i0 = Math.floor(a);
    const i1 = Math.min(len, Math.ceil(b));
    for (let l = 0; l < lines; l++) {
      let acc = 0;
      for (let i = i0; i < i1; i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover <= 0) continue;
        acc += cover * src[axis === 1 ? l * w + i : i * w + l]!;
      }
      out[axis === 1 ? l * outW + k : k * outW + l] = acc / scale;
    }
  }
  return out;
}

// Perceptually ordered dark→bright map (inferno anchors), for the spread overlay.
const INFERNO: readonly [number, number, number][] = [
  [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164],
];

/** RGB of the colour map at `t` in [0, 1]. */
export function inferno(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - i;
  const a = INFERNO[i]!;
  const b = INFERNO[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * Encodes an image as PNG: grey through the window, or colour-mapped (opaque
 * map with alpha growing with the value, so it can overlay the restored image).
 */
export function encodeDisplayPng(img: Image, window: DisplayWindow, mode: 'grey' | 'heat'): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 6 });
  const span = window.high - window.low || 1;
  for (let i = 0; i < img.data.length; i++) {
    const t = Math.min(1, Math.max(0, (img.data[i]! - window.low) / span));
    const o = i * 4;
    if (mode === 'grey') {
      const v = Math.round(t * 255);
      png.data[o] = v;
      png.data[o + 1] = v;
      png.data[o + 2] = v;
      png.data[o + 3] = 255;
    } else {
      const [r, g, b] = inferno(t);
      png.data[o] = Math.round(r);
      png.data[o + 1] = Math.round(g);
      png.data[o + 2] = Math.round(b);
      png.data[o + 3] = Math.round(60 + 195 * t);
    }
  }
  return PNG.sync.write(png, { colorType: 6 });
}

/** 8-bit RGB PNG of an (H, W, 3) uint8 row-major, channel-last raster. */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodeRgbPng: size must be positive integers, got ${width}×${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodeRgbPng: got ${rgb.length} bytes, expected ${width}·${height}·3 = ${width * height * 3}`);
  }
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
