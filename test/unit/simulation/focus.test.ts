import { describe, expect, it } from 'vitest';
import {
  blockFocusSchedule,
  FOCUS_PRESETS,
  fractionFocusSchedule,
  IN_FOCUS_MAX_DZ_UM,
  OOF_MAX_DZ_UM,
  OOF_MIN_DZ_UM,
  OOF_THRESHOLD_UM,
  oofLabel,
  sampleOofMagnitude,
} from '../../../main/simulation/focus.js';
import { Rng } from '../../../main/simulation/prng.js';

describe('focus label convention', () => {
  it('exports the thresholds models depend on', () => {
    expect(IN_FOCUS_MAX_DZ_UM).toBe(2.5);
    expect(OOF_MIN_DZ_UM).toBe(5);
    expect(OOF_MAX_DZ_UM).toBe(10);
    expect(OOF_THRESHOLD_UM).toBe(5);
  });

  it('labels oof = 1 iff |Δz| ≥ 5 µm', () => {
    expect(oofLabel(0)).toBe(0);
    expect(oofLabel(2.5)).toBe(0);
    expect(oofLabel(-4.999)).toBe(0);
    expect(oofLabel(5)).toBe(1);
    expect(oofLabel(-5)).toBe(1);
    expect(oofLabel(9.9)).toBe(1);
  });

  it('draws OOF magnitudes in [5, 10] with extra weight near 5–6 µm', () => {
    const rng = new Rng(1);
    const v = Array.from({ length: 20000 }, () => sampleOofMagnitude(rng));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...v)).toBeLessThanOrEqual(10);
    const near = v.filter((x) => x < 6).length / v.length;
    expect(near).toBeGreaterThan(0.4);
    expect(near).toBeLessThan(0.5);
  });
});

describe('block focus schedule', () => {
  it('never produces Δz between 2.5 and 5 µm, and flags OOF videos consistently', () => {
    for (const preset of Object.values(FOCUS_PRESETS)) {
      for (let seed = 0; seed < 20; seed++) {
        const s = blockFocusSchedule(seed, 1, 36, 73, preset);
        s.dz.forEach((series, w) => {
          let any = false;
          for (const dz of series) {
            const a = Math.abs(dz);
            expect(a <= IN_FOCUS_MAX_DZ_UM || (a >= OOF_MIN_DZ_UM && a <= OOF_MAX_DZ_UM), `${preset.name} seed ${seed}: Δz ${dz}`).toBe(true);
            any ||= oofLabel(dz) === 1;
          }
          expect(s.oofVideo[w]).toBe(any);
        });
      }
    }
  });

  it('reproduces the PostFocus spread of OOF videos per preset', () => {
    const fractions = (name: 'nalm6' | 'skov3'): number[] =>
      Array.from({ length: 60 }, (_, seed) => {
        const s = blockFocusSchedule(seed, 1, 100, 73, FOCUS_PRESETS[name]);
        return s.oofVideo.filter(Boolean).length / 100;
      });
    const n = fractions('nalm6');
    const k = fractions('skov3');
    expect(Math.min(...n)).toBeGreaterThanOrEqual(0.06);
    expect(Math.max(...n)).toBeLessThanOrEqual(0.15);
    expect(Math.min(...k)).toBeGreaterThanOrEqual(0.14);
    expect(Math.max(...k)).toBeLessThanOrEqual(0.96);
    expect(Math.max(...k) - Math.min(...k)).toBeGreaterThan(0.5);
  });

  it('shares OOF time points across the wells of a block (block-level drift)', () => {
    const s = blockFocusSchedule(3, 1, 36, 73, FOCUS_PRESETS.skov3);
    const oofTimes = new Map<number, number>();
    s.dz.forEach((series) => series.forEach((dz, t) => oofLabel(dz) && oofTimes.set(t, (oofTimes.get(t) ?? 0) + 1)));
    const affected = s.oofVideo.filter(Boolean).length;
    expect(affected).toBeGreaterThan(1);
    expect(Math.max(...oofTimes.values())).toBeGreaterThan(1);
  });

  it('is deterministic for (seed, block) and differs between blocks', () => {
    const a = blockFocusSchedule(7, 1, 10, 20, FOCUS_PRESETS.nalm6);
    const b = blockFocusSchedule(7, 1, 10, 20, FOCUS_PRESETS.nalm6);
    const c = blockFocusSchedule(7, 2, 10, 20, FOCUS_PRESETS.nalm6);
    expect(a.dz.map((x) => Array.from(x))).toEqual(b.dz.map((x) => Array.from(x)));
    expect(a.dz.map((x) => Array.from(x))).not.toEqual(c.dz.map((x) => Array.from(x)));
  });
});

describe('focus schedule with a chosen OOF fraction', () => {
  it('makes about that fraction of frames OOF, videos spread around it, labels within the convention', () => {
    for (const fraction of [0.15, 0.5]) {
      const s = fractionFocusSchedule(3, 1, 60, 73, FOCUS_PRESETS.nalm6, fraction);
      const perWell = s.dz.map((series) => Array.from(series).filter((dz) => oofLabel(dz) === 1).length / 73);
      const mean = perWell.reduce((a, b) => a + b, 0) / perWell.length;
      expect(Math.abs(mean - fraction), `mean OOF fraction ${mean} for ${fraction}`).toBeLessThan(0.03);
      expect(Math.min(...perWell)).toBeLessThan(fraction * 0.6);
      expect(Math.max(...perWell)).toBeGreaterThan(fraction * 1.4);
      for (const series of s.dz) for (const dz of series) expect(Math.abs(dz) <= IN_FOCUS_MAX_DZ_UM || (Math.abs(dz) >= OOF_MIN_DZ_UM && Math.abs(dz) <= OOF_MAX_DZ_UM)).toBe(true);
      expect(s.oofVideo).toEqual(perWell.map((f) => f > 0));
    }
  });
  it('is deterministic, 0 gives an in-focus block, and a fraction outside [0, 1] is refused', () => {
    const a = fractionFocusSchedule(5, 2, 8, 20, FOCUS_PRESETS.skov3, 0.2);
    const b = fractionFocusSchedule(5, 2, 8, 20, FOCUS_PRESETS.skov3, 0.2);
    expect(a.dz.map((x) => Array.from(x))).toEqual(b.dz.map((x) => Array.from(x)));
    expect(fractionFocusSchedule(5, 2, 8, 20, FOCUS_PRESETS.nalm6, 0).oofVideo.every((v) => !v)).toBe(true);
    expect(() => fractionFocusSchedule(5, 2, 8, 20, FOCUS_PRESETS.nalm6, 1.5)).toThrow(/within \[0, 1\]/);
  });
});
