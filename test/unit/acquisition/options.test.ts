import { describe, expect, it } from 'vitest';
import { parseLayoutChoice } from '../../../main/acquisition/options.js';

describe('parseLayoutChoice', () => {
  it('validates --layout and --pattern with messages naming the flags', () => {
    expect(parseLayoutChoice(undefined, undefined)).toEqual({ layout: 'auto' });
    expect(parseLayoutChoice('timing', undefined)).toEqual({ layout: 'timing' });
    expect(parseLayoutChoice(undefined, '{well}.tif')).toEqual({ layout: 'pattern', pattern: '{well}.tif' });
    expect(() => parseLayoutChoice('nope', undefined)).toThrow(/--layout must be one of auto, timing/);
    expect(() => parseLayoutChoice('timing', '{well}.tif')).toThrow(/--pattern goes with --layout pattern/);
    expect(() => parseLayoutChoice('pattern', undefined)).toThrow(/needs --pattern/);
  });
  it('adds --channel to any layout, and refuses an empty one', () => {
    expect(parseLayoutChoice('nikon', undefined, ' 2 ')).toEqual({ layout: 'nikon', channel: '2' });
    expect(parseLayoutChoice(undefined, undefined, 'Phase')).toEqual({ layout: 'auto', channel: 'Phase' });
    expect(() => parseLayoutChoice(undefined, undefined, ' ')).toThrow(/--channel needs a channel index or name/);
    expect(() => parseLayoutChoice('nope', undefined, '0')).toThrow(/--layout must be one of/);
  });
});

describe('parseMaxPixels', () => {
  it('reads a pixel count or WIDTHxHEIGHT, defaults to 4096², and names the flag when wrong', async () => {
    const { DEFAULT_MAX_PIXELS, parseMaxPixels } = await import('../../../main/acquisition/options.js');
    expect(DEFAULT_MAX_PIXELS).toBe(4096 * 4096);
    expect(parseMaxPixels(undefined)).toBe(DEFAULT_MAX_PIXELS);
    expect(parseMaxPixels('1000')).toBe(1000);
    expect(parseMaxPixels('2048x1024')).toBe(2048 * 1024);
    expect(parseMaxPixels('30×30')).toBe(900);
    for (const bad of ['', '0', '-5', '12.5', 'big', '10x', 'x10']) {
      expect(() => parseMaxPixels(bad), bad).toThrow(/--max-pixels must be a pixel count or WIDTHxHEIGHT/);
    }
  });
});
