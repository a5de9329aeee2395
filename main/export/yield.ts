/**
 * Per-block statistics of an export: OOF fraction, review decisions and the
 * usable-video yield before/after restoration (PostFocus Fig. 8).
 * Pure module (no node).
 *
 * A nanowell video is judged on its phase-contrast channel (channel '0', else the
 * first channel). Before restoration, every OOF original counts as OOF; after,
 * an OOF frame whose restoration a reviewer accepted counts as in focus. A video
 * with a frame not classified yet has no verdict (counted as `unknown`).
 */
import type { UsabilityRule } from '../../preload/api.js';
import { isUsable } from '../common/usability.js';
import { focusClass, hasAcceptedRestoration, reviewClass, type Disposition, type FrameFacts } from './policy.js';

export interface WellVideoFrame extends FrameFacts {
  t: number;
}

export interface WellUsability {
  before: boolean | null;
  after: boolean | null;
}

/** Usability of one nanowell video before and after restoration (frames in any order). */
export function wellUsability(frames: readonly WellVideoFrame[], rule: UsabilityRule): WellUsability {
  if (frames.length === 0) return { before: null, after: null };
  const ordered = [...frames].sort((a, b) => a.t - b.t);
  if (ordered.some((f) => focusClass(f) === 'unclassified')) return { before: null, after: null };
  const before = ordered.map((f) => focusClass(f) === 'oof');
  const after = ordered.map((f) => focusClass(f) === 'oof' && !hasAcceptedRestoration(f));
  return { before: isUsable(before, rule), after: isUsable(after, rule) };
}

export interface BlockStats {
  block: string;
  wells: number;
  /** Wells whose every frame is classified. */
  evaluated: number;
  usableBefore: number;
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

/** Adds one well's video verdicts to a block's stats. */
export function addWellToStats(stats: BlockStats, usability: WellUsability): void {
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
