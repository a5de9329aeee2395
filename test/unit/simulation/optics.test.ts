import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTICS, imageNaive, PhaseContrastOptics, pupilCutoffIndex } from '../../../main/simulation/optics.js';

const N = 128;
const CROP = { x0: 0, y0: 0, w: N, h: N };

/** Field of a sphere of phase φmax (radius r px) at the grid centre, with weak absorption. */
function sphereField(phiMax: number, r: number, absorption = 0): Float64Array {
  const f = new Float64Array(2 * N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const q = ((x - 64) ** 2 + (y - 64) ** 2) / (r * r);
      const t = q < 1 ? Math.sqrt(1 - q) : 0;
      const amp = Math.exp(-absorption * t);
      f[2 * (y * N + x)] = amp * Math.cos(phiMax * t);
      f[2 * (y * N + x) + 1] = amp * Math.sin(phiMax * t);
    }
  }
  return f;
}

function meanInRing(img: Float32Array, r0: number, r1: number): number {
  let s = 0;
  let n = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const r = Math.hypot(x - 64, y - 64);
      if (r >= r0 && r < r1) {
        s += img[y * N + x]!;
        n++;
      }
    }
  }
  return s / n;
}

describe('phase-contrast optics', () => {
  it('has the NA-limited pupil of a 20×/0.4 objective at 0.325 µm/px', () => {
    // NA/λ = 0.727 cycles/µm; bin width 1/(512·0.325) → 121 bins.
    expect(pupilCutoffIndex(DEFAULT_OPTICS, 512)).toBe(121);
    expect(pupilCutoffIndex(DEFAULT_OPTICS, 128)).toBe(30);
  });

  it('images an empty field to exactly 1 at any Δz', () => {
    const f = new Float64Array(2 * N * N);
    for (let i = 0; i < N * N; i++) f[2 * i] = 1;
    const o = new PhaseContrastOptics(N);
    o.setField(f);
    for (const dz of [0, 5, -10]) {
      const img = o.image(dz, CROP, new Float32Array(N * N));
      expect(Math.max(...img)).toBeCloseTo(1, 6);
      expect(Math.min(...img)).toBeCloseTo(1, 6);
    }
  });

  it('Δz = 0 reproduces the in-focus image (the propagator is the identity)', () => {
    const o = new PhaseContrastOptics(N);
    o.setField(sphereField(2, 12));
    const inFocus = o.image(0, CROP, new Float32Array(N * N));
    const tiny = o.image(1e-9, CROP, new Float32Array(N * N));
    for (let i = 0; i < N * N; i++) expect(Math.abs(tiny[i]! - inFocus[i]!)).toBeLessThan(1e-6);
    // A phase object in positive phase contrast: dark centre, bright halo (pinned).
    expect(meanInRing(inFocus, 0, 4)).toBeCloseTo(0.0082, 3);
    expect(meanInRing(inFocus, 13, 20)).toBeCloseTo(1.5875, 3);
  });

  it('the pruned transform pair matches the full 2-D FFT reference', () => {
    const field = sphereField(3, 15, 0.1);
    const o = new PhaseContrastOptics(N);
    o.setField(field);
    for (const dz of [0, 7.3]) {
      const fast = o.image(dz, { x0: 10, y0: 20, w: 90, h: 70 }, new Float32Array(90 * 70));
      const ref = imageNaive(field, N, dz, { x0: 10, y0: 20, w: 90, h: 70 });
      let worst = 0;
      for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - ref[i]!));
      expect(worst, `Δz=${dz}`).toBeLessThan(1e-5);
    }
  });

  it('propagation conserves energy (Parseval)', () => {
    const o = new PhaseContrastOptics(N);
    o.setField(sphereField(2.5, 10, 0.2));
    // Without the ring, |T| = 1 inside the pupil for every Δz: the energy of
    // the band-limited field is the same in every plane.
    const energy = (dz: number): number => o.image(dz, CROP, new Float32Array(N * N), { ring: false }).reduce((s, v) => s + v, 0);
    const e0 = energy(0);
    for (const dz of [-10, -5, 2.5, 10]) expect(Math.abs(energy(dz) - e0) / e0, `Δz=${dz}`).toBeLessThan(1e-6);
    expect(e0).toBeCloseTo(16306.07, 1);
  });

  it('the defocus contrast change of a thick phase object inverts across focus', () => {
    // A cell-like lens (φmax 3 rad, 5 µm radius): past focus it converges light
    // (brighter centre), before focus it diverges it (darker centre).
    const o = new PhaseContrastOptics(N);
    o.setField(sphereField(3, 15));
    const contrast = (dz: number): number => {
      const img = o.image(dz, CROP, new Float32Array(N * N));
      return meanInRing(img, 0, 6) - meanInRing(img, 15, 25);
    };
    const c0 = contrast(0);
    for (const dz of [5, 10]) {
      const plus = contrast(dz) - c0;
      const minus = contrast(-dz) - c0;
      expect(Math.sign(plus), `Δz=±${dz}: +${plus.toFixed(3)} / −${minus.toFixed(3)}`).toBe(-Math.sign(minus));
    }
    expect(c0).toBeCloseTo(-1.2568, 3);
    expect(contrast(5) - c0).toBeCloseTo(0.0876, 3);
    expect(contrast(-5) - c0).toBeCloseTo(-0.0565, 3);
  });
});
