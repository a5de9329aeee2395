import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, loadWindowState, saveWindowState } from '../../../main/electron/window-state.js';
import { tempDir } from '../../integration/pipeline-helpers.js';

describe('window state', () => {
  it('round-trips through userData and falls back to defaults on damage', () => {
    const dir = tempDir('window-state');
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
    saveWindowState(dir, { x: 10, y: 20, width: 1400, height: 900, maximized: true });
    expect(loadWindowState(dir)).toEqual({ x: 10, y: 20, width: 1400, height: 900, maximized: true });
    writeFileSync(join(dir, 'window-state.json'), '{"width": 5, "height": "tall"');
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
    writeFileSync(join(dir, 'window-state.json'), JSON.stringify({ width: 10, height: 99999999, x: 'a' }));
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
  });
});
