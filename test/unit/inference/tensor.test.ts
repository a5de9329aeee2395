import { describe, expect, it } from 'vitest';
import type { Standardise } from '../../../main/inference/model-registry.js';
import { standardisation, toStandardised } from '../../../main/inference/tensor.js';

const ST: Standardise = { centerPercentile: 50, lowPercentile: 1, highPercentile: 99, minSpreadRel: 0.05, minSpreadAbs: 1e-4, clip: 8 };

function pattern(): Float32Array {
  const x = new Float32Array(64);
  for (let i = 0; i < 64; i++) x[i] = 0.4 + 0.3 * Math.sin(0.7 * i) * Math.cos(0.3 * i);
  return x;
}

describe('classifier standardisation', () => {
  it('matches models/training/common.py standardise (numpy linear percentiles), pinned values', () => {
    const x = pattern();
    const y = toStandardised(x, standardisation(x, ST), ST);
    // Values printed by common.standardise on the same 8×8 array.
    expect(y[0]).toBeCloseTo(0.0032475886, 5);
    expect(y[5]).toBeCloseTo(-0.0098766461, 5);
    expect(y[17]).toBeCloseTo(-0.1203296557, 5);
    expect(y[63]).toBeCloseTo(0.0652799606, 5);
  });

  it('floors the spread relative to the median so a flat frame is not stretched into noise', () => {
    const e = new Float32Array(64).fill(0.5);
    e[0] = 0.52;
    const s = standardisation(e, ST);
    expect(s.spread).toBeCloseTo(0.025, 6);
    const y = toStandardised(e, s, ST);
    expect(y[0]).toBeCloseTo(0.8, 4);
    expect(y[9]).toBe(0);
  });

  it('is invariant to gain and offset of the frame up to rounding (8-bit vs 12-bit vs 16-bit scale)', () => {
    const x = pattern();
    const a = toStandardised(x, standardisation(x, ST), ST);
    const scaled = x.map((v) => (v * 4095) / 65535);
    const b = toStandardised(scaled, standardisation(scaled, ST), ST);
    for (let i = 0; i < 64; i++) expect(b[i]).toBeCloseTo(a[i]!, 4);
  });

  it('clips at ±clip', () => {
    const x = new Float32Array(100).fill(0.5);
    x[3] = 1;
    const y = toStandardised(x, standardisation(x, ST), ST);
    expect(y[3]).toBe(8);
  });
});
