import { describe, expect, it } from 'vitest';
import { eta } from '../../../../renderer/src/lib/format.js';
import { ACQUIRING_WINDOW_MS, acquisitionText } from '../../../../renderer/src/lib/status.js';

describe('status bar acquisition text', () => {
  const now = 1_000_000;
  it('says "acquiring" only while frames arrive', () => {
    expect(acquisitionText(true, now - 5_000, now, eta)).toEqual({ text: 'acquiring', active: true });
    expect(acquisitionText(true, now - ACQUIRING_WINDOW_MS - 1, now, eta).active).toBe(false);
  });
  it('says for how long no frame came once the microscope stopped', () => {
    expect(acquisitionText(true, now - 125_000, now, eta)).toEqual({ text: 'watching · no new frames for 2 min 5 s', active: false });
    expect(acquisitionText(true, null, now, eta)).toEqual({ text: 'watching · no new frames yet', active: false });
  });
  it('says "not watching" without a watcher, whatever the last frame', () => {
    expect(acquisitionText(false, now - 1_000, now, eta)).toEqual({ text: 'not watching', active: false });
  });
});
