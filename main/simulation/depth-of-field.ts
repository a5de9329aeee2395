/**
 * Depth of field and the out-of-focus label in depth-of-field units.
 *
 * "Out of focus" must mean the same thing at 10× and at 40×: a 5 µm defocus is
 * within the depth of field of a 10×/0.25 objective and far outside that of a
 * 40×/0.65 one. The depth of field (Inoué & Spring; wave term plus the
 * detector-pixel term) in the specimen medium is
 *   DOF = n · λ / NA² + n · p / NA        (n: medium index, p: sample-plane pixel size)
 * The PostFocus thresholds (in focus |Δz| ≤ 2.5 µm, OOF ≥ 5 µm) were set for the
 * reference optics (20×/0.4, 0.325 µm/px, λ 0.55 µm, n 1.33: DOF = 5.65 µm); in
 * DOF units they become 0.44 and 0.885 DOF, so the reference presets keep their
 * labels exactly while other objectives get the same relative blur.
 */
import { IN_FOCUS_MAX_DZ_UM, OOF_THRESHOLD_UM } from './focus.js';
import { DEFAULT_OPTICS } from './optics.js';

/** Optics that determine the depth of field. */
export interface DofOptics {
  wavelengthUm: number;
  mediumIndex: number;
  numericalAperture: number;
  pixelSizeUm: number;
}

/** Depth of field (µm) of an objective imaged onto pixels of `pixelSizeUm` in the sample plane. */
export function depthOfFieldUm(o: DofOptics): number {
  if (!(o.numericalAperture > 0 && o.numericalAperture < o.mediumIndex)) {
    throw new Error(`depthOfFieldUm: numerical aperture must be in (0, n), got ${o.numericalAperture}`);
  }
  if (!(o.wavelengthUm > 0 && o.pixelSizeUm > 0)) throw new Error('depthOfFieldUm: wavelength and pixel size must be positive');
  const na = o.numericalAperture;
  return o.mediumIndex * (o.wavelengthUm / (na * na) + o.pixelSizeUm / na);
}

/** Depth of field of the reference (TIMING 20× phase-contrast) optics: 5.65 µm. */
export const REFERENCE_DOF_UM = depthOfFieldUm(DEFAULT_OPTICS);

/** OOF iff |Δz| ≥ this many depths of field (5 µm at the reference optics). */
export const OOF_THRESHOLD_DOF = OOF_THRESHOLD_UM / REFERENCE_DOF_UM;
/** In-focus frames stay within this many depths of field (2.5 µm at the reference optics). */
export const IN_FOCUS_MAX_DOF = IN_FOCUS_MAX_DZ_UM / REFERENCE_DOF_UM;

/** OOF label of a defocus given in depths of field. */
export function oofLabelDof(dzDof: number): 0 | 1 {
  return Math.abs(dzDof) >= OOF_THRESHOLD_DOF ? 1 : 0;
}

/**
 * Report bins of |Δz| in DOF units: in focus (0), near focus, then OOF bins
 * from the threshold up to far from focus. Labels are stable strings.
 */
export const DOF_BINS: readonly { label: string; lo: number; hi: number }[] = Object.freeze([
  { label: '0', lo: 0, hi: 0 },
  { label: '0-0.44', lo: 0, hi: IN_FOCUS_MAX_DOF + 1e-9 },
  { label: '0.885-1.2', lo: OOF_THRESHOLD_DOF - 1e-9, hi: 1.2 },
  { label: '1.2-1.8', lo: 1.2, hi: 1.8 },
  { label: '1.8-3', lo: 1.8, hi: 3 },
  { label: '3-6', lo: 3, hi: 6.000001 },
]);

/** Bin label of a |Δz| in DOF units (undefined in the unsimulated gap). */
export function dofBin(dzDof: number): string | undefined {
  const a = Math.abs(dzDof);
  if (a === 0) return '0';
  for (const b of DOF_BINS.slice(1)) if (a > b.lo && a <= b.hi) return b.label;
  return undefined;
}
