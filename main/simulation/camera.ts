/**
 * Camera model: uneven illumination × image intensity → photo-electrons with
 * shot noise (Poisson, Gaussian approximation — every pixel collects ≥ ~50 e⁻
 * here) + read noise (Gaussian) + offset → digital numbers.
 *
 * Output scale: normalised DN in [0, 1] (8-bit value / 255, 16-bit / 65535),
 * background ≈ 0.42, dark cell interiors ≈ 0.2–0.3, halos ≈ 0.6–0.8.
 * Noise comes from pre-drawn standard normals so that the in-focus twin and the
 * defocused frame can share the same draws ("same noise seed").
 */
import { fillStandardNormal, hashSeed, Rng } from './prng.js';

export interface CameraParams {
  /** Mean photo-electrons per pixel for the empty background (intensity 1). */
  photonsAtBackground: number;
  /** Read noise (e⁻ rms). */
  readNoiseE: number;
  /** Offset (e⁻ equivalent) added before digitisation. */
  offsetE: number;
  /** Normalised DN of the empty background at intensity 1 and illumination 1. */
  backgroundLevel: number;
}

export const DEFAULT_CAMERA: Readonly<CameraParams> = Object.freeze({
  photonsAtBackground: 350,
  readNoiseE: 4,
  offsetE: 60,
  backgroundLevel: 0.42,
});

/**
 * Smooth illumination field ((h, w) float32, row-major, ≈ 1): brightness
 * gradient plus vignetting, fixed per nanowell seed.
 */
export function illuminationField(w: number, h: number, seed: number): Float32Array {
  const rng = new Rng(hashSeed(seed, 0x111));
  const gain = rng.uniform(0.9, 1.06);
  const gx = rng.uniform(-0.07, 0.07);
  const gy = rng.uniform(-0.07, 0.07);
  const vig = rng.uniform(0.02, 0.12);
  const cx = rng.uniform(-0.3, 0.3);
  const cy = rng.uniform(-0.3, 0.3);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const v = (2 * y) / (h - 1) - 1;
    for (let x = 0; x < w; x++) {
      const u = (2 * x) / (w - 1) - 1;
      const r2 = (u - cx) * (u - cx) + (v - cy) * (v - cy);
      out[y * w + x] = gain * (1 + gx * u + gy * v - vig * r2);
    }
  }
  return out;
}

/** Standard-normal draws for one exposure: shot and read noise. */
export interface NoiseDraws {
  shot: Float32Array;
  read: Float32Array;
}

/** Draws the noise of one exposure of `count` pixels from a seed. */
export function drawNoise(count: number, seed: number): NoiseDraws {
  return {
    shot: fillStandardNormal(new Float32Array(count), hashSeed(seed, 1)),
    read: fillStandardNormal(new Float32Array(count), hashSeed(seed, 2)),
  };
}

/**
 * Exposes an intensity image: out = digitised, normalised DN in [0, 1]
 * (not yet quantised). intensity, illumination, out: same length, float32.
 * `illumination` may be undefined (flat). `noise` undefined = noise-free.
 */
export function expose(
  intensity: Float32Array,
  illumination: Float32Array | undefined,
  noise: NoiseDraws | undefined,
  out: Float32Array,
  params: CameraParams = DEFAULT_CAMERA,
): Float32Array {
  const n = intensity.length;
  if (out.length !== n || (illumination && illumination.length !== n)) throw new Error('expose: array sizes differ');
  if (noise && (noise.shot.length < n || noise.read.length < n)) throw new Error('expose: not enough noise draws');
  const gain = params.backgroundLevel / (params.offsetE + params.photonsAtBackground);
  const nb = params.photonsAtBackground;
  for (let i = 0; i < n; i++) {
    const lambda = nb * intensity[i]! * (illumination ? illumination[i]! : 1);
    let e = lambda;
    if (noise) e += Math.sqrt(Math.max(lambda, 0)) * noise.shot[i]! + params.readNoiseE * noise.read[i]!;
    const v = (params.offsetE + Math.max(e, 0)) * gain;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** Quantises normalised DN to 8-bit. */
export function quantize8(norm: Float32Array, out = new Uint8Array(norm.length)): Uint8Array {
  for (let i = 0; i < norm.length; i++) out[i] = Math.round(norm[i]! * 255);
  return out;
}

/** Quantises normalised DN to 16-bit. */
export function quantize16(norm: Float32Array, out = new Uint16Array(norm.length)): Uint16Array {
  for (let i = 0; i < norm.length; i++) out[i] = Math.round(norm[i]! * 65535);
  return out;
}
