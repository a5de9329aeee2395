import { describe, expect, it } from 'vitest';
import { ownsKey } from '../../../../renderer/src/lib/keys.js';

/** The fields ownsKey reads of a focused element. */
const el = (tagName: string, type?: string, isContentEditable = false) => ({ tagName, type, isContentEditable }) as unknown as EventTarget;

describe('review keys and the focused control', () => {
  it('a focused checkbox or button leaves the review keys to the review (only Space/Enter are theirs)', () => {
    for (const key of ['a', 'r', 'u', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown']) {
      expect(ownsKey(el('INPUT', 'checkbox'), key), `checkbox ${key}`).toBe(false);
      expect(ownsKey(el('BUTTON'), key), `button ${key}`).toBe(false);
    }
    expect(ownsKey(el('INPUT', 'checkbox'), ' ')).toBe(true);
    expect(ownsKey(el('BUTTON'), 'Enter')).toBe(true);
  });
  it('text fields keep every key; a slider and a select keep their arrows', () => {
    for (const key of ['a', 'u', 'ArrowLeft', ' ']) {
      expect(ownsKey(el('INPUT', 'text'), key)).toBe(true);
      expect(ownsKey(el('INPUT', 'number'), key)).toBe(true);
      expect(ownsKey(el('TEXTAREA'), key)).toBe(true);
      expect(ownsKey(el('DIV', undefined, true), key)).toBe(true);
    }
    expect(ownsKey(el('INPUT', 'range'), 'ArrowLeft')).toBe(true);
    expect(ownsKey(el('INPUT', 'range'), 'a')).toBe(false);
    expect(ownsKey(el('SELECT'), 'ArrowDown')).toBe(true);
    expect(ownsKey(el('SELECT'), 'r')).toBe(false);
    expect(ownsKey(null, 'a')).toBe(false);
  });
});
