/**
 * Default restoration settings of the station. The sampler and step count are
 * chosen from `postfocus bench` (bench/inference.ts): the fastest setting whose
 * PSNR and edge-PCC match or beat the 1000-step ancestral PostFocus reference.
 */
import type { SamplerName } from '../inference/protocol.js';

export interface RestoreConfig {
  sampler: SamplerName;
  steps: number;
  eta: number;
  ensemble: number;
  /** Warm-start timestep for 'ddim-warm'. */
  warmStartT?: number;
}

export const RESTORE_DEFAULTS: RestoreConfig = { sampler: 'ddim-warm', steps: 3, eta: 0, ensemble: 5, warmStartT: 200 };

/** Retries of one unit of work before the frame is recorded as failed. */
export const MAX_TRIES = 3;

/** Largest classification batch sent to the worker. */
export const CLASSIFY_BATCH = 32;
