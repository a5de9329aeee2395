/**
 * The one home of sample ↔ intensity conversion (as skimage/util/dtype.py): every
 * module that turns stored samples into model/metric intensities, or intensities
 * back into samples of a file, converts here, with one rounding and NaN policy.
 *
 * - Samples → intensities: 8-bit / 255, 16-bit / 65535 (the container's full scale),
 *   or / the effective full scale of the camera (effectiveFullScale: MaxSampleValue tag,
 *   the run's range, the frame's range rounded up to a camera bit depth);
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

/** Bit depths a camera writes into a 16-bit container (the effective range is rounded up to one). */
export const CAMERA_BIT_DEPTHS: readonly number[] = [8, 10, 12, 14, 16];

/** Full scale 2^b − 1 of the smallest camera bit depth b (8, 10, 12, 14, 16) that holds `maxValue`. */
export function roundUpToBitDepth(maxValue: number): number {
  for (const b of CAMERA_BIT_DEPTHS) if (maxValue <= 2 ** b - 1) return 2 ** b - 1;
  return 65535;
}

/** The largest sample of an integer frame (0 for an empty array). */
export function maxSample(data: Uint8Array | Uint16Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! > m) m = data[i]!;
  return m;
}

/**
 * Effective full scale of integer samples: the value that maps to intensity 1.
 * A 12-bit camera writes 0–4095 into a 16-bit container; dividing by 65,535
 * makes its frames nearly black (issue 12), so the range follows the data:
 * 1. the TIFF's MaxSampleValue tag when it declares less than the container's maximum;
 * 2. else the run's full scale (`runFullScale`: the largest effective full scale among
 *    the run's frames so far), so a dim frame is not brightened more than its neighbours;
 * 3. else the frame's own maximum rounded up to a camera bit depth (8/10/12/14/16).
 * The result never falls below what the frame's own samples need (values above it
 * would clip). 8-bit containers are always / 255.
 */
export function effectiveFullScale(
  bits: 8 | 16,
  opts: { maxSampleValue?: number; observedMax?: number; runFullScale?: number } = {},
): number {
  if (bits === 8) return 255;
  const container = fullScale(bits);
  const observed = opts.observedMax ?? 0;
  const tag = opts.maxSampleValue;
  if (tag !== undefined && Number.isInteger(tag) && tag >= 1 && tag < container && observed <= tag) return tag;
  const own = roundUpToBitDepth(observed);
  const run = opts.runFullScale;
  if (run !== undefined && run >= 1 && run <= container) return Math.max(run, own);
  return own;
}

/**
 * Samples → intensities in [0, 1]: Uint8Array / 255, Uint16Array / 65535 (or / the
 * effective `fullScaleValue`, see effectiveFullScale), a Float32Array is returned as
 * it is (same array). Returns (H, W) float32, row-major.
 */
export function samplesToUnit(data: Samples, fullScaleValue?: number): Float32Array {
  if (data instanceof Float32Array) return data;
  const scale = 1 / (fullScaleValue ?? fullScale(data instanceof Uint8Array ? 8 : 16));
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * scale;
  return out;
}

/**
 * Intensities → samples of `bits`: 8 → Uint8Array, 16 → Uint16Array (clamped to
 * [0, 1], rounded half up, NaN → 0), 32 → the same Float32Array unchanged.
 * data: (H, W) float32, row-major.
 */
export function unitToSamples(data: Float32Array, bits: 8, fullScaleValue?: number): Uint8Array;
export function unitToSamples(data: Float32Array, bits: 16, fullScaleValue?: number): Uint16Array;
export function unitToSamples(data: Float32Array, bits: 32): Float32Array;
export function unitToSamples(data: Float32Array, bits: SampleBits, fullScaleValue?: number): Samples;
export function unitToSamples(data: Float32Array, bits: SampleBits, fullScaleValue?: number): Samples {
  if (bits === 32) return data;
  if (bits !== 8 && bits !== 16) throw new Error(`unitToSamples: bits must be 8, 16 or 32, got ${bits as number}`);
  // A frame read with an effective full scale (a 12-bit camera in 16 bits) is written
  // back on the same scale, so an output keeps its source's range.
  const max = fullScaleValue !== undefined && fullScaleValue >= 1 && fullScaleValue <= fullScale(bits) ? Math.round(fullScaleValue) : fullScale(bits);
  const out = bits === 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // `!(v > 0)` is true for NaN too: NaN and non-positive values are 0.
    out[i] = !(v > 0) ? 0 : v >= 1 ? max : Math.floor(v * max + 0.5);
  }
  return out;
}
