/**
 * Default restoration settings of the station, chosen from `postfocus bench`
 * (bench/inference.ts; final models, 3 simulated OOF crops of 64², 2-core CPU):
 *
 *   PostFocus 1000-step ancestral ×5   40.5 s/frame  PSNR 24.99  edge-PCC 0.581
 *   DDIM-10 ×5 batched                  0.39 s/frame  PSNR 20.17  edge-PCC 0.654
 *   warm DDIM-3 (t=400) ×5              0.12 s/frame  PSNR 28.30  edge-PCC 0.811  (≈330× faster)
 *
 * The warm start (one-shot U-Net estimate noised to t = 400, then 3 DDIM steps)
 * is the fastest setting at equal or better PSNR and edge-PCC than the
 * reference; plain DDIM from noise does not reach the reference's PSNR with
 * these models at any step count measured (5, 10, 25).
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

/** Steps used when a sampler is chosen without a step count. */
export const DEFAULT_STEPS: Record<SamplerName, number> = { 'ddim-warm': 3, ddim: 10, ancestral: 1000, unet: 1 };

export const RESTORE_DEFAULTS: RestoreConfig = { sampler: 'ddim-warm', steps: DEFAULT_STEPS['ddim-warm'], eta: 0, ensemble: 5, warmStartT: 400 };

/** Fills a partial configuration: the step count defaults to the chosen sampler's. */
export function restoreConfig(partial: Partial<RestoreConfig> = {}): RestoreConfig {
  const sampler = partial.sampler ?? RESTORE_DEFAULTS.sampler;
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<RestoreConfig>;
  return { ...RESTORE_DEFAULTS, steps: DEFAULT_STEPS[sampler], ...defined, sampler };
}

/** Retries of one unit of work before the frame is recorded as failed. */
export const MAX_TRIES = 3;

/** Largest classification batch sent to the worker. */
export const CLASSIFY_BATCH = 32;
