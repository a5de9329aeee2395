import { describe, expect, it } from 'vitest';
import type { WellSummary } from '../../../main/common/domain.js';
import { wellTotals } from '../../../main/common/totals.js';

function well(over: Partial<WellSummary>): WellSummary {
  return {
    id: 1, runId: 1, block: '1', well: 'w', label: 'B1-w', position: 1, frames: 0, classified: 0, oof: 0, restored: 0,
    accepted: 0, rejected: 0, failed: 0, oofFraction: 0, usableBefore: null, usableAfter: null, state: 'pending', ...over,
  };
}

describe('wellTotals', () => {
  it('sums frame counts and counts usable videos (a video without a verdict counts as neither)', () => {
    const t = wellTotals(
      [
        well({ frames: 10, classified: 10, oof: 2, restored: 2, accepted: 1, rejected: 1, usableBefore: false, usableAfter: true }),
        well({ frames: 5, classified: 3, oof: 1, usableBefore: null, usableAfter: null }),
        well({ frames: 7, classified: 7, usableBefore: true, usableAfter: true }),
      ],
      4,
    );
    expect(t).toEqual({ frames: 22, classified: 20, oof: 3, restored: 2, accepted: 1, rejected: 1, errors: 4, wells: 3, usableBefore: 1, usableAfter: 2 });
  });
  it('is all zeros for an empty plate', () => {
    expect(wellTotals([], 0)).toMatchObject({ frames: 0, wells: 0, usableBefore: 0 });
  });
});
