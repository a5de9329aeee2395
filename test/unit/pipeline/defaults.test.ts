import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS, RESTORE_DEFAULTS, restoreConfig } from '../../../main/pipeline/defaults.js';

describe('restoration defaults', () => {
  it('is the benchmark-chosen one-step student (5 members)', () => {
    expect(RESTORE_DEFAULTS).toEqual({ sampler: 'student', steps: 1, eta: 0, ensemble: 5, warmStartT: 400 });
    expect(restoreConfig()).toEqual(RESTORE_DEFAULTS);
  });
  it("takes the step count of the chosen sampler unless one is given", () => {
    expect(restoreConfig({ sampler: 'ddim' }).steps).toBe(DEFAULT_STEPS.ddim);
    expect(restoreConfig({ sampler: 'ancestral' }).steps).toBe(1000);
    expect(restoreConfig({ sampler: 'ddim', steps: 25, ensemble: undefined })).toMatchObject({ sampler: 'ddim', steps: 25, ensemble: 5 });
  });
});
