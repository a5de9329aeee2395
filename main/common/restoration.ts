/**
 * What one restoration of a frame produced: the shape shared by the worker's
 * `restored` reply (inference/protocol.ts), the row the pipeline records
 * (store/queries/work.ts) and the row the review reads back (store/queries/review.ts).
 * The UI sees the same fields without the file paths (RestorationInfo).
 */
import type { RestorationInfo } from './domain.js';

export interface RestorationOutcome extends Omit<RestorationInfo, 'createdAt'> {
  /** Derived files, relative to the workspace. */
  meanPath: string;
  spreadPath: string;
  membersPath: string | null;
}

/**
 * Smallest frame side (px) the station restores. Below it a "frame" holds no
 * structure to restore (a 1×1 file is not a nanowell image), and the restorers'
 * mirror padding and tiling are undefined.
 */
export const MIN_RESTORE_SIDE = 8;

/** Why a frame of this size is not restored (the reason recorded with it), or null when it can be. */
export function restorationSizeProblem(width: number, height: number): string | null {
  if (width >= MIN_RESTORE_SIDE && height >= MIN_RESTORE_SIDE) return null;
  return (
    `not restored: the frame is ${width}×${height} px, smaller than the ${MIN_RESTORE_SIDE}×${MIN_RESTORE_SIDE} px ` +
    'the station restores (too small to be a nanowell image; check the acquisition)'
  );
}
