/**
 * Default restoration settings of the station, chosen from `postfocus bench`
 * (bench/inference.ts; shipped models, 2 simulated OOF crops of 64², 2-core CPU):
 *
 *   PostFocus 1000-step ancestral ×5   36.01 s/frame  PSNR 29.51  edge-PCC 0.932
 *   DDIM-5 ×5 batched                   0.17 s/frame  PSNR 30.11  edge-PCC 0.937  (213× faster)
 *   DDIM-10 ×5 batched                  0.33 s/frame  PSNR 29.94  edge-PCC 0.933
 *   warm DDIM-3 (t=400) ×5              0.11 s/frame  PSNR 29.32  edge-PCC 0.918
 *   U-Net one-shot                      0.008 s/frame PSNR 26.43  edge-PCC 0.820
 *
 * DDIM-5 from pure noise, the 5 members as one batch, is the fastest setting at
 * equal or better PSNR and edge-PCC than the reference. The warm start (U-Net
 * estimate noised to t = 400, then a few DDIM steps) is faster still but below
 * the reference's PSNR with these models; it stays available (`--sampler ddim-warm`).
 *
 * The one-step student (`--sampler student`, pf-student-v1) in the run of 2 Dec 2026
 * (same crops, machine partly loaded: reference 67.8 s/frame, DDIM-5 ×5 0.443 s, 153×):
 * 0.034 s/frame, 1998× the reference, PSNR 29.13 (reference 29.51), edge-PCC 0.933
 * (0.932); on 24 held-out pairs 31.26 dB / 0.937 vs DDIM-5 ×5 32.12 / 0.946. Below the
 * reference's PSNR and DDIM-5's quality, so not the default.
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
export const DEFAULT_STEPS: Record<SamplerName, number> = { 'ddim-warm': 3, ddim: 5, ancestral: 1000, unet: 1, student: 1 };

export const RESTORE_DEFAULTS: RestoreConfig = { sampler: 'ddim', steps: DEFAULT_STEPS.ddim, eta: 0, ensemble: 5, warmStartT: 400 };

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
