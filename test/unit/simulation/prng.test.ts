import { describe, expect, it } from 'vitest';
import { fillStandardNormal, hashSeed, Rng } from '../../../main/simulation/prng.js';

describe('prng', () => {
  it('mulberry32 reproduces its reference sequence for seed 1', () => {
    const r = new Rng(1);
    // Reference values of mulberry32(1) (the widely used public-domain generator).
    expect(r.next()).toBeCloseTo(0.6270739405881613, 15);
    expect(r.next()).toBeCloseTo(0.002735721180215478, 15);
    expect(r.next()).toBeCloseTo(0.5274470399599522, 15);
  });

  it('hashSeed is deterministic, order-sensitive and 32-bit', () => {
    expect(hashSeed(1, 2, 3)).toBe(hashSeed(1, 2, 3));
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(3, 2, 1));
    expect(hashSeed(0)).not.toBe(hashSeed(1));
    for (const v of [hashSeed(5), hashSeed(2 ** 40, -3)]) {
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
    }
  });

  it('Box–Muller normals have mean 0 and variance 1', () => {
    const a = fillStandardNormal(new Float32Array(100001), 42);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(Array.from(fillStandardNormal(new Float32Array(5), 42))).toEqual(Array.from(a.subarray(0, 5)));
  });

  it('int, pick and sign stay in range', () => {
    const r = new Rng(9);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(2, 4);
      expect(k >= 2 && k <= 4 && Number.isInteger(k)).toBe(true);
      expect([-1, 1]).toContain(r.sign());
    }
    expect(() => r.pick([])).toThrow(/empty/);
  });
});
