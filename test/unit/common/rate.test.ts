import { describe, expect, it } from 'vitest';
import { queueProgress, RATE_WINDOW_MS, SlidingRate } from '../../../main/common/rate.js';

describe('SlidingRate', () => {
  it('divides completions by the time since counting started while that is under a minute', () => {
    const rate = new SlidingRate({ since: 0 });
    rate.add(10, 2_000);
    rate.add(10, 4_000);
    expect(rate.perSecond(5_000)).toBe(4);
  });

  it('counts only the last minute once counting has run longer', () => {
    const rate = new SlidingRate({ since: 0 });
    rate.add(600, 10_000);
    rate.add(120, 70_000);
    expect(rate.perSecond(75_000)).toBe(120 / (RATE_WINDOW_MS / 1_000));
  });

  it('spans at least one second, so the first completions are not a burst', () => {
    const rate = new SlidingRate({ since: 1_000 });
    rate.add(3, 1_010);
    expect(rate.perSecond(1_020)).toBe(3);
  });

  it('takes a later start passed to perSecond (a new ingest pass)', () => {
    const rate = new SlidingRate({ since: 0 });
    rate.add(20, 50_000);
    expect(rate.perSecond(52_000, 48_000)).toBe(5);
  });

  it('is 0 with no completions and ignores non-positive counts', () => {
    const rate = new SlidingRate({ since: 0 });
    rate.add(0, 500);
    rate.add(-3, 600);
    expect(rate.perSecond(10_000)).toBe(0);
  });
});

describe('queueProgress', () => {
  it('gives the ETA at the rate, 0 when done and null when stalled', () => {
    expect(queueProgress(10, 30, 4)).toEqual({ done: 10, total: 30, rate: 4, etaSeconds: 5 });
    expect(queueProgress(30, 30, 0)).toEqual({ done: 30, total: 30, rate: 0, etaSeconds: 0 });
    expect(queueProgress(10, 30, 0).etaSeconds).toBeNull();
  });
});
