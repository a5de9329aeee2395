/**
 * A control clicked with the mouse gives focus back to the page, so a click on
 * a checkbox or a button never leaves the review keys stuck on it.
 */
import { ownsKey } from './keys.js';

/**
 * After a pointer click (or a change) on a non-text control, focus returns to
 * the page. Keyboard activation (click event with `detail` 0) keeps focus, so
 * Tab users are not thrown out of their place.
 */
export function releaseFocus(e: Event): void {
  const el = e.target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return;
  if (e.type === 'click' && (e as MouseEvent).detail === 0) return;
  const focused = document.activeElement as HTMLElement | null;
  if (!focused || focused === document.body || !focused.contains(el)) return;
  if (ownsKey(focused, 'a')) return; // a text field keeps focus: the operator is typing
  // A select keeps focus while its list is open; it gives it back once a value is chosen.
  if (focused.tagName === 'SELECT' ? e.type !== 'change' : e.type !== 'click') return;
  focused.blur();
}
