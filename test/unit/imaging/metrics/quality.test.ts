import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../../main/imaging/image.js';
import { canny } from '../../../../main/imaging/canny.js';
import { edgePcc, maskedPcc, mse, pcc, psnr, ssim } from '../../../../main/imaging/metrics/quality.js';
import { fixtureImage, reference, relClose } from '../reference.js';

const img = (w: number, h: number, values: number[]) => makeImage(w, h, Float32Array.from(values));

describe('full-reference metrics vs scikit-image / numpy (fixtures)', () => {
  for (const c of reference.fullReference) {
    const label = `${c.test} vs ${c.truth}`;
    const a = fixtureImage(c.test);
    const t = fixtureImage(c.truth);
    it(`psnr ${label}`, () => expect(relClose(psnr(t, a), c.psnr, 1e-9), `psnr ${psnr(t, a)} vs ${c.psnr}`).toBe(true));
    it(`ssim ${label}`, () => {
      const s = ssim(a, t);
      expect(relClose(s, c.ssim, 1e-9), `ssim ${s} vs skimage ${c.ssim}`).toBe(true);
      expect(ssim(t, a)).toBeCloseTo(s, 12);
    });
    it(`pcc ${label}`, () => expect(relClose(pcc(a, t), c.pcc, 1e-9), `pcc ${pcc(a, t)} vs ${c.pcc}`).toBe(true));
    it(`edgePcc ${label}`, () => {
      const mask = canny(t, { sigma: 2 });
      expect(mask.reduce((s, v) => s + v, 0), 'edge pixels of canny(truth, 2)').toBe(c.edgePixels);
      const e = edgePcc(a, t, t);
      expect(relClose(e, c.edgePcc, 1e-9), `edgePcc ${e} vs ${c.edgePcc}`).toBe(true);
      expect(maskedPcc(a, t, mask)).toBe(e);
    });
  }
});

describe('pinned values on a tiny 8×8 pair (numbers from skimage 0.19.3)', () => {
  const a = img(8, 8, reference.tiny.a);
  const b = img(8, 8, reference.tiny.b);
  it('psnr', () => expect(psnr(a, b)).toBeCloseTo(21.409921902580216, 10));
  it('ssim', () => expect(ssim(a, b)).toBeCloseTo(0.9577620953670123, 10));
  it('pcc', () => expect(pcc(a, b)).toBeCloseTo(0.9563495071206215, 12));
  it('fixture agrees with the literals', () => {
    expect(reference.tiny.psnr).toBeCloseTo(21.409921902580216, 12);
    expect(reference.tiny.ssim).toBeCloseTo(0.9577620953670123, 12);
  });
});

describe('hand-checkable values', () => {
  it('psnr: MSE 0.01 → 20 dB; dataRange 255 scales; identical → Infinity', () => {
    const a = img(2, 2, [0, 0, 0, 0]);
    const b = img(2, 2, [0.1, 0.1, 0.1, 0.1]);
    expect(mse(a, b)).toBeCloseTo(0.01, 8);
    expect(psnr(a, b)).toBeCloseTo(20, 5);
    expect(psnr(a, b, 2)).toBeCloseTo(20 + 20 * Math.log10(2), 5);
    expect(psnr(a, a)).toBe(Infinity);
  });

  it('ssim: identical → 1; constant images of different levels → (2μxμy + C1)/(μx² + μy² + C1)', () => {
    const x = makeImage(9, 9, Float32Array.from({ length: 81 }, (_, i) => (i * 37 % 11) / 10));
    expect(ssim(x, x)).toBeCloseTo(1, 12);
    const p = makeImage(7, 7, new Float32Array(49).fill(0.25));
    const q = makeImage(7, 7, new Float32Array(49).fill(0.75));
    const c1 = 0.01 ** 2;
    expect(ssim(p, q)).toBeCloseTo((2 * 0.25 * 0.75 + c1) / (0.25 ** 2 + 0.75 ** 2 + c1), 12);
  });

  it('pcc: exact on a linear relation, −1 when reversed, NaN for a constant image', () => {
    const a = img(3, 1, [1, 2, 3]);
    expect(pcc(a, img(3, 1, [2, 4, 6]))).toBeCloseTo(1, 12);
    expect(pcc(a, img(3, 1, [3, 2, 1]))).toBeCloseTo(-1, 12);
    expect(pcc(img(4, 1, [1, 2, 3, 4]), img(4, 1, [1, 3, 2, 4]))).toBeCloseTo(0.8, 12);
    expect(pcc(a, img(3, 1, [5, 5, 5]))).toBeNaN();
  });

  it('edgePcc is NaN when the truth has no edges', () => {
    const flat = makeImage(16, 16, new Float32Array(256).fill(0.5));
    const other = makeImage(16, 16, Float32Array.from({ length: 256 }, (_, i) => (i % 7) / 7));
    expect(edgePcc(other, flat, flat)).toBeNaN();
  });
});

describe('input validation', () => {
  const a = makeImage(8, 8);
  it('rejects a size mismatch naming both sizes', () => {
    expect(() => psnr(a, makeImage(8, 9))).toThrow(/8×8.*8×9/);
    expect(() => pcc(a, makeImage(9, 8))).toThrow(/size mismatch/);
    expect(() => edgePcc(a, a, makeImage(9, 8))).toThrow(/truth/);
  });
  it('rejects NaN pixels', () => {
    const d = new Float32Array(64);
    d[10] = NaN;
    expect(() => ssim(a, makeImage(8, 8, d))).toThrow(/y=1, x=2.*NaN/);
  });
  it('rejects images smaller than the SSIM window and bad options', () => {
    expect(() => ssim(makeImage(6, 8), makeImage(6, 8))).toThrow(/at least 7×7/);
    expect(() => ssim(a, a, { winSize: 4 })).toThrow(/odd/);
    expect(() => psnr(a, a, 0)).toThrow(/dataRange/);
    expect(() => maskedPcc(a, a, new Uint8Array(3))).toThrow(/mask has 3 values/);
  });
});
