import { describe, expect, it } from 'vitest';
import { GLYPH_ADVANCE, glyphFor, hasGlyphs, textWidth } from '../../../main/imaging/font5x7.js';

describe('5×7 font', () => {
  it('covers digits, letters and the punctuation used in chart labels', () => {
    const charset = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:;-+()[]/%\'"!?_=<>#&*|µ°×±Δ';
    for (const ch of charset) expect(hasGlyphs(ch), `glyph for '${ch}'`).toBe(true);
    expect(hasGlyphs('p(OOF) ≥ 0.5')).toBe(true);
    expect(hasGlyphs('€')).toBe(false);
  });
  it('has 7 rows (8 with a descender) of 5-bit masks, distinct per character', () => {
    const seen = new Map<string, string>();
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') {
      const g = glyphFor(ch);
      expect([7, 8], `rows of '${ch}'`).toContain(g.length);
      expect(g.every((r) => r >= 0 && r < 32)).toBe(true);
      const key = g.join(',');
      expect(seen.get(key), `'${ch}' duplicates '${seen.get(key)}'`).toBeUndefined();
      seen.set(key, ch);
    }
    expect(glyphFor('g')).toHaveLength(8);
    expect(glyphFor('1')).toEqual([0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110]);
  });
  it('draws a hollow box for unknown characters and measures text without trailing spacing', () => {
    expect(glyphFor('€')).toEqual([31, 17, 17, 17, 17, 17, 31]);
    expect(textWidth('', 2)).toBe(0);
    expect(textWidth('ab', 1)).toBe(2 * GLYPH_ADVANCE - 1);
    expect(textWidth('µm', 3)).toBe(33);
  });
});
