/**
 * Keyboard flow of the review: the review keys (arrows, A/R/U, Space, …) work
 * wherever focus is, except where the focused control needs that key itself
 * (pure; lib/focus.ts gives focus back after pointer clicks).
 */

const TEXT_INPUTS = new Set(['text', 'search', 'number', 'email', 'url', 'password', 'tel', 'date', 'time', 'datetime-local', 'month', 'week']);

/** What {@link ownsKey} reads of the focused element (an HTMLElement in the app). */
interface Focusable {
  tagName?: unknown;
  type?: unknown;
  isContentEditable?: unknown;
}

/** Whether the focused element consumes `key` itself (then the review does not act on it). */
export function ownsKey(target: unknown, key: string): boolean {
  const el = target as Focusable | null;
  if (!el || typeof el.tagName !== 'string') return false;
  if (el.isContentEditable === true || el.tagName === 'TEXTAREA') return true;
  if (el.tagName === 'SELECT') return key.startsWith('Arrow') || key === ' ' || key === 'Enter';
  if (el.tagName === 'INPUT') {
    const type = String(el.type);
    if (TEXT_INPUTS.has(type)) return true;
    if (type === 'range') return key.startsWith('Arrow') || key === 'Home' || key === 'End';
    // Checkboxes and radios toggle with Space; everything else is the review's.
    return key === ' ';
  }
  // Buttons activate with Space and Enter (keyboard users); letters and arrows stay the review's.
  if (el.tagName === 'BUTTON') return key === ' ' || key === 'Enter';
  return false;
}

