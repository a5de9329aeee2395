import { describe, expect, it } from 'vitest';
import { isUsable, longestRun, validateUsabilityRule, DEFAULT_USABILITY } from '../../../main/common/usability.js';

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
