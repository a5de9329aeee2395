import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../main/imaging/image.js';
import {
  focusMetrics,
  laplacianVariance,
  normalizedVariance,
  powerLogLogSlope,
  radialPowerSpectrum,
  spatialFocusMetrics,
  tenenbaum,
  vollathF4,
  vollathF5,
} from '../../../../main/imaging/metrics/focus.js';
import { fixtureImage, reference, relClose } from '../reference.js';

const names = Object.keys(reference.focus);

describe('focus metrics vs numpy / scipy (fixtures)', () => {
  for (const name of names) {
    const ref = reference.focus[name]!;
    const img = fixtureImage(name);
    it(`${name}: each metric within 1e-9 relative`, () => {
      const got = {
        tenenbaum: tenenbaum(img),
        vollathF4: vollathF4(img),
        vollathF5: vollathF5(img),
        normalizedVariance: normalizedVariance(img),
        laplacianVariance: laplacianVariance(img),
        powerLogLogSlope: powerLogLogSlope(img),
      };
      for (const [k, v] of Object.entries(got)) {
        const expected = ref[k as keyof typeof got];
        expect(relClose(v, expected, 1e-9), `${name}.${k}: ${v} vs reference ${expected}`).toBe(true);
      }
      expect(focusMetrics(img)).toEqual(got);
    });
    it(`${name}: radial power spectrum rings and powers`, () => {
      const spec = radialPowerSpectrum(img);
      expect(spec.radii).toEqual(ref.spectrumRadii);
      spec.power.forEach((p, i) => expect(relClose(p, ref.spectrumPower[i]!, 1e-9), `ring ${spec.radii[i]}: ${p}`).toBe(true));
    });
  }

  it('ranks the in-focus truth above its blurred copy on every sharpness metric', () => {
    const sharp = focusMetrics(fixtureImage('truth'));
    const blurred = focusMetrics(fixtureImage('blurred'));
    expect(sharp.tenenbaum).toBeGreaterThan(blurred.tenenbaum);
    expect(sharp.vollathF4).toBeGreaterThan(blurred.vollathF4);
    expect(sharp.vollathF5).toBeGreaterThan(blurred.vollathF5);
    expect(sharp.normalizedVariance).toBeGreaterThan(blurred.normalizedVariance);
    expect(sharp.laplacianVariance).toBeGreaterThan(blurred.laplacianVariance);
    expect(sharp.powerLogLogSlope).toBeGreaterThan(blurred.powerLogLogSlope);
  });
});

describe('pinned values on small arrays', () => {
  it('tiny 8×8 (scipy): tenenbaum and Laplacian variance', () => {
    const t = makeImage(8, 8, Float32Array.from(reference.tiny.a));
    expect(relClose(tenenbaum(t), 2.0620931005895735, 1e-12)).toBe(true);
    expect(relClose(laplacianVariance(t), 1.3328993420303406, 1e-12)).toBe(true);
  });

  it('a 3×3 horizontal ramp 0, 0.5, 1', () => {
    const r = makeImage(3, 3, Float32Array.from([0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1]));
    // Sobel gx with reflect borders: 4·0.5 = 2 at the edge columns, 4·1 = 4 in the middle; gy = 0.
    expect(tenenbaum(r)).toBeCloseTo((3 * 4 + 3 * 16 + 3 * 4) / 9, 12);
    // lag-1 products per row: 0 + 0.5 = 0.5; lag-2: 0 → F4 = 3·0.5/9.
    expect(vollathF4(r)).toBeCloseTo(1.5 / 9, 12);
    expect(vollathF5(r)).toBeCloseTo(1.5 / 9 - 0.25, 12);
    expect(normalizedVariance(r)).toBeCloseTo(1 / 6 / 0.5, 12);
    // Laplacian rows: [0.5, 0, −0.5] (reflect) → var = 1/6.
    expect(laplacianVariance(r)).toBeCloseTo(1 / 6, 12);
  });

  it('a constant image: zero gradients, zero normalised variance, undefined slope', () => {
    const c = makeImage(16, 16, new Float32Array(256).fill(0.3));
    const m = focusMetrics(c);
    expect(m.tenenbaum).toBe(0);
    expect(m.laplacianVariance).toBe(0);
    expect(m.normalizedVariance).toBe(0);
    expect(m.vollathF4).toBeCloseTo(0.09 * (15 - 14) * 16 / 256, 7);
    expect(m.powerLogLogSlope).toBeNaN();
  });

  it('power slope of a 1/f² random-phase field is close to −2', () => {
    // Deterministic: a sum of cosines with amplitude ∝ 1/f on an LCG phase sequence.
    const n = 64;
    const d = new Float64Array(n * n);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let ky = -n / 2; ky < n / 2; ky++) {
      for (let kx = 0; kx < n / 2; kx++) {
        const f = Math.hypot(ky, kx);
        if (f < 1) continue;
        const phase = 2 * Math.PI * rand();
        for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) d[y * n + x] = d[y * n + x]! + Math.cos((2 * Math.PI * (ky * y + kx * x)) / n + phase) / f;
      }
    }
    const img = makeImage(n, n, Float32Array.from(d, (v) => 0.5 + v / 200));
    expect(powerLogLogSlope(img, { fMin: 0.05, fMax: 0.4 })).toBeCloseTo(-2, 0);
  });
});

describe('input validation', () => {
  it('rejects images that are too small, NaN pixels and a bad band', () => {
    expect(() => tenenbaum(makeImage(2, 5))).toThrow(/at least 3×3/);
    expect(() => powerLogLogSlope(makeImage(7, 64))).toThrow(/at least 8×8/);
    expect(() => powerLogLogSlope(makeImage(8, 8, new Float32Array(64).fill(0.5)))).toThrow(/need ≥ 3/);
    expect(() => powerLogLogSlope(makeImage(32, 32), { fMin: 0.3, fMax: 0.2 })).toThrow(/fMin < fMax/);
    const d = new Float32Array(64).fill(0.5);
    d[63] = Infinity;
    expect(() => focusMetrics(makeImage(8, 8, d))).toThrow(/y=7, x=7/);
  });
  it('rejects a negative-mean image for the normalised variance', () => {
    expect(() => normalizedVariance(makeImage(3, 3, Float32Array.from([-1, -1, -1, 0, 0, 0, -1, -1, -1])))).toThrow(/positive mean/);
  });
});

describe('spatialFocusMetrics (the metrics the station stores)', () => {
  it('equals focusMetrics without the spectrum slope on every fixture', () => {
    for (const name of names) {
      const img = fixtureImage(name);
      const { powerLogLogSlope: _slope, ...spatial } = focusMetrics(img);
      expect(spatialFocusMetrics(img), name).toEqual(spatial);
    }
  });
  it('works on frames too small for the spectrum (3×3) and rejects 2×N', () => {
    const img = makeImage(3, 3, Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]));
    const m = spatialFocusMetrics(img);
    expect(m.tenenbaum).toBeCloseTo(tenenbaum(img), 12);
    expect(m.vollathF4).toBeCloseTo(vollathF4(img), 12);
    expect(m.laplacianVariance).toBeCloseTo(laplacianVariance(img), 12);
    expect(() => spatialFocusMetrics(makeImage(2, 5))).toThrow(/at least 3×3/);
  });
});
