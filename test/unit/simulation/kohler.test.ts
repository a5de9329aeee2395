import { describe, expect, it } from 'vitest';
import { condenserSources, KohlerMicroscope, type KohlerParams } from '../../../main/simulation/kohler.js';

const N = 128;
const CROP = { x0: 0, y0: 0, w: N, h: N };

function params(over: Partial<KohlerParams> = {}): KohlerParams {
  return {
    modality: 'brightfield',
    wavelengthUm: 0.55,
    mediumIndex: 1.33,
    numericalAperture: 0.4,
    pixelSizeUm: 0.325,
    condenserNA: 0.2,
    ringWidthNA: 0.04,
    ringAmplitude: 0.5,
    ringPhaseRad: -Math.PI / 2,
    sourcePoints: 12,
    ...over,
  };
}

/** Weak, non-absorbing phase sphere (peak phase φ, radius r px) at the grid centre. */
function sphere(phi: number, r: number): Float64Array {
  const f = new Float64Array(2 * N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const q = ((x - 64) ** 2 + (y - 64) ** 2) / (r * r);
      const p = q < 1 ? phi * Math.sqrt(1 - q) : 0;
      f[2 * (y * N + x)] = Math.cos(p);
      f[2 * (y * N + x) + 1] = Math.sin(p);
    }
  }
  return f;
}

function centreMean(img: Float32Array, r: number): number {
  let s = 0;
  let n = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      if (Math.hypot(x - 64, y - 64) < r) {
        s += img[y * N + x]!;
        n++;
      }
    }
  }
  return s / n;
}

describe('condenserSources', () => {
  it('puts phase-contrast sources on the annulus and bright-field sources inside the disc, weights summing to 1', () => {
    const ring = condenserSources(params({ modality: 'phase', condenserNA: 0.2, sourcePoints: 8 }));
    const r = 0.2 / 0.55;
    ring.sx.forEach((x, i) => expect(Math.hypot(x, ring.sy[i]!)).toBeCloseTo(r, 12));
    const disc = condenserSources(params({ condenserNA: 0.2, sourcePoints: 13 }));
    disc.sx.forEach((x, i) => expect(Math.hypot(x, disc.sy[i]!)).toBeLessThanOrEqual(r + 1e-12));
    expect(disc.w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('KohlerMicroscope', () => {
  it.each(['brightfield', 'phase'] as const)('images an empty field to 1 at any defocus (%s)', (modality) => {
    const mic = new KohlerMicroscope(N, params({ modality }));
    const empty = new Float64Array(2 * N * N);
    for (let i = 0; i < N * N; i++) empty[2 * i] = 1;
    mic.setField(empty);
    for (const dz of [0, 3, -7]) {
      const img = mic.image(dz, CROP);
      for (let i = 0; i < img.length; i += 97) expect(img[i]).toBeCloseTo(1, 6);
    }
  });

  it('bright field: a weak phase object is faint in focus and its contrast inverts across focus', () => {
    const mic = new KohlerMicroscope(N, params({ condenserNA: 0.12 }));
    mic.setField(sphere(0.3, 6));
    const c0 = centreMean(mic.image(0, CROP), 4) - 1;
    const cp = centreMean(mic.image(2, CROP), 4) - 1;
    const cm = centreMean(mic.image(-2, CROP), 4) - 1;
    // Pinned values of this configuration (centre contrast at 0, +2, −2 µm).
    expect(c0).toBeCloseTo(0.0018, 4);
    expect(cp).toBeCloseTo(0.0421, 4);
    expect(cm).toBeCloseTo(-0.0363, 4);
    expect(Math.abs(c0)).toBeLessThan(Math.min(Math.abs(cp), Math.abs(cm)) / 10);
  });

  it('phase contrast (θ = −π/2): a phase object is dark in focus with a bright halo', () => {
    const mic = new KohlerMicroscope(N, params({ modality: 'phase', condenserNA: 0.1, ringWidthNA: 0.04, ringAmplitude: 0.4 }));
    mic.setField(sphere(0.5, 8));
    const img = mic.image(0, CROP);
    expect(centreMean(img, 5)).toBeLessThan(0.8);
    let halo = 0;
    for (let x = 73; x < 80; x++) halo = Math.max(halo, img[64 * N + x]!);
    expect(halo).toBeGreaterThan(1.02);
  });

  it('defocus blurs: the image at 4 DOF differs from focus far more than at 0.2 DOF', () => {
    const mic = new KohlerMicroscope(N, params({ modality: 'phase', condenserNA: 0.15 }));
    mic.setField(sphere(0.5, 8));
    const f = mic.image(0, CROP);
    const rms = (a: Float32Array): number => Math.sqrt(a.reduce((s, v, i) => s + (v - f[i]!) ** 2, 0) / a.length);
    expect(rms(mic.image(1.1, CROP))).toBeLessThan(rms(mic.image(22, CROP)) / 3);
  });
});
