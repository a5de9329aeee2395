/**
 * Default restoration settings of the station, chosen from `postfocus bench`
 * (bench/inference.ts; shipped models, 2 simulated OOF crops of 64², 2-core CPU,
 * 1 thread; run of 7 Dec 2026, docs/results/bench-restoration.json):
 *
 *   PostFocus 1000-step ancestral ×5   83.2 s/frame   PSNR 29.51  edge-PCC 0.932
 *   DDIM-5 ×5 batched                   0.460 s/frame  PSNR 30.11  edge-PCC 0.937  (181× faster)
 *   DDIM-10 ×5 batched                  0.954 s/frame  PSNR 29.94  edge-PCC 0.933
 *   warm DDIM-3 (t=400) ×5              0.298 s/frame  PSNR 29.32  edge-PCC 0.918
 *   U-Net one-shot                      0.040 s/frame  PSNR 26.43  edge-PCC 0.820
 *   student v3 ×5                       0.042 s/frame  PSNR 29.72  edge-PCC 0.944  (1963× faster)
 *
 * The one-step student (pf-student-v3: one DDPM evaluation, a shared refiner, and
 * a member network per seed) is the fastest setting at equal or better PSNR and
 * edge-PCC than the reference, so it is the default: 0.43 s for a 281² frame with
 * 5 members, which keeps pace with a plate written live on two cores (bench:live).
 * On the 16 held-out pairs where the reference itself was measured it is also at
 * or above it (31.57 dB / 0.948 against 31.49 / 0.946), but it stays 0.42 dB
 * below DDIM-5 ×5 on 24 held-out pairs (models/README.md): `--sampler ddim`
 * (--restore-steps 5) restores more faithfully when time allows. Without the
 * student model the engine falls back to DDIM-5.
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

export const RESTORE_DEFAULTS: RestoreConfig = { sampler: 'student', steps: DEFAULT_STEPS.student, eta: 0, ensemble: 5, warmStartT: 400 };

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
