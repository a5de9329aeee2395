/**
 * Throughput over a sliding window, for the progress bars' rate and ETA.
 * Pure module.
 */
import type { QueueProgress } from '../common/domain.js';

export class SlidingRate {
  private readonly stamps: number[] = [];

  constructor(private readonly windowMs = 60_000) {}

  /** Records `count` completions at time `now` (ms). */
  add(count = 1, now = Date.now()): void {
    for (let i = 0; i < count; i++) this.stamps.push(now);
    this.trim(now);
  }

  /** Completions per second over the window (0 when fewer than two samples). */
  perSecond(now = Date.now()): number {
    this.trim(now);
    if (this.stamps.length < 2) return 0;
    const span = Math.max(1_000, now - this.stamps[0]!);
    return (this.stamps.length * 1000) / span;
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.stamps.length && this.stamps[drop]! < cutoff) drop++;
    if (drop > 0) this.stamps.splice(0, drop);
  }
}

/** A queue's progress with its ETA from the current rate (null when unknown). */
export function queueProgress(done: number, total: number, rate: number): QueueProgress {
  const remaining = Math.max(0, total - done);
  return {
    done,
    total,
    rate,
    etaSeconds: remaining === 0 ? 0 : rate > 0 ? remaining / rate : null,
  };
}
