import { describe, expect, it } from 'vitest';
import { effectiveFullScale, maxSample, roundUpToBitDepth, samplesToUnit, unitToSamples } from '../../../main/imaging/sample.js';

describe('samplesToUnit', () => {
  it('divides 8-bit samples by 255 and 16-bit samples by 65535', () => {
    expect(Array.from(samplesToUnit(Uint8Array.of(0, 51, 255)))).toEqual([0, Math.fround(51 / 255), 1]);
    expect(Array.from(samplesToUnit(Uint16Array.of(0, 13107, 65535)))).toEqual([0, Math.fround(13107 / 65535), 1]);
  });

  it('returns float32 samples as they are, NaN included', () => {
    const f = Float32Array.of(0.25, Number.NaN, 1.5);
    expect(samplesToUnit(f)).toBe(f);
  });
});

describe('unitToSamples', () => {
  it('rounds half up at 8 and 16 bits', () => {
    expect(Array.from(unitToSamples(Float32Array.of(0, 0.5, 1), 8))).toEqual([0, 128, 255]);
    expect(Array.from(unitToSamples(Float32Array.of(0, 0.5, 1), 16))).toEqual([0, 32768, 65535]);
    expect(unitToSamples(Float32Array.of(0.5), 8)).toBeInstanceOf(Uint8Array);
    expect(unitToSamples(Float32Array.of(0.5), 16)).toBeInstanceOf(Uint16Array);
  });

  it('clamps to [0, 1] and maps NaN to 0, +Infinity to the maximum, -Infinity to 0', () => {
    const v = Float32Array.of(-0.2, 1.7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    expect(Array.from(unitToSamples(v, 8))).toEqual([0, 255, 0, 255, 0]);
    expect(Array.from(unitToSamples(v, 16))).toEqual([0, 65535, 0, 65535, 0]);
  });

  it('returns float32 output unchanged at 32 bits', () => {
    const f = Float32Array.of(0.1, Number.NaN);
    expect(unitToSamples(f, 32)).toBe(f);
  });

  it('round-trips every 8-bit and 16-bit sample', () => {
    const u8 = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(unitToSamples(samplesToUnit(u8), 8)).toEqual(u8);
    const u16 = Uint16Array.from({ length: 65536 }, (_, i) => i);
    expect(unitToSamples(samplesToUnit(u16), 16)).toEqual(u16);
  });

  it('rejects a bit depth it cannot write', () => {
    expect(() => unitToSamples(Float32Array.of(0), 12 as 8)).toThrow(/bits must be 8, 16 or 32, got 12/);
  });
});

describe('effective full scale (camera bit depth in a 16-bit container)', () => {
  it('rounds a maximum up to a camera bit depth', () => {
    expect(roundUpToBitDepth(200)).toBe(255);
    expect(roundUpToBitDepth(1000)).toBe(1023);
    expect(roundUpToBitDepth(4100)).toBe(16383);
    expect(roundUpToBitDepth(4095)).toBe(4095);
    expect(roundUpToBitDepth(65535)).toBe(65535);
  });

  it('prefers the MaxSampleValue tag, then the run, then the frame', () => {
    expect(effectiveFullScale(16, { maxSampleValue: 4095, observedMax: 3000 })).toBe(4095);
    // A tag the samples exceed is not trusted.
    expect(effectiveFullScale(16, { maxSampleValue: 4095, observedMax: 5000 })).toBe(16383);
    expect(effectiveFullScale(16, { maxSampleValue: 65535, observedMax: 3000 })).toBe(4095);
    // A dim frame of a 12-bit run keeps the run's scale instead of its own 10-bit one.
    expect(effectiveFullScale(16, { observedMax: 900, runFullScale: 4095 })).toBe(4095);
    expect(effectiveFullScale(16, { observedMax: 900 })).toBe(1023);
    expect(effectiveFullScale(8, { observedMax: 12 })).toBe(255);
  });

  it('reads and writes back on the same scale: a 12-bit frame keeps its range', () => {
    const raw = Uint16Array.of(0, 600, 4095, 2048);
    const fs = effectiveFullScale(16, { observedMax: maxSample(raw) });
    const unit = samplesToUnit(raw, fs);
    expect(unit[2]).toBe(1);
    expect(Array.from(unitToSamples(unit, 16, fs))).toEqual([0, 600, 4095, 2048]);
  });
});
