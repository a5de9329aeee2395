import { describe, expect, it } from 'vitest';
import { makeImage } from '../../../main/imaging/image.js';
import { fromUnitFloat, percentiles, percentileStretch, toUnitFloat } from '../../../main/imaging/normalise.js';

describe('toUnitFloat', () => {
  it('divides by 2^bits − 1 for 8, 12 and 16 bits', () => {
    expect(Array.from(toUnitFloat(Uint8Array.from([0, 51, 255]), 8))).toEqual([0, Math.fround(0.2), 1]);
    expect(Array.from(toUnitFloat(Uint16Array.from([0, 4095]), 12))).toEqual([0, 1]);
    expect(Array.from(toUnitFloat(Uint16Array.from([0, 13107, 65535]), 16))).toEqual([0, Math.fround(0.2), 1]);
  });
  it('saturates samples above the declared bit depth at 1', () => {
    expect(Array.from(toUnitFloat(Uint16Array.from([5000]), 12))).toEqual([1]);
  });
  it('treats bits 32 on floats as already-unit (clamped copy) and scales float samples otherwise', () => {
    const f = Float32Array.from([-0.5, 0.25, 2]);
    const u = toUnitFloat(f, 32);
    expect(Array.from(u)).toEqual([0, 0.25, 1]);
    expect(u).not.toBe(f);
    expect(Array.from(toUnitFloat(Float32Array.from([127.5]), 8))).toEqual([0.5]);
  });
  it('rejects impossible bit depths and NaN', () => {
    expect(() => toUnitFloat(new Uint8Array(2), 12)).toThrow(/Uint8Array cannot hold 12-bit/);
    expect(() => toUnitFloat(new Uint16Array(2), 32)).toThrow(/bits must be an integer 1–16/);
    expect(() => toUnitFloat(Float32Array.from([0, NaN]), 32)).toThrow(/sample 1 is NaN/);
  });
});

describe('fromUnitFloat', () => {
  it('rounds half up and clamps', () => {
    const v = Float32Array.from([-1, 0, 0.5 / 255, 1.49 / 255, 0.5, 1, 3]);
    expect(Array.from(fromUnitFloat(v, 8))).toEqual([0, 0, 1, 1, 128, 255, 255]);
    const w = fromUnitFloat(Float32Array.from([0, 0.5, 1]), 16);
    expect(w).toBeInstanceOf(Uint16Array);
    expect(Array.from(w)).toEqual([0, 32768, 65535]);
  });
  it('round-trips every 8-bit and 16-bit code', () => {
    const b8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromUnitFloat(toUnitFloat(b8, 8), 8)).toEqual(b8);
    const b16 = Uint16Array.from({ length: 65536 }, (_, i) => i);
    expect(fromUnitFloat(toUnitFloat(b16, 16), 16)).toEqual(b16);
  });
  it('rejects NaN and bad bit depths', () => {
    expect(() => fromUnitFloat(Float32Array.from([NaN]), 8)).toThrow(/value 0 is NaN/);
    expect(() => fromUnitFloat(new Float32Array(1), 17)).toThrow(/bits/);
  });
});

describe('percentiles and percentileStretch', () => {
  it('match numpy.percentile (linear)', () => {
    const d = Float32Array.from([4, 1, 3, 2, 5]);
    // np.percentile([1,2,3,4,5], [0, 10, 50, 99.5, 100]) = [1, 1.4, 3, 4.98, 5]
    const p = percentiles(d, [0, 10, 50, 99.5, 100]);
    [1, 1.4, 3, 4.98, 5].forEach((e, i) => expect(p[i]).toBeCloseTo(e, 6));
  });
  it('maps the chosen percentiles to 0 and 1 and clamps outside', () => {
    const img = makeImage(5, 1, Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5]));
    const s = percentileStretch(img, { low: 25, high: 75 });
    expect(Array.from(s.data).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 0.5, 1, 1]);
  });
  it('maps a flat image to 0 and rejects low ≥ high', () => {
    const flat = makeImage(3, 3, new Float32Array(9).fill(0.7));
    expect(Array.from(percentileStretch(flat).data)).toEqual(new Array(9).fill(0));
    expect(() => percentileStretch(flat, { low: 60, high: 40 })).toThrow(/below high/);
  });
});
