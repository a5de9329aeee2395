/**
 * Default restoration settings of the station, chosen by `postfocus bench`'s rule
 * (bench/inference.ts): the fastest setting at the PostFocus reference's PSNR and
 * edge-PCC or better (1000-step ancestral ×5; record and numbers in
 * docs/results/bench-restoration.json and the README's "Restoration speed").
 *
 * That is the one-step student (pf-student-v6: one DDPM evaluation, a shared
 * refiner, and a member network per seed), about 2,700× faster than the reference
 * and the only restorer here that keeps pace with a plate written live on two
 * cores (bench:live). On held-out pairs it is not distinguishable from DDIM-5 ×5
 * (models/README.md), and it leaves in-focus frames unchanged within their noise;
 * `--sampler ddim` (--restore-steps 5) remains for archives where time allows.
 * Without the student model the engine falls back to DDIM-5.
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
