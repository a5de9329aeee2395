/**
 * Padding, cropping and overlapping tiles for running fully convolutional
 * networks on frames whose size is not a multiple of the network's stride
 * (e.g. 16 for a 4-level U-Net), or too large to run in one piece.
 *
 * Padding is "reflect" in the numpy / PyTorch sense (d c b | a b c d | c b a:
 * the edge pixel is not repeated), added on the bottom and right only, so the
 * original image is the top-left crop of the padded one.
 *
 * Pure module: no node, no electron.
 */
import { borderIndex } from './filters.js';
import { assertImage, type Image } from './image.js';

/**
 * Reflect-pad an (H, W) float32 image on the bottom and right to (H', W'),
 * H' ≥ H, W' ≥ W (pads longer than the image fold back and forth).
 */
export function padTo(img: Image, width: number, height: number): Image {
  assertImage(img, 'padTo: image');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < img.width || height < img.height) {
    throw new Error(`padTo: target ${width}×${height} must be integers ≥ the image size ${img.width}×${img.height} (W×H)`);
  }
  const out = new Float32Array(width * height);
  const colIndex = new Int32Array(width);
  for (let x = 0; x < width; x++) colIndex[x] = borderIndex(x, img.width, 'mirror');
  for (let y = 0; y < height; y++) {
    const sy = borderIndex(y, img.height, 'mirror');
    const src = sy * img.width;
    const dst = y * width;
    if (width === img.width) {
      out.set(img.data.subarray(src, src + width), dst);
    } else {
      for (let x = 0; x < width; x++) out[dst + x] = img.data[src + colIndex[x]!]!;
    }
  }
  return { width, height, data: out };
}

/** Smallest multiple of `multiple` that is ≥ n. */
export function roundUpToMultiple(n: number, multiple: number): number {
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`roundUpToMultiple: multiple must be a positive integer, got ${multiple}`);
  return Math.ceil(n / multiple) * multiple;
}

/**
 * The (height, width) region of an (H, W) float32 image starting at (y0, x0)
 * (default the top-left corner), copied into a new Image.
 */
export function cropTo(img: Image, width: number, height: number, x0 = 0, y0 = 0): Image {
  assertImage(img, 'cropTo: image');
  const ints = [width, height, x0, y0].every(Number.isInteger);
  if (!ints || width < 1 || height < 1 || x0 < 0 || y0 < 0 || x0 + width > img.width || y0 + height > img.height) {
    throw new Error(
      `cropTo: region ${width}×${height} at (x=${x0}, y=${y0}) does not fit in the ${img.width}×${img.height} image`,
    );
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = (y0 + y) * img.width + x0;
    out.set(img.data.subarray(src, src + width), y * width);
  }
  return { width, height, data: out };
}

/** Where the tiles of an image lie (all tiles are tileSize × tileSize). */
export interface TileGrid {
  /** Size of the original image. */
  width: number;
  height: number;
  /** Size of the reflect-padded image the tiles cover exactly. */
  paddedWidth: number;
  paddedHeight: number;
  tileSize: number;
  /** Pixels shared by neighbouring tiles. */
  overlap: number;
  /** tileSize − overlap: distance between tile origins. */
  stride: number;
  cols: number;
  rows: number;
}

/**
 * Plan a grid of tileSize × tileSize tiles with `overlap` shared pixels that
 * covers a width × height image: cols = max(1, ceil((W − overlap) / stride)),
 * padded width = (cols − 1)·stride + tileSize (same for rows). Requires
 * 0 ≤ overlap ≤ tileSize / 2 (so blending ramps of neighbouring tiles never
 * meet inside a tile) and, when given, tileSize a multiple of `multiple`.
 */
export function planTiles(width: number, height: number, tileSize: number, overlap: number, multiple = 1): TileGrid {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`planTiles: image size must be positive integers, got ${width}×${height}`);
  }
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new Error(`planTiles: tileSize must be a positive integer, got ${tileSize}`);
  if (!Number.isInteger(multiple) || multiple < 1 || tileSize % multiple !== 0) {
    throw new Error(`planTiles: tileSize ${tileSize} must be a multiple of ${multiple}`);
  }
  if (!Number.isInteger(overlap) || overlap < 0 || 2 * overlap > tileSize) {
    throw new Error(`planTiles: overlap must be an integer in [0, tileSize/2 = ${tileSize / 2}], got ${overlap}`);
  }
  const stride = tileSize - overlap;
  const cols = Math.max(1, Math.ceil((width - overlap) / stride));
  const rows = Math.max(1, Math.ceil((height - overlap) / stride));
  return {
    width,
    height,
    paddedWidth: (cols - 1) * stride + tileSize,
    paddedHeight: (rows - 1) * stride + tileSize,
    tileSize,
    overlap,
    stride,
    cols,
    rows,
  };
}

/**
 * 1-D blending weights of a tile along one axis: a raised-cosine ramp
 * sin²(π(t + ½) / (2·overlap)) over the `overlap` pixels shared with a
 * neighbour, 1 elsewhere (and 1 on a side with no neighbour). Where two tiles
 * overlap their ramps sum to exactly 1 (sin² + cos²), so blending is a
 * partition of unity with continuous, seam-free transitions.
 */
export function rampWeights(tileSize: number, overlap: number, hasBefore: boolean, hasAfter: boolean): Float64Array {
  const w = new Float64Array(tileSize).fill(1);
  for (let t = 0; t < overlap; t++) {
    const s = Math.sin((Math.PI * (t + 0.5)) / (2 * overlap)) ** 2;
    if (hasBefore) w[t] = s;
    if (hasAfter) w[tileSize - 1 - t] = s;
  }
  return w;
}
