/**
 * Video usability rule of PostFocus: a nanowell video is unusable for cell and
 * contact detection when more than `maxOofFraction` of its frames are out of
 * focus, or when `maxConsecutiveOof` frames in a row are.
 */
import type { UsabilityRule } from './domain.js';

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
