import { describe, expect, it } from 'vitest';
import { samplesToUnit, unitToSamples } from '../../../main/imaging/sample.js';

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
