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
});
