import { describe, expect, it } from 'vitest';
import { BandFft, fft1d, fft2, ifft2 } from '../../../main/simulation/fft2.js';

describe('2-D FFT on fft.js', () => {
  it('matches a direct DFT on an 8×8 complex array', () => {
    const n = 8;
    const a = Float64Array.from({ length: 2 * n * n }, (_, i) => Math.sin(i * 1.7) + (i % 3));
    const out = new Float64Array(2 * n * n);
    fft2(a, out, n);
    for (const [ky, kx] of [
      [0, 0],
      [1, 3],
      [5, 7],
    ] as const) {
      let re = 0;
      let im = 0;
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const ang = (-2 * Math.PI * (kx * x + ky * y)) / n;
          const ar = a[2 * (y * n + x)]!;
          const ai = a[2 * (y * n + x) + 1]!;
          re += ar * Math.cos(ang) - ai * Math.sin(ang);
          im += ar * Math.sin(ang) + ai * Math.cos(ang);
        }
      }
      expect(out[2 * (ky * n + kx)]).toBeCloseTo(re, 9);
      expect(out[2 * (ky * n + kx) + 1]).toBeCloseTo(im, 9);
    }
    const back = new Float64Array(2 * n * n);
    ifft2(out, back, n);
    for (let i = 0; i < a.length; i++) expect(back[i]).toBeCloseTo(a[i]!, 12);
  });

  it('keeps only the columns inside the cut-off in band layout', () => {
    const b = new BandFft(16, 3);
    expect(Array.from(b.columns)).toEqual([13, 14, 15, 0, 1, 2, 3]);
    expect(b.createBand().length).toBe(2 * 16 * 7);
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => fft1d(281)).toThrow(/power of two/);
  });
});
