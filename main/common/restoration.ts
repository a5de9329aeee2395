/**
 * What one restoration of a frame produced: the shape shared by the worker's
 * `restored` reply (inference/protocol.ts), the row the pipeline records
 * (store/queries/work.ts) and the row the review reads back (store/queries/review.ts).
 */
export interface RestorationOutcome {
  modelId: string;
  modelSha256: string;
  /** Sampler name (see inference/samplers). */
  sampler: string;
  steps: number;
  eta: number;
  ensemble: number;
  /** One seed per ensemble member. */
  seeds: number[];
  /** Paths relative to the workspace. */
  meanPath: string;
  spreadPath: string;
  membersPath: string | null;
  /** Mean per-pixel standard deviation of the members. */
  spreadMean: number;
  tenenbaumBefore: number | null;
  tenenbaumAfter: number | null;
  durationMs: number;
}
