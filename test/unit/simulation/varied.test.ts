import { describe, expect, it } from 'vitest';
import { OOF_THRESHOLD_DOF } from '../../../main/simulation/depth-of-field.js';
import { Rng } from '../../../main/simulation/prng.js';
import { drawProfile, generateVariedPairs, HOLDOUT_OBJECTIVE, planVariedDz } from '../../../main/simulation/varied.js';

describe('varied pairs', () => {
  it('are a function of (set, seed, index): a split generation gives the same bytes', () => {
    const all = generateVariedPairs('train', 5, 32, 0, 6);
    const tail = generateVariedPairs('train', 5, 32, 4, 2);
    expect(Buffer.from(tail.oof.buffer).equals(Buffer.from(all.oof.buffer, 4 * 32 * 32 * 4))).toBe(true);
    expect(tail.items).toEqual(all.items.slice(4));
    const again = generateVariedPairs('train', 5, 32, 0, 6);
    expect(Buffer.from(again.focus.buffer).equals(Buffer.from(all.focus.buffer))).toBe(true);
  });

  it('labels OOF only at |Δz| ≥ 0.885 DOF, keeps identical pairs identical, and quantises to the bit depth', () => {
    const b = generateVariedPairs('train', 9, 32, 0, 16);
    const px = 32 * 32;
    b.items.forEach((it, k) => {
      if (it.oof === 1) expect(Math.abs(it.dz_dof)).toBeGreaterThanOrEqual(OOF_THRESHOLD_DOF - 1e-3);
      expect(it.oof_dz).toBe(Math.abs(it.dz_dof) >= OOF_THRESHOLD_DOF - 1e-3 ? 1 : 0);
      expect(it.dz_um).toBeCloseTo(it.dz_dof * it.dof_um, 1);
      const o = b.oof.subarray(k * px, (k + 1) * px);
      const f = b.focus.subarray(k * px, (k + 1) * px);
      if (it.identical) expect(Buffer.from(o.slice().buffer).equals(Buffer.from(f.slice().buffer))).toBe(true);
      const m = 2 ** it.bits - 1;
      for (let i = 0; i < px; i += 31) {
        expect(Math.abs(o[i]! * m - Math.round(o[i]! * m))).toBeLessThan(1e-3);
        expect(o[i]).toBeGreaterThanOrEqual(0);
        expect(o[i]).toBeLessThanOrEqual(1);
      }
    });
  });

  it('never draws the held-out objective in training, and the holdout set is only that objective in bright field', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const p = drawProfile('train', rng);
      expect(p.objective).not.toBe(HOLDOUT_OBJECTIVE.name);
      expect(p.optics.pixelSizeUm).toBeGreaterThanOrEqual(0.15);
      expect(p.optics.numericalAperture).toBeLessThanOrEqual(0.75);
    }
    const h = drawProfile('holdout', new Rng(4));
    expect(h.objective).toBe('60x');
    expect(h.optics.modality).toBe('brightfield');
  });

  it('draws the reference Δz mix: 25% identical, 15% near focus, 60% beyond the threshold', () => {
    let identical = 0;
    let near = 0;
    let far = 0;
    for (let i = 0; i < 4000; i++) {
      const p = planVariedDz(1, i);
      if (p.identical) identical++;
      else if (Math.abs(p.dzDof) < OOF_THRESHOLD_DOF) near++;
      else far++;
      expect(Math.abs(p.dzDof)).toBeLessThanOrEqual(6);
    }
    expect(identical / 4000).toBeCloseTo(0.25, 1);
    expect(near / 4000).toBeCloseTo(0.15, 1);
    expect(far / 4000).toBeCloseTo(0.6, 1);
  });
});
