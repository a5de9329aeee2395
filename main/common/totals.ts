/**
 * The plate's totals (frames, OOF, restored, decided, usable videos) summed over
 * well summaries: computed by the store for the overview and again by the
 * renderer as live well updates arrive, with this one rule. Pure module.
 */
import type { Totals, WellSummary } from './domain.js';

/** Totals over well summaries, with the error count of the workspace. */
export function wellTotals(wells: readonly WellSummary[], errors: number): Totals {
  const t: Totals = {
    frames: 0, classified: 0, oof: 0, restored: 0, accepted: 0, rejected: 0,
    errors, wells: wells.length, usableBefore: 0, usableAfter: 0,
  };
  for (const w of wells) {
    t.frames += w.frames;
    t.classified += w.classified;
    t.oof += w.oof;
    t.restored += w.restored;
    t.accepted += w.accepted;
    t.rejected += w.rejected;
    if (w.usableBefore) t.usableBefore++;
    if (w.usableAfter) t.usableAfter++;
  }
  return t;
}
