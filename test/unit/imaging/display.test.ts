import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { downscaleArea, encodeDisplayPng, encodeRgbPng, inferno, percentileWindow } from '../../../main/imaging/display.js';
import { makeImage } from '../../../main/imaging/image.js';

describe('percentileWindow', () => {
  it('spans the 0.5th to 99.5th percentile, ignoring a few outliers', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => 0.2 + (0.4 * i) / 999);
    data[0] = -5;
    data[999] = 40;
    const w = percentileWindow(makeImage(1000, 1, data));
    expect(w.low).toBeGreaterThan(-5);
    expect(w.low).toBeCloseTo(0.2, 1);
    expect(w.high).toBeLessThan(40);
    expect(w.high).toBeCloseTo(0.6, 1);
  });
  it('gives a flat image a window of width 1e-6 at its value', () => {
    const w = percentileWindow(makeImage(3, 3, new Float32Array(9).fill(0.3)));
    expect(w.low).toBeCloseTo(0.3, 6);
    expect(w.high - w.low).toBeCloseTo(1e-6, 9);
  });
});

describe('downscaleArea', () => {
  it('averages exact 2×2 blocks', () => {
    const r = downscaleArea(makeImage(4, 2, Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7])), 2);
    expect([r.width, r.height]).toEqual([2, 1]);
    expect(Array.from(r.data)).toEqual([2.5, 4.5]);
  });
  it('weights fractional coverage and preserves the mean', () => {
    expect(Array.from(downscaleArea(makeImage(3, 1, Float32Array.from([0, 3, 6])), 2).data)).toEqual([1, 5]);
    const big = makeImage(101, 77, Float32Array.from({ length: 101 * 77 }, (_, i) => (i % 13) / 13));
    const t = downscaleArea(big, 32);
    expect([t.width, t.height]).toEqual([32, 24]);
    const mean = (d: Float32Array) => d.reduce((s, v) => s + v, 0) / d.length;
    expect(Math.abs(mean(t.data) - mean(big.data))).toBeLessThan(0.02);
  });
  it('never upscales: a small image comes back as it is', () => {
    const img = makeImage(4, 4);
    expect(downscaleArea(img, 8)).toBe(img);
  });
  it('rejects a size that is not a positive integer', () => {
    expect(() => downscaleArea(makeImage(4, 4), 0)).toThrow(/maxSide must be a positive integer, got 0/);
  });
});

describe('encodeDisplayPng', () => {
  it('maps the window to black…white, clamping outside it', () => {
    const img = makeImage(4, 1, Float32Array.from([0.1, 0.2, 0.3, 0.9]));
    const png = PNG.sync.read(encodeDisplayPng(img, { low: 0.1, high: 0.3 }, 'grey'));
    expect(Array.from(png.data)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  });
  it('colours the heat map with inferno and alpha growing with the value', () => {
    const img = makeImage(2, 1, Float32Array.from([0, 1]));
    const png = PNG.sync.read(encodeDisplayPng(img, { low: 0, high: 1 }, 'heat'));
    expect(Array.from(png.data)).toEqual([0, 0, 4, 60, 252, 255, 164, 255]);
  });
});

describe('inferno', () => {
  it('runs dark to bright', () => {
    let prev = -1;
    for (let k = 0; k <= 20; k++) {
      const [r, g, b] = inferno(k / 20);
      const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(lum).toBeGreaterThan(prev);
      prev = lum;
    }
  });
});

describe('encodeRgbPng', () => {
  it('round-trips an RGB raster and rejects a raster of the wrong length', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = PNG.sync.read(encodeRgbPng(rgb, 2, 2));
    expect(Array.from(png.data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255]);
    expect(() => encodeRgbPng(new Uint8Array(5), 2, 1)).toThrow(/got 5 bytes, expected 2·1·3 = 6/);
  });
});
