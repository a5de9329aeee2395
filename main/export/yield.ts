/**
 * Per-block statistics of an export: OOF fraction, review decisions and the
 * usable-video yield before restoration and after review (PostFocus Fig. 8).
 * Pure module (no node). Each video's verdicts come from the one usability
 * rule (main/common/usability.ts, basis `review`: an OOF frame counts as in
 * focus once a reviewer accepted its restoration).
 */
import type { VideoUsability } from '../common/usability.js';
import { focusClass, reviewClass, type Disposition, type FrameFacts } from '../common/export-policy.js';

export interface BlockStats {
  block: string;
  wells: number;
  /** Wells whose every frame is classified. */
  evaluated: number;
  usableBefore: number;
  /** Usable after review (accepted restorations count as in focus). */
  usableAfter: number;
  frames: number;
  classified: number;
  oof: number;
  /** OOF frames by review state in force (restorations accepted / rejected / undecided). */
  accepted: number;
  rejected: number;
  undecided: number;
  /** Frames whose latest decision is an explicit 'clear' (also counted as undecided). */
  cleared: number;
  exportedOriginals: number;
  exportedRestored: number;
  excluded: number;
}

export function emptyBlockStats(block: string): BlockStats {
  return {
    block, wells: 0, evaluated: 0, usableBefore: 0, usableAfter: 0, frames: 0, classified: 0, oof: 0,
    accepted: 0, rejected: 0, undecided: 0, cleared: 0, exportedOriginals: 0, exportedRestored: 0, excluded: 0,
  };
}

/** Adds one frame (with its disposition under the export policy) to a block's stats. */
export function addFrameToStats(stats: BlockStats, frame: FrameFacts, disposition: Disposition): void {
  stats.frames++;
  const focus = focusClass(frame);
  if (focus !== 'unclassified') stats.classified++;
  if (focus === 'oof') {
    stats.oof++;
    const review = reviewClass(frame.verdict);
    stats[review]++;
  }
  if (frame.verdict === 'clear') stats.cleared++;
  if (disposition.kind === 'original') stats.exportedOriginals++;
  else if (disposition.kind === 'restored') stats.exportedRestored++;
  else stats.excluded++;
}

/** Adds one well's video verdicts (basis `review`) to a block's stats. */
export function addWellToStats(stats: BlockStats, usability: VideoUsability): void {
  stats.wells++;
  if (usability.before === null || usability.after === null) return;
  stats.evaluated++;
  if (usability.before) stats.usableBefore++;
  if (usability.after) stats.usableAfter++;
}

/** Sum of block stats (block label `total`). */
export function totalStats(blocks: readonly BlockStats[]): BlockStats {
  const total = emptyBlockStats('total');
  for (const b of blocks) {
    for (const key of Object.keys(total) as (keyof BlockStats)[]) {
      if (key === 'block') continue;
      total[key] += b[key];
    }
  }
  return total;
}

/** OOF frames / classified frames (0 when none classified). */
export function oofFraction(stats: BlockStats): number {
  return stats.classified === 0 ? 0 : stats.oof / stats.classified;
}
