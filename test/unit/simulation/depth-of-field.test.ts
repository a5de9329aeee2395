import { describe, expect, it } from 'vitest';
import { depthOfFieldUm, dofBin, IN_FOCUS_MAX_DOF, OOF_THRESHOLD_DOF, oofLabelDof, REFERENCE_DOF_UM } from '../../../main/simulation/depth-of-field.js';
import { oofLabel } from '../../../main/simulation/focus.js';
import { DEFAULT_OPTICS } from '../../../main/simulation/optics.js';

describe('depth of field', () => {
  it('pins the reference optics: 1.33 · (0.55 / 0.4² + 0.325 / 0.4) = 5.6525 µm', () => {
    expect(REFERENCE_DOF_UM).toBeCloseTo(5.6525, 10);
    expect(OOF_THRESHOLD_DOF).toBeCloseTo(5 / 5.6525, 12);
    expect(IN_FOCUS_MAX_DOF).toBeCloseTo(2.5 / 5.6525, 12);
  });

  it('is shallower for a 40×/0.65 objective than for a 10×/0.25 one', () => {
    const d40 = depthOfFieldUm({ ...DEFAULT_OPTICS, numericalAperture: 0.65, pixelSizeUm: 0.16 });
    const d10 = depthOfFieldUm({ ...DEFAULT_OPTICS, numericalAperture: 0.25, pixelSizeUm: 0.65 });
    expect(d40).toBeCloseTo(1.33 * (0.55 / 0.4225 + 0.16 / 0.65), 10);
    expect(d10 / d40).toBeGreaterThan(7);
  });

  it('keeps the reference labels: DOF label at the reference optics = µm label', () => {
    for (const dz of [0, 1, 2.5, 4.99, 5, 5.5, 10, -5, -4.9]) expect(oofLabelDof(dz / REFERENCE_DOF_UM)).toBe(oofLabel(dz));
  });

  it('rejects an NA outside (0, n) with a clear error', () => {
    expect(() => depthOfFieldUm({ ...DEFAULT_OPTICS, numericalAperture: 1.5 })).toThrow(/numerical aperture/);
  });

  it('bins |Δz| in DOF units', () => {
    expect(dofBin(0)).toBe('0');
    expect(dofBin(-0.3)).toBe('0-0.44');
    expect(dofBin(OOF_THRESHOLD_DOF)).toBe('0.885-1.2');
    expect(dofBin(1.5)).toBe('1.2-1.8');
    expect(dofBin(-2.5)).toBe('1.8-3');
    expect(dofBin(5.9)).toBe('3-6');
    expect(dofBin(0.6)).toBeUndefined();
  });
});
