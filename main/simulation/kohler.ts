/**
 * Partially coherent imaging under Köhler illumination (Abbe's method), for
 * bright-field and Zernike phase contrast with a real condenser.
 *
 * Köhler illumination makes every point s of the condenser aperture a plane
 * wave e^{2πi s·x} across the sample; different points are mutually
 * incoherent, so the image is the sum of the coherent images, one per source
 * point:
 *   I(x) = Σ_s w_s |F⁻¹{ O(f) · P(f + s) · H_Δz(f + s) }|²
 * (the tilt shifts the sample spectrum across the pupil; written as a shifted
 * pupil so the sample is transformed once).
 *   O: spectrum of the sample's complex transmission
 *   P: objective pupil (|g| ≤ NA/λ); in phase contrast it carries the phase
 *      ring a·e^{iθ} at the radius conjugate to the condenser annulus
 *   H: defocus, exp(2πiΔz (√((n/λ)² − |g|²) − √((n/λ)² − |s|²)))  (the
 *      second term is each source point's own global phase)
 * Bright field: a filled condenser disc (radius NA_c/λ, NA_c = σ·NA). A pure
 * phase object is nearly invisible in focus and shows bright/dark fringes that
 * swap sign between +Δz and −Δz (contrast inversion across focus), while the
 * tilted source points shift their images by Δz·tanθ, blurring the defocused
 * image. Phase contrast: source points on the annulus; the undiffracted light
 * of each lands on the ring (and is attenuated and phase-shifted there), which
 * yields the dark cells with bright halos of positive phase contrast.
 * Intensities are normalised so an empty field images to 1.
 */
import { BandFft, signedIndex, type TransferFunction } from './fft2.js';

export type Modality = 'phase' | 'brightfield';

export interface KohlerParams {
  modality: Modality;
  wavelengthUm: number;
  mediumIndex: number;
  /** Objective numerical aperture. */
  numericalAperture: number;
  /** Sample-plane pixel size (µm/px). */
  pixelSizeUm: number;
  /** Bright field: condenser disc NA; phase contrast: annulus NA (< objective NA). */
  condenserNA: number;
  /** Phase contrast: ring width in the back focal plane (NA units). */
  ringWidthNA: number;
  /** Phase contrast: amplitude transmission of the ring. */
  ringAmplitude: number;
  /** Phase contrast: phase shift of the undiffracted light (−π/2 = positive phase contrast). */
  ringPhaseRad: number;
  /** Number of condenser source points (incoherent sum). */
  sourcePoints: number;
}

/** Source points (cycles/µm) and weights (sum 1) of the condenser aperture. */
export function condenserSources(p: KohlerParams, rotation = 0): { sx: number[]; sy: number[]; w: number[] } {
  const r = p.condenserNA / p.wavelengthUm;
  const k = Math.max(1, Math.round(p.sourcePoints));
  const sx: number[] = [];
  const sy: number[] = [];
  if (p.modality === 'phase') {
    for (let i = 0; i < k; i++) {
      const a = rotation + (2 * Math.PI * i) / k;
      sx.push(r * Math.cos(a));
      sy.push(r * Math.sin(a));
    }
  } else {
    // Sunflower (Vogel) spiral: equal-area samples of the disc.
    const golden = Math.PI * (3 - Math.sqrt(5));
    for (let i = 0; i < k; i++) {
      const rr = k === 1 ? 0 : r * Math.sqrt((i + 0.5) / k);
      const a = rotation + i * golden;
      sx.push(rr * Math.cos(a));
      sy.push(rr * Math.sin(a));
    }
  }
  return { sx, sy, w: new Array<number>(k).fill(1 / k) };
}

/** Pupil value at |g| (cycles/µm) including the phase ring, normalised so the undiffracted light passes as 1. */
function pupilAt(p: KohlerParams, g: number): [number, number] {
  if (p.modality !== 'phase') return [1, 0];
  const ringR = p.condenserNA / p.wavelengthUm;
  const half = p.ringWidthNA / p.wavelengthUm / 2;
  // Undiffracted light hits the ring: it passes as a·e^{iθ}; dividing the
  // whole pupil by that makes the ring 1 and the rest (1/a)·e^{−iθ}.
  if (Math.abs(g - ringR) <= half) return [1, 0];
  const inv = 1 / p.ringAmplitude;
  return [inv * Math.cos(-p.ringPhaseRad), inv * Math.sin(-p.ringPhaseRad)];
}

/**
 * Imaging on an N×N working grid (N a power of two): set a sample field once,
 * then image it at any Δz on a crop.
 */
export class KohlerMicroscope {
  readonly n: number;
  readonly params: KohlerParams;
  private readonly fft: BandFft;
  private readonly band: Float64Array;
  private readonly sources: { sx: number[]; sy: number[]; w: number[] };
  private readonly transfers = new Map<string, TransferFunction>();
  private scratch = new Float32Array(0);

  constructor(n: number, params: KohlerParams, sourceRotation = 0) {
    if (!(params.condenserNA >= 0 && params.condenserNA < params.numericalAperture + 1e-9) && params.modality === 'phase') {
      throw new Error(`phase-contrast annulus NA ${params.condenserNA} must lie inside the objective NA ${params.numericalAperture}`);
    }
    this.n = n;
    this.params = params;
    const df = 1 / (n * params.pixelSizeUm);
    const cutoff = (params.numericalAperture + params.condenserNA) / params.wavelengthUm / df;
    this.fft = new BandFft(n, Math.min(Math.ceil(cutoff), n / 2 - 1));
    this.band = this.fft.createBand();
    this.sources = condenserSources(params, sourceRotation);
  }

  /** Transforms a sample field ((N, N) complex interleaved Float64Array). */
  setField(field: Float64Array): void {
    if (field.length !== 2 * this.n * this.n) throw new Error(`field must hold ${this.n}×${this.n} complex values`);
    this.fft.forward(field, this.band);
  }

  /** Intensity at defocus Δz (µm) on a crop of the grid, (h, w) float32 row-major; 1 = empty background. */
  image(dzUm: number, crop: { x0: number; y0: number; w: number; h: number }, out = new Float32Array(crop.w * crop.h)): Float32Array {
    if (out.length !== crop.w * crop.h) throw new Error('image: output size does not match the crop');
    if (this.scratch.length !== out.length) this.scratch = new Float32Array(out.length);
    out.fill(0);
    const { sx, sy, w } = this.sources;
    for (let s = 0; s < w.length; s++) {
      const tf = this.transfer(s, sx[s]!, sy[s]!, dzUm);
      this.fft.inverseIntensity(this.band, tf, crop.x0, crop.y0, crop.w, crop.h, this.scratch);
      const ws = w[s]!;
      for (let i = 0; i < out.length; i++) out[i]! += ws * this.scratch[i]!;
    }
    return out;
  }

  private transfer(s: number, sx: number, sy: number, dzUm: number): TransferFunction {
    const key = `${s}|${dzUm}`;
    const hit = this.transfers.get(key);
    if (hit) return hit;
    const { n, params: p } = this;
    const df = 1 / (n * p.pixelSizeUm);
    const cut = p.numericalAperture / p.wavelengthUm;
    const k = p.mediumIndex / p.wavelengthUm;
    const kzs = Math.sqrt(k * k - sx * sx - sy * sy);
    const cols = this.fft.columns;
    const index: number[] = [];
    const re: number[] = [];
    const im: number[] = [];
    const columnStart = new Int32Array(cols.length + 1);
    for (let j = 0; j < cols.length; j++) {
      columnStart[j] = index.length;
      const gx = signedIndex(cols[j]!, n) * df + sx;
      for (let ky = 0; ky < n; ky++) {
        const gy = signedIndex(ky, n) * df + sy;
        const g2 = gx * gx + gy * gy;
        if (g2 > cut * cut) continue;
        const [pr, pi] = pupilAt(p, Math.sqrt(g2));
        const a = 2 * Math.PI * dzUm * (Math.sqrt(k * k - g2) - kzs);
        const hr = Math.cos(a);
        const hi = Math.sin(a);
        index.push(j * n + ky);
        re.push(pr * hr - pi * hi);
        im.push(pr * hi + pi * hr);
      }
    }
    columnStart[cols.length] = index.length;
    const tf: TransferFunction = {
      n,
      columnCount: cols.length,
      index: Int32Array.from(index),
      re: Float64Array.from(re),
      im: Float64Array.from(im),
      columnStart,
    };
    // A microscope images a handful of Δz per scene; keep the cache small.
    if (this.transfers.size > 64) this.transfers.clear();
    this.transfers.set(key, tf);
    return tf;
  }
}
