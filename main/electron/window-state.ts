/**
 * Remembers the main window's bounds between runs (JSON in userData). Pure
 * Node: the shell passes the folder and the window's bounds.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1600, height: 1000, maximized: false };

function sane(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
}

/** Reads the saved state; a missing or damaged file gives the defaults. */
export function loadWindowState(userData: string): WindowState {
  try {
    const raw = JSON.parse(readFileSync(join(userData, 'window-state.json'), 'utf8')) as Partial<WindowState>;
    const state: WindowState = {
      width: sane(raw.width, 640, 16384) ? raw.width : DEFAULT_WINDOW_STATE.width,
      height: sane(raw.height, 480, 16384) ? raw.height : DEFAULT_WINDOW_STATE.height,
      maximized: raw.maximized === true,
    };
    if (sane(raw.x, -32768, 32768) && sane(raw.y, -32768, 32768)) {
      state.x = raw.x;
      state.y = raw.y;
    }
    return state;
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

/** Saves the state atomically (write then rename). */
export function saveWindowState(userData: string, state: WindowState): void {
  const file = join(userData, 'window-state.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}
