/**
 * Conversions between raw frame samples and the unit-float intensities the
 * models and metrics use, plus a percentile stretch for display.
 *
 * Pure module: no node, no electron.
 */
import { assertValidImage, type Image } from './image.js';

/** Raw sample arrays a frame can arrive in, (H, W) row-major. */
export type RawSamples = Uint8Array | Uint16Array | Float32Array;

function checkBits(bits: number, fn: string, allowFloat: boolean): void {
  const ok = Number.isInteger(bits) && ((bits >= 1 && bits <= 16) || (allowFloat && bits === 32));
  if (!ok) throw new Error(`${fn}: bits must be an integer 1–16${allowFloat ? ' (or 32 for unit floats)' : ''}, got ${bits}`);
}

/**
 * Raw samples → unit-float intensities, value / (2^bits − 1), clamped to [0, 1]
 * (a sample above the declared bit depth saturates at 1).
 * - Uint8Array: bits 1–8 (8 → / 255); Uint16Array: bits 1–16 (16 → / 65535,
 *   12 for a 12-bit camera in a 16-bit container → / 4095).
 * - Float32Array: bits 1–16 divides the same way (float samples on an integer
 *   scale); bits 32 means "already in [0, 1]" and returns a clamped copy.
 * Returns a new (H, W) float32 row-major array of the same length.
 * Throws on a bit depth the array type cannot hold, and on NaN / ±Infinity floats.
 */
export function toUnitFloat(data: RawSamples, bits: number): Float32Array {
  checkBits(bits, 'toUnitFloat', data instanceof Float32Array);
  if (data instanceof Uint8Array && bits > 8) throw new Error(`toUnitFloat: a Uint8Array cannot hold ${bits}-bit samples`);
  const out = new Float32Array(data.length);
  const scale = bits === 32 ? 1 : 1 / (2 ** bits - 1);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new Error(`toUnitFloat: sample ${i} is ${v}; samples must be finite`);
    const u = v * scale;
    out[i] = u < 0 ? 0 : u > 1 ? 1 : u;
  }
  return out;
}

/**
 * Unit-float intensities → integer samples: round(clamp(v, 0, 1) · (2^bits − 1)),
 * rounding half up. bits 1–8 returns a Uint8Array, 9–16 a Uint16Array.
 * data: (H, W) float32 row-major. Throws on NaN / ±Infinity or a bad bit depth.
 */
export function fromUnitFloat(data: Float32Array, bits: 8): Uint8Array;
export function fromUnitFloat(data: Float32Array, bits: 16): Uint16Array;
export function fromUnitFloat(data: Float32Array, bits: number): Uint8Array | Uint16Array;
export function fromUnitFloat(data: Float32Array, bits: number): Uint8Array | Uint16Array {
  checkBits(bits, 'fromUnitFloat', false);
  const max = 2 ** bits - 1;
  const out = bits <= 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new Error(`fromUnitFloat: value ${i} is ${v}; values must be finite`);
    const c = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = Math.floor(c * max + 0.5);
  }
  return out;
}

/**
 * Percentiles of the values (numpy.percentile, default 'linear' method:
 * position p/100·(n − 1) in the sorted values, linearly interpolated).
 * ps: percentages in [0, 100]. Throws on an empty array or NaN values.
 */
export function percentiles(data: Float32Array, ps: readonly number[]): number[] {
  if (data.length === 0) throw new Error('percentiles: empty array');
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw new Error(`percentiles: percentage must be in [0, 100], got ${p}`);
  }
  const sorted = data.slice().sort();
  if (Number.isNaN(sorted[sorted.length - 1])) throw new Error('percentiles: data contains NaN');
  return ps.map((p) => {
    const pos = (p / 100) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    const f = pos - lo;
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * f;
  });
}

export interface StretchOptions {
  /** Percentile mapped to 0 (default 0.5). */
  low?: number;
  /** Percentile mapped to 1 (default 99.5). */
  high?: number;
}

/**
 * Contrast stretch for display: the `low` percentile maps to 0, the `high`
 * percentile to 1, linearly, clamped to [0, 1]. A flat image (both percentiles
 * equal) maps to 0. img: (H, W) float32 row-major; returns a new Image.
 */
export function percentileStretch(img: Image, options: StretchOptions = {}): Image {
  assertValidImage(img, 'percentileStretch: image');
  const low = options.low ?? 0.5;
  const high = options.high ?? 99.5;
  if (!(low < high)) throw new Error(`percentileStretch: low percentile (${low}) must be below high (${high})`);
  const [lo, hi] = percentiles(img.data, [low, high]) as [number, number];
  const out = new Float32Array(img.data.length);
  if (hi > lo) {
    const k = 1 / (hi - lo);
    for (let i = 0; i < out.length; i++) {
      const u = (img.data[i]! - lo) * k;
      out[i] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
  }
  return { width: img.width, height: img.height, data: out };
}
