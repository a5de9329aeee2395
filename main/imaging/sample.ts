/**
 * The one home of sample ↔ intensity conversion (as skimage/util/dtype.py): every
 * module that turns stored samples into model/metric intensities, or intensities
 * back into samples of a file, converts here, with one rounding and NaN policy.
 *
 * - Samples → intensities: 8-bit / 255, 16-bit / 65535 (the container's full scale);
 *   float32 samples are intensities already and pass through unchanged, NaN included
 *   (a float page is never rescaled or cleaned on read).
 * - Intensities → integer samples: clamp to [0, 1], then round half up:
 *   round(v · 255) or round(v · 65535). NaN becomes 0 (black), +∞ the maximum and
 *   −∞ 0, so a model output with a bad pixel still writes a valid file.
 *   float32 output passes through unchanged.
 *
 * Pure module: no node, no electron.
 */

/** Raw sample arrays of a frame, (H, W) row-major. */
export type Samples = Uint8Array | Uint16Array | Float32Array;
/** Bits per sample of the formats the station reads and writes (32 = float32). */
export type SampleBits = 8 | 16 | 32;

/** Full-scale value of integer samples of `bits`. */
function fullScale(bits: 8 | 16): number {
  return bits === 8 ? 255 : 65535;
}

/**
 * Samples → intensities in [0, 1]: Uint8Array / 255, Uint16Array / 65535, a
 * Float32Array is returned as it is (same array). Returns (H, W) float32, row-major.
 */
export function samplesToUnit(data: Samples): Float32Array {
  if (data instanceof Float32Array) return data;
  const scale = 1 / fullScale(data instanceof Uint8Array ? 8 : 16);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * scale;
  return out;
}

/**
 * Intensities → samples of `bits`: 8 → Uint8Array, 16 → Uint16Array (clamped to
 * [0, 1], rounded half up, NaN → 0), 32 → the same Float32Array unchanged.
 * data: (H, W) float32, row-major.
 */
export function unitToSamples(data: Float32Array, bits: 8): Uint8Array;
export function unitToSamples(data: Float32Array, bits: 16): Uint16Array;
export function unitToSamples(data: Float32Array, bits: 32): Float32Array;
export function unitToSamples(data: Float32Array, bits: SampleBits): Samples;
export function unitToSamples(data: Float32Array, bits: SampleBits): Samples {
  if (bits === 32) return data;
  if (bits !== 8 && bits !== 16) throw new Error(`unitToSamples: bits must be 8, 16 or 32, got ${bits as number}`);
  const max = fullScale(bits);
  const out = bits === 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // `!(v > 0)` is true for NaN too: NaN and non-positive values are 0.
    out[i] = !(v > 0) ? 0 : v >= 1 ? max : Math.floor(v * max + 0.5);
  }
  return out;
}
