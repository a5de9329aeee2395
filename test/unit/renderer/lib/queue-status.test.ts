import { describe, expect, it } from 'vitest';
import { queueText } from '../../../../renderer/src/lib/queue-status.js';

const q = (done: number, total: number, rate: number, etaSeconds: number | null) => ({ done, total, rate, etaSeconds });

describe('queue status text', () => {
  it('says how far behind the queue is and when it catches up, instead of "idle"', () => {
    expect(queueText(q(100, 1334, 4, 308.5))).toBe('behind by 1,234 frames, ETA 5 min 9 s · 4.0/s');
    expect(queueText(q(9, 10, 2.5, 0.4))).toBe('behind by 1 frame, ETA < 1 s · 2.5/s');
  });
  it('has no ETA before there is a rate (restoration not started, or paused)', () => {
    expect(queueText(q(0, 20, 0, null))).toBe('behind by 20 frames, ETA —');
  });
  it('is "up to date" with nothing waiting and "idle" before any work', () => {
    expect(queueText(q(20, 20, 1.25, 0))).toBe('up to date · 1.3/s');
    expect(queueText(q(20, 20, 0, 0))).toBe('up to date');
    expect(queueText(q(0, 0, 0, 0))).toBe('idle');
    expect(queueText(null)).toBe('idle');
  });
});
