/** Small domain values for the renderer state tests. */
import type { FrameDetail, FrameSummary, Overview, Progress, WellSummary } from '../../../../preload/api.js';

export function well(id: number, over: Partial<WellSummary> = {}): WellSummary {
  const block = over.block ?? '1';
  const w = over.well ?? `imgNo${String(id).padStart(3, '0')}`;
  return {
    id, runId: 1, block, well: w, label: `B${block}-${w}`, position: id, frames: 10, classified: 10, oof: 0, restored: 0,
    accepted: 0, rejected: 0, failed: 0, oofFraction: 0, usableBefore: true, usableAfter: true, state: 'in_focus', ...over,
  };
}

export function overview(wells: WellSummary[], errors = 0): Overview {
  return {
    workspace: '/ws', runs: [], wells, usability: { maxOofFraction: 0.05, maxConsecutiveOof: 2 },
    totals: { frames: 0, classified: 0, oof: 0, restored: 0, accepted: 0, rejected: 0, errors, wells: wells.length, usableBefore: 0, usableAfter: 0 },
  };
}

const queue = { done: 0, total: 0, rate: 0, etaSeconds: 0 };
export const idleProgress: Progress = { ingest: queue, classify: queue, restore: queue, paused: false };

export function frameSummary(id: number, wellId: number, t: number, over: Partial<FrameSummary> = {}): FrameSummary {
  return { id, wellId, t, channel: '0', path: `f${id}.tif`, state: 'in_focus', pOof: 0.1, pOofAfter: null, review: 'undecided', ...over };
}

export function frameDetail(summary: FrameSummary, restored: boolean): FrameDetail {
  return {
    ...summary, width: 64, height: 64, bits: 8, classification: null, classificationAfter: null, decisions: [],
    restoration: restored
      ? { modelId: 'ddpm', modelSha256: 'x', sampler: 'ddim', steps: 5, eta: 0, ensemble: 5, seeds: [1], spreadMean: 0.01, tenenbaumBefore: null, tenenbaumAfter: null, durationMs: 1, createdAt: '2026-01-01T00:00:00.000Z' }
      : null,
  };
}
