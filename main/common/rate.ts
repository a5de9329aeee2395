/**
 * Throughput over a sliding window, for the progress bars' rate and ETA (ingest,
 * classification, restoration). Pure module: times are milliseconds, passed in
 * (Date.now() by default) so that tests pin them.
 */
import type { QueueProgress } from './domain.js';

/** Rates are taken over the last minute. */
export const RATE_WINDOW_MS = 60_000;

/** Completions counted over a sliding window. */
export class SlidingRate {
  readonly #events: { at: number; n: number }[] = [];
  readonly #since: number;
  readonly #windowMs: number;

  /** `since`: when counting started (a rate shortly after start spans only that time). */
  constructor(options: { windowMs?: number; since?: number } = {}) {
    this.#windowMs = options.windowMs ?? RATE_WINDOW_MS;
    this.#since = options.since ?? Date.now();
  }

  /** Records `count` completions at time `now`. */
  add(count = 1, now = Date.now()): void {
    if (count > 0) this.#events.push({ at: now, n: count });
    this.#trim(now);
  }

  /**
   * Completions per second over the window, or over the time since counting started
   * (`since`, the constructor's by default) when that is shorter; the span is at
   * least one second so that the first completions do not read as a burst.
   */
  perSecond(now = Date.now(), since = this.#since): number {
    this.#trim(now);
    const spanMs = Math.max(1_000, Math.min(this.#windowMs, now - since));
    let n = 0;
    for (const e of this.#events) n += e.n;
    return (n * 1_000) / spanMs;
  }

  #trim(now: number): void {
    const cutoff = now - this.#windowMs;
    let drop = 0;
    while (drop < this.#events.length && this.#events[drop]!.at < cutoff) drop++;
    if (drop > 0) this.#events.splice(0, drop);
  }
}

/** A queue's progress with its ETA at `rate` (0 when nothing remains, null when the rate is 0). */
export function queueProgress(done: number, total: number, rate: number): QueueProgress {
  const remaining = Math.max(0, total - done);
  return { done, total, rate, etaSeconds: remaining === 0 ? 0 : rate > 0 ? remaining / rate : null };
}
