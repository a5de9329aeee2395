import { describe, expect, it } from 'vitest';
import { VirtualMicroscope } from '../../../main/simulation/microscope.js';
import { generatePairs, pairCropSize, planPair } from '../../../main/simulation/pairs.js';

describe('training pairs', () => {
  it('plans the PostFocus mix: 25% identical, ~15% near focus, ~60% OOF', () => {
    const plans = Array.from({ length: 20000 }, (_, i) => planPair(1, i));
    const frac = (f: (p: (typeof plans)[number]) => boolean): number => plans.filter(f).length / plans.length;
    expect(frac((p) => p.identical)).toBeCloseTo(0.25, 1);
    expect(frac((p) => !p.identical && p.oof === 0)).toBeCloseTo(0.15, 1);
    expect(frac((p) => p.oof === 1)).toBeCloseTo(0.6, 1);
    for (const p of plans) {
      const a = Math.abs(p.dz_um);
      if (p.identical) expect(p.dz_um).toBe(0);
      else if (p.oof === 0) expect(a > 0 && a <= 2.5).toBe(true);
      else expect(a >= 5 && a <= 10).toBe(true);
    }
    expect(new Set(plans.map((p) => p.kind))).toEqual(new Set(['nalm6', 'skov3', 'beads']));
  });

  it('identical pairs are equal; values sit on the 8-bit grid in [0, 1]; split-independent', () => {
    const mic = new VirtualMicroscope({ size: pairCropSize(32) });
    const all = generatePairs(mic, 5, 32, 0, 12);
    const px = 32 * 32;
    all.items.forEach((it, k) => {
      const a = all.oof.subarray(k * px, (k + 1) * px);
      const b = all.focus.subarray(k * px, (k + 1) * px);
      if (it.identical) expect(Array.from(a)).toEqual(Array.from(b));
      else expect(Array.from(a)).not.toEqual(Array.from(b));
    });
    for (const v of all.oof) {
      expect(v >= 0 && v <= 1).toBe(true);
      expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
    }
    const mean = all.focus.reduce((s, v) => s + v, 0) / all.focus.length;
    expect(mean).toBeGreaterThan(0.25);
    expect(mean).toBeLessThan(0.65);
    // Same bytes when generated in two parts on another microscope instance.
    const mic2 = new VirtualMicroscope({ size: pairCropSize(32) });
    const head = generatePairs(mic2, 5, 32, 0, 5);
    const tail = generatePairs(mic2, 5, 32, 5, 7);
    expect(Array.from(head.oof)).toEqual(Array.from(all.oof.subarray(0, 5 * px)));
    expect(Array.from(tail.focus)).toEqual(Array.from(all.focus.subarray(5 * px)));
    expect([...head.items, ...tail.items]).toEqual(all.items);
  });
});
