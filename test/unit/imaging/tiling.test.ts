import { describe, expect, it } from 'vitest';
import { makeImage, type Image } from '../../../main/imaging/image.js';
import { cropTo, padTo, planTiles, rampWeights, roundUpToMultiple } from '../../../main/imaging/tiling.js';

function seeded(w: number, h: number, seed = 1): Image {
  let s = seed;
  return makeImage(w, h, Float32Array.from({ length: w * h }, () => ((s = (s * 16807) % 2147483647) / 2147483647)));
}

describe('padTo / cropTo', () => {
  it('reflect-pads without repeating the edge pixel (numpy mode "reflect")', () => {
    const img = makeImage(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
    const p = padTo(img, 6, 4);
    // np.pad([[1,2,3],[4,5,6]], ((0,2),(0,3)), mode='reflect')
    expect(Array.from(p.data)).toEqual([1, 2, 3, 2, 1, 2, 4, 5, 6, 5, 4, 5, 1, 2, 3, 2, 1, 2, 4, 5, 6, 5, 4, 5]);
  });
  it('pads to multiples of 16 and crops back exactly', () => {
    const img = seeded(37, 50);
    const p = padTo(img, roundUpToMultiple(img.width, 16), roundUpToMultiple(img.height, 16));
    expect([p.width, p.height]).toEqual([48, 64]);
    expect(cropTo(p, 37, 50).data).toEqual(img.data);
    expect(roundUpToMultiple(32, 16)).toBe(32);
  });
  it('crops an interior region', () => {
    const img = makeImage(4, 3, Float32Array.from({ length: 12 }, (_, i) => i));
    expect(Array.from(cropTo(img, 2, 2, 1, 1).data)).toEqual([5, 6, 9, 10]);
  });
  it('rejects bad sizes', () => {
    expect(() => padTo(makeImage(4, 4), 3, 4)).toThrow(/≥ the image size/);
    expect(() => cropTo(makeImage(4, 4), 3, 3, 2, 0)).toThrow(/does not fit/);
    expect(() => roundUpToMultiple(4, 0)).toThrow(/positive integer/);
  });
});

describe('planTiles', () => {
  it('covers the image with the fewest tiles of the given stride', () => {
    const g = planTiles(300, 200, 128, 32);
    expect(g).toMatchObject({ stride: 96, cols: 3, rows: 2, paddedWidth: 320, paddedHeight: 224 });
    expect(planTiles(50, 40, 64, 16)).toMatchObject({ cols: 1, rows: 1, paddedWidth: 64, paddedHeight: 64 });
  });
  it('rejects an overlap above half the tile and tiles that are not a multiple', () => {
    expect(() => planTiles(100, 100, 64, 33)).toThrow(/overlap/);
    expect(() => planTiles(100, 100, 60, 8, 16)).toThrow(/multiple of 16/);
  });
});

describe('rampWeights', () => {
  it('ramps of neighbouring tiles sum to 1 across the overlap', () => {
    const a = rampWeights(32, 8, false, true);
    const b = rampWeights(32, 8, true, false);
    for (let t = 0; t < 8; t++) expect(a[24 + t]! + b[t]!).toBeCloseTo(1, 14);
    expect(a[0]).toBe(1);
  });
});
