/**
 * Default restoration settings of the station, chosen from `postfocus bench`
 * (bench/inference.ts; shipped models, 2 simulated OOF crops of 64², 2-core CPU,
 * 1 thread; run of 7 Dec 2026):
 *
 *   PostFocus 1000-step ancestral ×5   94.5 s/frame   PSNR 29.51  edge-PCC 0.932
 *   DDIM-5 ×5 batched                   0.417 s/frame  PSNR 30.11  edge-PCC 0.937  (226× faster)
 *   DDIM-10 ×5 batched                  0.890 s/frame  PSNR 29.94  edge-PCC 0.933
 *   warm DDIM-3 (t=400) ×5              0.306 s/frame  PSNR 29.32  edge-PCC 0.918
 *   U-Net one-shot                      0.027 s/frame  PSNR 26.43  edge-PCC 0.820
 *   student v2 ×5                       0.034 s/frame  PSNR 29.28  edge-PCC 0.934  (2778× faster)
 *
 * DDIM-5 from pure noise, the 5 members as one batch, is the fastest setting at
 * equal or better PSNR and edge-PCC than the reference. The warm start and the
 * one-step student (`--sampler student`, pf-student-v2: 0.39 s for a 281² frame)
 * are faster but below the reference's PSNR, and the student stays 0.85 dB below
 * DDIM-5 ×5 on 24 held-out pairs (models/README.md), so neither is the default.
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
