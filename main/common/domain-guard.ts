/**
 * Domain guard: frames unlike anything the models were trained or calibrated
 * on show up first as a run where a large share of frames is judged out of
 * focus. A nanowell assay worth imaging is mostly in focus (PostFocus calls a
 * video unusable above 5% OOF frames; the simulator's presets flag 1–25% of
 * frames), so more than 40% OOF among the first 200 frames judged says "wrong
 * modality, objective or camera" far more often than "this plate is that
 * blurred" — and restoring a whole plate on that basis is the failure to avoid.
 * Pure; the pipeline feeds it counts from the store.
 */

export interface GuardRule {
  /** Frames judged at the start of a run the decision rests on. */
  sample: number;
  /** Share of those judged OOF above which the guard trips. */
  maxOofFraction: number;
  /** A run that ends with fewer frames than `sample`: judged on what it has, when at least this many. */
  minSample: number;
}

export const GUARD_RULE: Readonly<GuardRule> = Object.freeze({ sample: 200, maxOofFraction: 0.4, minSample: 20 });

export type GuardVerdict =
  | { state: 'pending' }
  | { state: 'clear' | 'tripped'; judged: number; oof: number; reason: string };

/**
 * Decides a run's guard from the first frames judged: pending until `sample`
 * frames are judged (or the run has no frame left to classify), then clear or
 * tripped. A run too small to judge (< minSample frames, none pending) is clear.
 */
export function guardVerdict(judged: number, oof: number, pending: number, rule: GuardRule = GUARD_RULE): GuardVerdict {
  if (judged < rule.sample && pending > 0) return { state: 'pending' };
  const fraction = judged > 0 ? oof / judged : 0;
  const pct = (fraction * 100).toFixed(0);
  if (judged < rule.minSample) {
    return { state: 'clear', judged, oof, reason: `only ${judged} frame(s) judged, too few to judge the domain` };
  }
  if (fraction > rule.maxOofFraction) {
    return {
      state: 'tripped',
      judged,
      oof,
      reason:
        `${oof} of the first ${judged} frames (${pct}%) judged out of focus, above ${rule.maxOofFraction * 100}%: ` +
        'these frames may not look like what the models were trained or calibrated on (modality, objective, camera). ' +
        'Automatic restoration is held: calibrate the station (label frames in focus / out of focus) or choose "restore anyway".',
    };
  }
  return { state: 'clear', judged, oof, reason: `${oof} of the first ${judged} frames (${pct}%) judged out of focus` };
}
