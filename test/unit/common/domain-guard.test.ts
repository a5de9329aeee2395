import { describe, expect, it } from 'vitest';
import { guardVerdict } from '../../../main/common/domain-guard.js';

describe('guardVerdict', () => {
  it('waits for the first 200 judged frames while frames are still pending', () => {
    expect(guardVerdict(199, 190, 5)).toEqual({ state: 'pending' });
  });

  it('trips above 40% OOF among the first frames and says what to do', () => {
    const v = guardVerdict(200, 81, 1000);
    expect(v.state).toBe('tripped');
    if (v.state === 'pending') throw new Error('unreachable');
    expect(v.reason).toMatch(/81 of the first 200 frames \(41%\) judged out of focus, above 40%/);
    expect(v.reason).toMatch(/restoration is held: calibrate .* or choose "restore anyway"/);
    expect(guardVerdict(200, 80, 1000)).toMatchObject({ state: 'clear', judged: 200, oof: 80 });
  });

  it('judges a short run on what it has once nothing is pending, and clears one too small to judge', () => {
    expect(guardVerdict(50, 30, 0)).toMatchObject({ state: 'tripped', judged: 50, oof: 30 });
    expect(guardVerdict(10, 10, 0)).toMatchObject({ state: 'clear', reason: expect.stringMatching(/too few/) });
  });
});
