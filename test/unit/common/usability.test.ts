import { describe, expect, it } from 'vitest';
import {
  DEFAULT_USABILITY,
  isUsable,
  longestRun,
  oofAfterRestoration,
  USABLE_AFTER_LABEL,
  validateUsabilityRule,
  videoChannel,
  videoUsability,
  type VideoFrame,
} from '../../../main/common/usability.js';
import { videoFrameOf } from '../../../main/common/export-policy.js';

const video = (oofAt: number[], length = 73) => Array.from({ length }, (_, i) => oofAt.includes(i));

describe('usability rule (PostFocus: >5% OOF or 2 consecutive OOF frames → unusable)', () => {
  it('keeps a video with 3 isolated OOF frames out of 73 (4.1%)', () => {
    expect(isUsable(video([3, 20, 50]))).toBe(true);
  });
  it('rejects a video with 4 isolated OOF frames out of 73 (5.5%)', () => {
    expect(isUsable(video([3, 20, 40, 60]))).toBe(false);
  });
  it('rejects two consecutive OOF frames', () => {
    expect(isUsable(video([10, 11]))).toBe(false);
  });
  it('honours a configured rule', () => {
    expect(isUsable(video([10, 11]), { maxOofFraction: 0.1, maxConsecutiveOof: 3 })).toBe(true);
  });
  it('treats an empty video as unusable', () => {
    expect(isUsable([])).toBe(false);
  });
  it('measures the longest run', () => {
    expect(longestRun([true, false, true, true, true, false])).toBe(3);
  });
  it('rejects invalid rules', () => {
    expect(() => validateUsabilityRule({ maxOofFraction: 2, maxConsecutiveOof: 2 })).toThrow(/maxOofFraction/);
    expect(() => validateUsabilityRule({ maxOofFraction: 0.05, maxConsecutiveOof: 0 })).toThrow(/maxConsecutiveOof/);
    expect(validateUsabilityRule(DEFAULT_USABILITY)).toEqual(DEFAULT_USABILITY);
  });
});

/**
 * A video from letters, one per frame in time order:
 * i in focus · p not classified · o OOF, not restored · x OOF, restoration failed
 * R OOF restored, re-check in focus, accepted · r ... re-check in focus, undecided · j ... re-check in focus, rejected
 * K OOF restored, re-check still OOF, accepted · w OOF restored, re-check pending
 */
function frames(spec: string, channel = '0'): VideoFrame[] {
  return [...spec].map((c, i) => ({
    t: i + 1,
    channel,
    oof: c === 'i' ? false : c === 'p' ? null : true,
    restored: 'RrjKw'.includes(c),
    oofRestored: 'Rrj'.includes(c) ? false : c === 'K' ? true : null,
    verdict: c === 'R' || c === 'K' ? 'accept' : c === 'j' ? 'reject' : null,
    failed: c === 'x',
  }));
}

describe('one usability function, two named bases', () => {
  const rule = DEFAULT_USABILITY;
  it('names the bases apart', () => {
    expect(USABLE_AFTER_LABEL['model-recheck']).toBe('usable after model re-check');
    expect(USABLE_AFTER_LABEL.review).toBe('usable after review');
  });

  it('model re-check: a restoration re-classified in focus rescues the frame, whatever the review says', () => {
    const v = frames('i'.repeat(18) + 'rj');
    expect(videoUsability(v, rule, 'model-recheck')).toEqual({ before: false, after: true });
    // Review: only accepted restorations count, so an undecided and a rejected one keep the video unusable.
    expect(videoUsability(v, rule, 'review')).toEqual({ before: false, after: false });
  });

  it('review: an accepted restoration counts even when the re-check still called it OOF', () => {
    const v = frames('i'.repeat(18) + 'KK');
    expect(videoUsability(v, rule, 'review')).toEqual({ before: false, after: true });
    expect(videoUsability(v, rule, 'model-recheck')).toEqual({ before: false, after: false });
  });

  it('no verdict before every frame is classified; model re-check waits for pending restorations and re-checks', () => {
    expect(videoUsability(frames('iip'), rule, 'review')).toEqual({ before: null, after: null });
    expect(videoUsability(frames('iip'), rule, 'model-recheck')).toEqual({ before: null, after: null });
    expect(videoUsability(frames('iiiio'), rule, 'model-recheck')).toEqual({ before: false, after: null });
    expect(videoUsability(frames('iiiiw'), rule, 'model-recheck')).toEqual({ before: false, after: null });
    // A failed OOF frame will not be restored: it stays OOF, and the verdict is final.
    expect(videoUsability(frames('iiiix'), rule, 'model-recheck')).toEqual({ before: false, after: false });
    // Review does not wait for decisions: an undecided OOF frame counts as OOF.
    expect(videoUsability(frames('iiiio'), rule, 'review')).toEqual({ before: false, after: false });
  });

  it('judges the phase-contrast channel only, in time order', () => {
    const phase = frames('i'.repeat(20));
    const fluo = frames('oo' + 'i'.repeat(18), '1');
    expect(videoChannel([...fluo, ...phase])).toBe('0');
    expect(videoUsability([...fluo, ...phase].reverse(), rule, 'model-recheck')).toEqual({ before: true, after: true });
    expect(videoChannel(fluo)).toBe('1');
    expect(videoUsability(fluo, rule, 'review')).toEqual({ before: false, after: false });
  });

  it('frames of the export rule map onto it (focus from the frame state, verdict in force)', () => {
    const f = videoFrameOf({ t: 3, channel: '0', state: 'restored', oofOriginal: null, hasRestoration: true, verdict: 'accept' });
    expect(f).toMatchObject({ t: 3, oof: true, restored: true, verdict: 'accept' });
    expect(oofAfterRestoration(f, 'review')).toBe(false);
    expect(oofAfterRestoration({ ...f, oof: false }, 'model-recheck')).toBe(false);
  });
});
