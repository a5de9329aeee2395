import { describe, expect, it } from 'vitest';
import { canny } from '../../../main/imaging/canny.js';
import { makeImage } from '../../../main/imaging/image.js';
import { fixtureImage, reference, unpackMask } from './reference.js';

function agreement(ours: Uint8Array, theirs: Uint8Array): { union: number; differing: number } {
  let union = 0;
  let differing = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] || theirs[i]) union++;
    if (ours[i] !== theirs[i]) differing++;
  }
  return { union, differing };
}

describe('canny vs skimage.feature.canny (float64 reference)', () => {
  for (const c of reference.canny.filter((k) => !k.float32Input)) {
    const label = `${c.image} sigma=${c.sigma}${c.lowThreshold !== undefined ? ` low=${c.lowThreshold} high=${c.highThreshold}` : ''}`;
    it(`matches the skimage edge mask exactly: ${label}`, () => {
      const img = fixtureImage(c.image);
      const ours = canny(img, { sigma: c.sigma, lowThreshold: c.lowThreshold, highThreshold: c.highThreshold });
      const theirs = unpackMask(c.mask, img.data.length);
      const { differing } = agreement(ours, theirs);
      expect(differing, `${label}: pixels differing from skimage`).toBe(0);
    });
  }
});

describe('canny vs skimage run on float32 input', () => {
  it('agrees on ≥ 98% of edge pixels (skimage smooths float32 in float32)', () => {
    for (const c of reference.canny.filter((k) => k.float32Input)) {
      const img = fixtureImage(c.image);
      const { union, differing } = agreement(canny(img, { sigma: c.sigma }), unpackMask(c.mask, img.data.length));
      expect(1 - differing / union, `${c.image}: edge agreement`).toBeGreaterThanOrEqual(0.98);
    }
  });
});

describe('canny on small arrays', () => {
  it('marks a vertical step like skimage (two tied columns) and nothing on the 1-pixel frame', () => {
    const w = 12;
    const h = 10;
    const d = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 6; x < w; x++) d[y * w + x] = 1;
    const e = canny(makeImage(w, h, d), { sigma: 1 });
    const cols = new Set<number>();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!e[y * w + x]) continue;
        cols.add(x);
        expect(y > 0 && y < h - 1 && x > 0 && x < w - 1, `edge on the border at (${y}, ${x})`).toBe(true);
      }
    }
    // skimage marks both columns of a step exactly between pixels (the two
    // magnitudes tie and its test is `neighbour <= m`), rows 1..8.
    expect([...cols].sort()).toEqual([5, 6]);
    let count = 0;
    for (let i = 0; i < e.length; i++) count += e[i]!;
    expect(count).toBe(2 * (h - 2));
  });

  it('returns no edges on a constant image', () => {
    const e = canny(makeImage(9, 9, new Float32Array(81).fill(0.5)));
    expect(e.every((v) => v === 0)).toBe(true);
  });

  it('rejects bad input with a clear error', () => {
    expect(() => canny(makeImage(4, 4), { sigma: 0 })).toThrow(/sigma/);
    expect(() => canny(makeImage(4, 4), { lowThreshold: 0.3, highThreshold: 0.2 })).toThrow(/lowThreshold/);
    const d = new Float32Array(16);
    d[5] = NaN;
    expect(() => canny(makeImage(4, 4, d))).toThrow(/y=1, x=1/);
    expect(() => canny({ width: 4, height: 4, data: new Float32Array(15) })).toThrow(/15 values/);
  });
});
