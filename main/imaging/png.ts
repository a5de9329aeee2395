/**
 * PNG output for thumbnails, previews and uncertainty maps: 8-bit display
 * conversion, area-averaging downscale, a magma-like colormap, and PNG
 * encoding through pngjs (pure JS; needs node's Buffer, so main process /
 * worker only, never the renderer).
 */
import { PNG } from 'pngjs';
import { assertValidImage, type Image } from './image.js';
import { fromUnitFloat, percentileStretch, type StretchOptions } from './normalise.js';

function checkRaster(bytes: Uint8Array, width: number, height: number, channels: number, fn: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${fn}: size must be positive integers, got ${width}×${height}`);
  }
  if (bytes.length !== width * height * channels) {
    throw new Error(`${fn}: got ${bytes.length} bytes, expected ${width}·${height}·${channels} = ${width * height * channels}`);
  }
}

function encode(bytes: Uint8Array, width: number, height: number, colorType: 0 | 2 | 6): Buffer {
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: colorType === 6 });
  png.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 6 });
}

/** 8-bit grayscale PNG of an (H, W) uint8 row-major raster. */
export function encodePng(gray: Uint8Array, width: number, height: number): Buffer {
  checkRaster(gray, width, height, 1, 'encodePng');
  return encode(gray, width, height, 0);
}

/** 8-bit RGB PNG of an (H, W, 3) uint8 row-major, channel-last raster. */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  checkRaster(rgb, width, height, 3, 'encodeRgbPng');
  return encode(rgb, width, height, 2);
}

/** 8-bit RGBA PNG of an (H, W, 4) uint8 row-major, channel-last raster. */
export function encodeRgbaPng(rgba: Uint8Array, width: number, height: number): Buffer {
  checkRaster(rgba, width, height, 4, 'encodeRgbaPng');
  return encode(rgba, width, height, 6);
}

/** Decode an 8-bit PNG into (H, W, 4) RGBA bytes (for tests and round trips). */
export function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const img = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  return { width: img.width, height: img.height, rgba: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
}

export interface DisplayOptions {
  /**
   * Percentile contrast stretch before quantising: true for the defaults of
   * percentileStretch (0.5 / 99.5), an object to choose them, false / absent to
   * show intensities as they are (clamped to [0, 1]).
   */
  stretch?: boolean | StretchOptions;
}

/**
 * (H, W) float32 image → (H, W) uint8 display bytes: optional percentile
 * stretch, then round(clamp(v, 0, 1)·255).
 */
export function toDisplayBytes(img: Image, options: DisplayOptions = {}): Uint8Array {
  assertValidImage(img, 'toDisplayBytes: image');
  const { stretch } = options;
  const src = stretch ? percentileStretch(img, stretch === true ? {} : stretch) : img;
  return fromUnitFloat(src.data, 8);
}

/**
 * Downscale an (H, W) float32 image so its longer side is at most maxSide, by
 * area averaging: each output pixel is the mean of the input area it covers,
 * with fractional pixels weighted by their covered fraction (like OpenCV
 * INTER_AREA). Output size round(W·s) × round(H·s), s = maxSide / max(W, H),
 * each side ≥ 1. Images already small enough are returned as a copy.
 */
export function resizeArea(img: Image, maxSide: number): Image {
  assertValidImage(img, 'resizeArea: image');
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new Error(`resizeArea: maxSide must be a positive integer, got ${maxSide}`);
  const longer = Math.max(img.width, img.height);
  if (longer <= maxSide) return { width: img.width, height: img.height, data: img.data.slice() };
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

export type ColormapName = 'magma' | 'gray';

// 17 evenly spaced samples of matplotlib's 'magma' (matplotlib 3.6, rounded to
// 8 bits), linearly interpolated in between: visually magma, not bit-identical.
const MAGMA_ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 4], [10, 8, 34], [29, 17, 71], [54, 16, 107], [81, 18, 124], [106, 28, 129],
  [131, 38, 129], [156, 46, 127], [183, 55, 121], [208, 65, 111], [231, 82, 99],
  [245, 107, 92], [252, 137, 97], [254, 167, 114], [254, 196, 136], [253, 226, 163],
  [252, 253, 191],
];

/** The RGB colour of t ∈ [0, 1] (clamped) in a colormap. */
export function colormapColor(t: number, name: ColormapName = 'magma'): [number, number, number] {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  if (name === 'gray') {
    const g = Math.round(u * 255);
    return [g, g, g];
  }
  const pos = u * (MAGMA_ANCHORS.length - 1);
  const i = Math.min(MAGMA_ANCHORS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = MAGMA_ANCHORS[i]!;
  const b = MAGMA_ANCHORS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

export interface ColormapOptions {
  name?: ColormapName;
  /** Value mapped to the low end (default: the image minimum). */
  min?: number;
  /** Value mapped to the high end (default: the image maximum). */
  max?: number;
}

/**
 * (H, W) float32 image → (H, W, 3) uint8 RGB, row-major channel-last, through
 * a colormap (default magma) with (v − min) / (max − min) clamped to [0, 1].
 * Used for per-pixel uncertainty (ensemble spread) maps. A flat image maps to
 * the low end.
 */
export function applyColormap(img: Image, options: ColormapOptions = {}): Uint8Array {
  assertValidImage(img, 'applyColormap: image');
  let lo = options.min;
  let hi = options.max;
  if (lo === undefined || hi === undefined) {
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of img.data) {
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    lo ??= mn;
    hi ??= mx;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) throw new Error(`applyColormap: need finite min ≤ max, got ${lo}, ${hi}`);
  const lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) lut.set(colormapColor(k / 255, options.name ?? 'magma'), 3 * k);
  const out = new Uint8Array(img.data.length * 3);
  const span = hi - lo;
  for (let i = 0; i < img.data.length; i++) {
    const t = span > 0 ? (img.data[i]! - lo) / span : 0;
    const k = Math.round(Math.min(1, Math.max(0, t)) * 255);
    out[3 * i] = lut[3 * k]!;
    out[3 * i + 1] = lut[3 * k + 1]!;
    out[3 * i + 2] = lut[3 * k + 2]!;
  }
  return out;
}

/** Colormapped RGB PNG of an (H, W) float32 image (see applyColormap). */
export function colormapPng(img: Image, options: ColormapOptions = {}): Buffer {
  return encodeRgbPng(applyColormap(img, options), img.width, img.height);
}

/** Grayscale PNG of an (H, W) float32 image (see toDisplayBytes), optionally downscaled to maxSide. */
export function imagePng(img: Image, options: DisplayOptions & { maxSide?: number } = {}): Buffer {
  const src = options.maxSide !== undefined ? resizeArea(img, options.maxSide) : img;
  return encodePng(toDisplayBytes(src, options), src.width, src.height);
}
