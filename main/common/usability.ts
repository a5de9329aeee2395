/**
 * Video usability rule of PostFocus: a nanowell video is unusable for cell and
 * contact detection when more than `maxOofFraction` of its frames are out of
 * focus, or when `maxConsecutiveOof` frames in a row are.
 *
 * "Usable after restoration" has two bases, always named apart:
 * - `model-recheck` ("usable after model re-check"): an OOF frame counts as in
 *   focus when its restoration was re-classified in focus — what the models
 *   alone achieve (`process`, `eval`);
 * - `review` ("usable after review"): an OOF frame counts as in focus only when
 *   a reviewer accepted its restoration — what a curated export contains (the
 *   review app, `export`).
 * {@link videoUsability} is the one function every caller uses.
 */
import type { UsabilityRule, Verdict } from './domain.js';

export const DEFAULT_USABILITY: UsabilityRule = { maxOofFraction: 0.05, maxConsecutiveOof: 2 };

/** Longest run of consecutive `true` values. */
export function longestRun(flags: readonly boolean[]): number {
  let best = 0;
  let current = 0;
  for (const f of flags) {
    current = f ? current + 1 : 0;
    if (current > best) best = current;
  }
  return best;
}

/**
 * Whether a video is usable, given its OOF flags in time order (one per frame).
 * An empty video is not usable.
 */
export function isUsable(oofByTime: readonly boolean[], rule: UsabilityRule = DEFAULT_USABILITY): boolean {
  if (oofByTime.length === 0) return false;
  const oofCount = oofByTime.reduce((n, f) => n + (f ? 1 : 0), 0);
  if (oofCount / oofByTime.length > rule.maxOofFraction) return false;
  return longestRun(oofByTime) < rule.maxConsecutiveOof;
}

/** Checks a rule supplied by a user or a settings file. */
export function validateUsabilityRule(rule: UsabilityRule): UsabilityRule {
  if (!(rule.maxOofFraction >= 0 && rule.maxOofFraction <= 1)) {
    throw new RangeError(`maxOofFraction must be within [0, 1], got ${rule.maxOofFraction}`);
  }
  if (!(Number.isInteger(rule.maxConsecutiveOof) && rule.maxConsecutiveOof >= 1)) {
    throw new RangeError(`maxConsecutiveOof must be a whole number ≥ 1, got ${rule.maxConsecutiveOof}`);
  }
  return rule;
}

/** What "usable after restoration" counts as rescued (see the module comment). */
export type UsabilityBasis = 'model-recheck' | 'review';

/** The name of "usable after" under each basis, wherever it is shown. */
export const USABLE_AFTER_LABEL: Record<UsabilityBasis, string> = {
  'model-recheck': 'usable after model re-check',
  review: 'usable after review',
};

/** One frame of a nanowell video, as far as usability cares. */
export interface VideoFrame {
  t: number;
  channel: string;
  /** Classification of the original: true OOF, false in focus, null not classified yet. */
  oof: boolean | null;
  /** A restoration of the frame exists. */
  restored: boolean;
  /** Re-classification of the restoration: true OOF, false in focus, null not (yet) re-classified. */
  oofRestored: boolean | null;
  /** Verdict in force on the restoration (null: never decided). */
  verdict: Verdict | null;
  /** The station gave up on the frame (its restoration or re-check will not come). */
  failed: boolean;
}

/** Usability of one video before and after restoration; null = no verdict yet. */
export interface VideoUsability {
  before: boolean | null;
  after: boolean | null;
}

/** Channel a video is judged on: '0' (phase contrast) when present, else the lowest channel name. */
export function videoChannel(frames: readonly Pick<VideoFrame, 'channel'>[]): string | undefined {
  let first: string | undefined;
  for (const f of frames) {
    if (f.channel === '0') return '0';
    if (first === undefined || f.channel < first) first = f.channel;
  }
  return first;
}

/**
 * OOF flag of a classified frame after restoration under `basis`; null while
 * the answer is still to come (model re-check: restoration or re-classification
 * pending). A failed OOF frame stays OOF.
 */
export function oofAfterRestoration(f: VideoFrame, basis: UsabilityBasis): boolean | null {
  if (f.oof !== true) return false;
  if (basis === 'review') return !(f.restored && f.verdict === 'accept');
  if (f.restored && f.oofRestored !== null) return f.oofRestored;
  return f.failed ? true : null;
}

/**
 * Usability of one nanowell video (frames in any order, any channels: only the
 * phase-contrast channel is judged) before and after restoration under `basis`.
 * No verdict (null) while a frame of the video is not classified; under
 * `model-recheck`, no "after" verdict while a restoration or its re-check is pending.
 */
export function videoUsability(frames: readonly VideoFrame[], rule: UsabilityRule, basis: UsabilityBasis): VideoUsability {
  const channel = videoChannel(frames);
  const video = frames.filter((f) => f.channel === channel).sort((a, b) => a.t - b.t);
  if (video.length === 0 || video.some((f) => f.oof === null)) return { before: null, after: null };
  const before = isUsable(video.map((f) => f.oof === true), rule);
  const after: boolean[] = [];
  for (const f of video) {
    const oof = oofAfterRestoration(f, basis);
    if (oof === null) return { before, after: null };
    after.push(oof);
  }
  return { before, after: isUsable(after, rule) };
}
