/** The one-line state of a work queue under its progress bar (pure, unit-tested). */
import type { QueueProgress } from '../../../preload/api.js';
import { count, eta } from './format.js';

/**
 * "behind by N frames, ETA …" while frames wait (ETA from the recent rate, "—"
 * before there is one), "up to date" when the queue is empty, "idle" before any
 * work. Never "idle" while work is waiting: a station that falls behind says so.
 */
export function queueText(progress: QueueProgress | null): string {
  if (!progress || progress.total === 0) return 'idle';
  const waiting = Math.max(0, progress.total - progress.done);
  const rate = progress.rate > 0 ? ` · ${progress.rate.toFixed(1)}/s` : '';
  if (waiting === 0) return `up to date${rate}`;
  const left = progress.etaSeconds === null || progress.rate <= 0 ? '—' : progress.etaSeconds < 1 ? '< 1 s' : eta(progress.etaSeconds);
  return `behind by ${count(waiting)} frame${waiting === 1 ? '' : 's'}, ETA ${left}${rate}`;
}
