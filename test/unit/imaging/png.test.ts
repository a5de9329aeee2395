import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../main/imaging/image.js';
import {
  applyColormap,
  colormapColor,
  colormapPng,
  decodePng,
  encodePng,
  encodeRgbPng,
  imagePng,
  resizeArea,
  toDisplayBytes,
} from '../../../main/imaging/png.js';

describe('encodePng / encodeRgbPng', () => {
  it('round-trips grayscale and RGB rasters through pngjs', () => {
    const gray = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
    const png = encodePng(gray, 6, 4);
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    expect(png[25]).toBe(0); // IHDR colour type 0 = grayscale
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([6, 4]);
    for (let i = 0; i < gray.length; i++) expect(back.rgba.subarray(4 * i, 4 * i + 4)).toEqual(Uint8Array.from([gray[i]!, gray[i]!, gray[i]!, 255]));

    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const rgbPng = encodeRgbPng(rgb, 2, 2);
    expect(rgbPng[25]).toBe(2);
    expect(Array.from(decodePng(rgbPng).rgba)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255]);
  });
  it('rejects a raster of the wrong length', () => {
    expect(() => encodePng(new Uint8Array(5), 2, 3)).toThrow(/got 5 bytes, expected 2·3·1 = 6/);
  });
});

describe('toDisplayBytes', () => {
  it('quantises [0, 1] to 0–255 with clamping, and stretches on request', () => {
    const img = makeImage(4, 1, Float32Array.from([-0.2, 0.2, 0.4, 1.3]));
    expect(Array.from(toDisplayBytes(img))).toEqual([0, 51, 102, 255]);
    expect(Array.from(toDisplayBytes(img, { stretch: { low: 0, high: 100 } }))).toEqual([0, 68, 102, 255]);
  });
});

describe('resizeArea', () => {
  it('averages exact 2×2 blocks', () => {
    const img = makeImage(4, 2, Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const r = resizeArea(img, 2);
    expect([r.width, r.height]).toEqual([2, 1]);
    expect(Array.from(r.data)).toEqual([2.5, 4.5]);
  });
  it('weights fractional coverage and preserves the mean', () => {
    const img = makeImage(3, 1, Float32Array.from([0, 3, 6]));
    const r = resizeArea(img, 2); // each output covers 1.5 input pixels
    expect(Array.from(r.data)).toEqual([1, 5]);
    const big = makeImage(101, 77, Float32Array.from({ length: 101 * 77 }, (_, i) => (i % 13) / 13));
    const t = resizeArea(big, 32);
    expect([t.width, t.height]).toEqual([32, 24]);
    const mean = (d: Float32Array) => d.reduce((s, v) => s + v, 0) / d.length;
    expect(Math.abs(mean(t.data) - mean(big.data))).toBeLessThan(0.02);
  });
  it('returns a copy when already small enough', () => {
    const img = makeImage(4, 4);
    const r = resizeArea(img, 8);
    expect(r.data).not.toBe(img.data);
    expect(r.width).toBe(4);
  });
});

describe('colormap', () => {
  it('has magma endpoints and is monotonic in brightness', () => {
    expect(colormapColor(0)).toEqual([0, 0, 4]);
    expect(colormapColor(1)).toEqual([252, 253, 191]);
    expect(colormapColor(0.5)).toEqual([183, 55, 121]);
    let prev = -1;
    for (let k = 0; k <= 20; k++) {
      const [r, g, b] = colormapColor(k / 20);
      const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(lum).toBeGreaterThan(prev);
      prev = lum;
    }
  });
  it('maps min → low end and max → high end, to an RGB PNG', () => {
    const img = makeImage(2, 1, Float32Array.from([0.1, 0.3]));
    expect(Array.from(applyColormap(img))).toEqual([0, 0, 4, 252, 253, 191]);
    expect(Array.from(applyColormap(img, { min: 0, max: 0.2 })).slice(0, 3)).toEqual(colormapColor(128 / 255)); // 256-entry LUT
    const png = decodePng(colormapPng(img));
    expect(Array.from(png.rgba)).toEqual([0, 0, 4, 255, 252, 253, 191, 255]);
  });
  it('imagePng downsizes a frame to a thumbnail', () => {
    const png = decodePng(imagePng(makeImage(200, 100, new Float32Array(20000).fill(0.5)), { maxSide: 50 }));
    expect([png.width, png.height]).toEqual([50, 25]);
    expect(png.rgba[0]).toBe(128);
  });
});
