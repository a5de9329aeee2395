/**
 * Image formation of a Zernike phase-contrast microscope with defocus.
 *
 * Sample → complex field u = a · e^{iφ} (φ: phase delay from thickness ×
 * refractive-index difference, a: weak absorption) → spectrum U = FFT(u) →
 * multiplied by the transfer function
 *   T(f) = P(f) · R(f) · H_Δz(f)
 *   P: objective pupil, 1 for |f| ≤ NA/λ, else 0 (coherent cut-off)
 *   R: phase ring on the undiffracted (low-frequency) light: amplitude a_r and
 *      phase θ for |f| ≤ ρ (softened edge), 1 elsewhere
 *   H: angular-spectrum propagator over Δz in the medium,
 *      exp(2πi Δz (√((n/λ)² − |f|²) − n/λ))
 * → inverse FFT → intensity |·|², normalised so that an empty field images to 1.
 *
 * θ = −π/2 is positive phase contrast: an object delaying the light (φ > 0)
 * appears dark, and the finite ring radius leaves the bright halo around it.
 * The constant n/λ is removed from H (a global phase, invisible in intensity),
 * so H(0) = 1 and Δz = 0 reproduces the in-focus image exactly.
 * Sign convention: Δz > 0 propagates the field a distance Δz past the sample,
 * i.e. the focal plane lies Δz above the sample.
 */
import { BandFft, fft2, ifft2, signedIndex, type TransferFunction } from './fft2.js';

export interface OpticsParams {
  /** Illumination wavelength (µm). */
  wavelengthUm: number;
  /** Refractive index of the medium (culture medium ≈ water). */
  mediumIndex: number;
  /** Objective numerical aperture (20× Ph1 ≈ 0.4). */
  numericalAperture: number;
  /** Sample-plane pixel size (µm/px); 0.325 at 20× on a 6.5 µm camera pixel. */
  pixelSizeUm: number;
  /** Radius of the phase ring in the back focal plane (cycles/µm). */
  ringRadiusPerUm: number;
  /** Relative width of the ring's soft edge (fraction of its radius). */
  ringSoftness: number;
  /** Phase shift of the undiffracted light (rad); −π/2 = positive phase contrast. */
  ringPhaseRad: number;
  /** Amplitude transmission of the ring (0.6 ≈ 36% intensity). */
  ringAmplitude: number;
}

export const DEFAULT_OPTICS: Readonly<OpticsParams> = Object.freeze({
  wavelengthUm: 0.55,
  mediumIndex: 1.33,
  numericalAperture: 0.4,
  pixelSizeUm: 0.325,
  ringRadiusPerUm: 0.1,
  ringSoftness: 0.9,
  ringPhaseRad: -Math.PI / 2,
  ringAmplitude: 0.6,
});

/** Pupil cut-off in frequency bins for an N-point grid. */
export function pupilCutoffIndex(params: OpticsParams, n: number): number {
  const df = 1 / (n * params.pixelSizeUm);
  return Math.floor(params.numericalAperture / params.wavelengthUm / df);
}

/** Ring factor R(f) (complex), normalised by the ring amplitude so the background images to 1. */
function ringFactor(params: OpticsParams, f: number): [number, number] {
  const r0 = params.ringRadiusPerUm;
  const soft = params.ringSoftness * r0;
  // w = 1 inside the ring, 0 outside, raised-cosine edge of width `soft` around r0.
  let w: number;
  if (f <= r0 - soft / 2) w = 1;
  else if (f >= r0 + soft / 2) w = 0;
  else w = 0.5 * (1 + Math.cos((Math.PI * (f - (r0 - soft / 2))) / soft));
  // Interpolate the complex factor between 1 (no ring) and a·e^{iθ}.
  const rr = 1 - w + w * params.ringAmplitude * Math.cos(params.ringPhaseRad);
  const ri = w * params.ringAmplitude * Math.sin(params.ringPhaseRad);
  // Normalise: the background (f = 0) passes with amplitude a_r; divide by a_r·e^{iθ}
  // so an empty field images to exactly 1 (intensity normalised to the background).
  const nr = Math.cos(-params.ringPhaseRad) / params.ringAmplitude;
  const ni = Math.sin(-params.ringPhaseRad) / params.ringAmplitude;
  return [rr * nr - ri * ni, rr * ni + ri * nr];
}

interface PupilGeometry {
  index: Int32Array;
  columnStart: Int32Array;
  /** √((n/λ)² − f²) − n/λ per entry (cycles/µm). */
  kz: Float64Array;
  ringRe: Float64Array;
  ringIm: Float64Array;
}

function paramsKey(params: OpticsParams, n: number): string {
  return [
    n,
    params.wavelengthUm,
    params.mediumIndex,
    params.numericalAperture,
    params.pixelSizeUm,
    params.ringRadiusPerUm,
    params.ringSoftness,
    params.ringPhaseRad,
    params.ringAmplitude,
  ].join('|');
}

const geometryCache = new Map<string, PupilGeometry>();

function pupilGeometry(params: OpticsParams, n: number, columns: Int32Array): PupilGeometry {
  const key = paramsKey(params, n);
  const hit = geometryCache.get(key);
  if (hit) return hit;
  const df = 1 / (n * params.pixelSizeUm);
  const cutoff = params.numericalAperture / params.wavelengthUm;
  const k = params.mediumIndex / params.wavelengthUm;
  const index: number[] = [];
  const kz: number[] = [];
  const ringRe: number[] = [];
  const ringIm: number[] = [];
  const columnStart = new Int32Array(columns.length + 1);
  for (let j = 0; j < columns.length; j++) {
    columnStart[j] = index.length;
    const fx = signedIndex(columns[j]!, n) * df;
    for (let ky = 0; ky < n; ky++) {
      const fy = signedIndex(ky, n) * df;
      const f2 = fx * fx + fy * fy;
      if (f2 > cutoff * cutoff) continue;
      index.push(j * n + ky);
      kz.push(Math.sqrt(k * k - f2) - k);
      const [rr, ri] = ringFactor(params, Math.sqrt(f2));
      ringRe.push(rr);
      ringIm.push(ri);
    }
  }
  columnStart[columns.length] = index.length;
  const g: PupilGeometry = {
    index: Int32Array.from(index),
    columnStart,
    kz: Float64Array.from(kz),
    ringRe: Float64Array.from(ringRe),
    ringIm: Float64Array.from(ringIm),
  };
  geometryCache.set(key, g);
  return g;
}

/**
 * Transfer functions per (optics, N, Δz), cached (LRU) because frames reuse a few Δz
 * values (0 for every in-focus twin) and building one costs ~N²/4 sin/cos.
 */
export class TransferCache {
  private readonly entries = new Map<string, TransferFunction>();
  constructor(private readonly capacity = 24) {}

  get(params: OpticsParams, fft: BandFft, dzUm: number, options: { ring?: boolean } = {}): TransferFunction {
    const ring = options.ring ?? true;
    const key = `${paramsKey(params, fft.n)}|${dzUm}|${ring}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const tf = buildTransfer(params, fft, dzUm, ring);
    this.entries.set(key, tf);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return tf;
  }
}

function buildTransfer(params: OpticsParams, fft: BandFft, dzUm: number, ring: boolean): TransferFunction {
  const g = pupilGeometry(params, fft.n, fft.columns);
  const count = g.index.length;
  const re = new Float64Array(count);
  const im = new Float64Array(count);
  const twoPiDz = 2 * Math.PI * dzUm;
  for (let p = 0; p < count; p++) {
    const a = twoPiDz * g.kz[p]!;
    const hr = Math.cos(a);
    const hi = Math.sin(a);
    if (ring) {
      const rr = g.ringRe[p]!;
      const ri = g.ringIm[p]!;
      re[p] = hr * rr - hi * ri;
      im[p] = hr * ri + hi * rr;
    } else {
      re[p] = hr;
      im[p] = hi;
    }
  }
  return { n: fft.n, columnCount: fft.columns.length, index: g.index, re, im, columnStart: g.columnStart };
}

/** A crop of the working grid: columns [x0, x0+w), rows [y0, y0+h). */
export interface Crop {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/**
 * Phase-contrast imaging on an N×N working grid (N a power of two). One forward
 * transform per field; then any number of Δz images from the same spectrum
 * (the in-focus twin and the defocused frame share it).
 */
export class PhaseContrastOptics {
  readonly n: number;
  readonly params: OpticsParams;
  private readonly fft: BandFft;
  private readonly band: Float64Array;
  private readonly transfers: TransferCache;

  constructor(n: number, params: OpticsParams = DEFAULT_OPTICS, transfers = new TransferCache()) {
    this.n = n;
    this.params = params;
    this.fft = new BandFft(n, pupilCutoffIndex(params, n));
    this.band = this.fft.createBand();
    this.transfers = transfers;
  }

  /** Transforms a sample field ((N, N) complex interleaved Float64Array) and keeps its spectrum. */
  setField(field: Float64Array): void {
    if (field.length !== 2 * this.n * this.n) throw new Error(`field must hold ${this.n}×${this.n} complex values`);
    this.fft.forward(field, this.band);
  }

  /**
   * Intensity image at defocus Δz (µm) of the last field, on `crop`, into `out`
   * ((h, w) float32, row-major; 1 = empty background). `ring: false` gives the
   * bright-field image of the same objective (used by tests).
   */
  image(dzUm: number, crop: Crop, out: Float32Array, options: { ring?: boolean } = {}): Float32Array {
    if (out.length !== crop.w * crop.h) throw new Error('image: output size does not match the crop');
    if (crop.x0 < 0 || crop.y0 < 0 || crop.x0 + crop.w > this.n || crop.y0 + crop.h > this.n) {
      throw new Error(`image: crop ${JSON.stringify(crop)} outside the ${this.n}×${this.n} grid`);
    }
    const tf = this.transfers.get(this.params, this.fft, dzUm, options);
    this.fft.inverseIntensity(this.band, tf, crop.x0, crop.y0, crop.w, crop.h, out);
    return out;
  }
}

/**
 * Reference implementation without pruning or caching: full 2-D FFT, dense
 * transfer function, full inverse. Same result as PhaseContrastOptics; kept as
 * the benchmark baseline and as a cross-check in tests.
 */
export function imageNaive(
  field: Float64Array,
  n: number,
  dzUm: number,
  crop: Crop,
  params: OpticsParams = DEFAULT_OPTICS,
  options: { ring?: boolean } = {},
): Float32Array {
  const ring = options.ring ?? true;
  const spec = new Float64Array(2 * n * n);
  fft2(field, spec, n);
  const df = 1 / (n * params.pixelSizeUm);
  const cutoff = params.numericalAperture / params.wavelengthUm;
  const k = params.mediumIndex / params.wavelengthUm;
  for (let ky = 0; ky < n; ky++) {
    const fy = signedIndex(ky, n) * df;
    for (let kx = 0; kx < n; kx++) {
      const fx = signedIndex(kx, n) * df;
      const f2 = fx * fx + fy * fy;
      const i = 2 * (ky * n + kx);
      if (f2 > cutoff * cutoff) {
        spec[i] = 0;
        spec[i + 1] = 0;
        continue;
      }
      const a = 2 * Math.PI * dzUm * (Math.sqrt(k * k - f2) - k);
      let tr = Math.cos(a);
      let ti = Math.sin(a);
      if (ring) {
        const [rr, ri] = ringFactor(params, Math.sqrt(f2));
        const t = tr * rr - ti * ri;
        ti = tr * ri + ti * rr;
        tr = t;
      }
      const sr = spec[i]!;
      const si = spec[i + 1]!;
      spec[i] = sr * tr - si * ti;
      spec[i + 1] = sr * ti + si * tr;
    }
  }
  const back = new Float64Array(2 * n * n);
  ifft2(spec, back, n);
  const out = new Float32Array(crop.w * crop.h);
  for (let r = 0; r < crop.h; r++) {
    for (let c = 0; c < crop.w; c++) {
      const i = 2 * ((crop.y0 + r) * n + crop.x0 + c);
      out[r * crop.w + c] = back[i]! * back[i]! + back[i + 1]! * back[i + 1]!;
    }
  }
  return out;
}
