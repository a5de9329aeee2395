/**
 * Coalesces per-well change notifications into at most one `wells-updated`
 * event per interval, carrying only the wells whose summary actually changed.
 * Under a 10 frames/s acquisition this turns ~30 events/s (ingest, classify,
 * restore) into ≤ 4 small batches per second for the UI.
 */
import type { WellSummary } from '../common/domain.js';

export interface CoalescerOptions {
  /** Minimum time between two flushes (ms); 250 gives ≤ 4 updates per second. */
  intervalMs: number;
  /** Reads the current summaries of these wells. */
  load(wellIds: number[]): WellSummary[];
  /** Receives the changed summaries (never empty). */
  emit(wells: WellSummary[]): void;
  /** Reports a failure to load (the station logs it; the UI keeps its last state). */
  onError?(err: unknown): void;
}

export class WellUpdateCoalescer {
  private readonly dirty = new Set<number>();
  /** Last summary sent per well, as JSON, to send only real changes. */
  private readonly lastSent = new Map<number, string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  private closed = false;

  constructor(private readonly options: CoalescerOptions) {}

  /** Remembers what the UI already has (the overview it just loaded). */
  prime(wells: readonly WellSummary[]): void {
    for (const w of wells) this.lastSent.set(w.id, JSON.stringify(w));
  }

  /** Marks wells as possibly changed; a flush follows within the interval. */
  touch(...wellIds: number[]): void {
    if (this.closed) return;
    for (const id of wellIds) this.dirty.add(id);
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.options.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends the changed summaries of the dirty wells now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty.size === 0) return;
    this.lastFlush = Date.now();
    const ids = [...this.dirty];
    this.dirty.clear();
    let wells: WellSummary[];
    try {
      wells = this.options.load(ids);
    } catch (err) {
      this.options.onError?.(err);
      return;
    }
    const changed: WellSummary[] = [];
    for (const w of wells) {
      const json = JSON.stringify(w);
      if (this.lastSent.get(w.id) === json) continue;
      this.lastSent.set(w.id, json);
      changed.push(w);
    }
    if (changed.length > 0) this.options.emit(changed);
  }

  /** Stops the timer; pending changes are dropped. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirty.clear();
  }
}
