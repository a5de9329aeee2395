import { describe, expect, it } from 'vitest';
import { makeImage, type Image } from '../../../main/imaging/image.js';
import { blendTiles, cropTo, padTo, padToMultiple, planTiles, rampWeights, splitTiles } from '../../../main/imaging/tiling.js';

function seeded(w: number, h: number, seed = 1): Image {
  let s = seed;
  return makeImage(w, h, Float32Array.from({ length: w * h }, () => ((s = (s * 16807) % 2147483647) / 2147483647)));
}

describe('padTo / padToMultiple / cropTo', () => {
  it('reflect-pads without repeating the edge pixel (numpy mode "reflect")', () => {
    const img = makeImage(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
    const p = padTo(img, 6, 4);
    // np.pad([[1,2,3],[4,5,6]], ((0,2),(0,3)), mode='reflect')
    expect(Array.from(p.data)).toEqual([1, 2, 3, 2, 1, 2, 4, 5, 6, 5, 4, 5, 1, 2, 3, 2, 1, 2, 4, 5, 6, 5, 4, 5]);
  });
  it('pads to multiples of 16 and crops back exactly', () => {
    const img = seeded(37, 50);
    const p = padToMultiple(img, 16);
    expect([p.width, p.height]).toEqual([48, 64]);
    expect(cropTo(p, 37, 50).data).toEqual(img.data);
    expect(padToMultiple(makeImage(32, 16), 16).width).toBe(32);
  });
  it('crops an interior region', () => {
    const img = makeImage(4, 3, Float32Array.from({ length: 12 }, (_, i) => i));
    expect(Array.from(cropTo(img, 2, 2, 1, 1).data)).toEqual([5, 6, 9, 10]);
  });
  it('rejects bad sizes', () => {
    expect(() => padTo(makeImage(4, 4), 3, 4)).toThrow(/≥ the image size/);
    expect(() => cropTo(makeImage(4, 4), 3, 3, 2, 0)).toThrow(/does not fit/);
    expect(() => padToMultiple(makeImage(4, 4), 0)).toThrow(/positive integer/);
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

describe('splitTiles → blendTiles', () => {
  it('reproduces the image (identity network) to 1e-6, including a non-multiple size', () => {
    for (const [w, h, ts, ov] of [[150, 97, 64, 16], [64, 64, 64, 0], [33, 200, 32, 8], [20, 10, 32, 8]] as const) {
      const img = seeded(w, h, w * h);
      const { grid, tiles } = splitTiles(img, ts, ov);
      const back = blendTiles(grid, tiles.map((t) => t.image));
      expect([back.width, back.height]).toEqual([w, h]);
      let maxErr = 0;
      for (let i = 0; i < img.data.length; i++) maxErr = Math.max(maxErr, Math.abs(back.data[i]! - img.data[i]!));
      expect(maxErr, `${w}×${h}, tile ${ts}, overlap ${ov}`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('blends tile-dependent constants without seams: no step larger than the ramp allows', () => {
    const { grid, tiles } = splitTiles(makeImage(200, 150), 64, 16);
    const out = blendTiles(grid, tiles.map((t) => makeImage(64, 64, new Float32Array(64 * 64).fill(((t.row * 7 + t.col * 3) % 5) / 4))));
    // The largest per-pixel change of a sin² ramp over 16 pixels is sin(π/16)·1 ≈ 0.195
    // for a unit jump; a hard seam would jump by up to 1.
    let maxStep = 0;
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        const v = out.data[y * out.width + x]!;
        if (x > 0) maxStep = Math.max(maxStep, Math.abs(v - out.data[y * out.width + x - 1]!));
        if (y > 0) maxStep = Math.max(maxStep, Math.abs(v - out.data[(y - 1) * out.width + x]!));
      }
    }
    expect(maxStep).toBeLessThan(0.2);
    expect(maxStep).toBeGreaterThan(0);
  });

  it('ramps of neighbouring tiles sum to 1 across the overlap', () => {
    const a = rampWeights(32, 8, false, true);
    const b = rampWeights(32, 8, true, false);
    for (let t = 0; t < 8; t++) expect(a[24 + t]! + b[t]!).toBeCloseTo(1, 14);
    expect(a[0]).toBe(1);
  });

  it('rejects the wrong number or size of tiles', () => {
    const { grid, tiles } = splitTiles(makeImage(100, 100), 64, 16);
    expect(() => blendTiles(grid, tiles.slice(1))).toThrow(/got 3 tiles/);
    expect(() => blendTiles(grid, [makeImage(32, 32), ...tiles.slice(1)])).toThrow(/tile 0 is 32×32/);
  });
});
