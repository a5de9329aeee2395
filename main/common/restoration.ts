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
