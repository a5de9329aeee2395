/**
 * Held-out virtual-microscope frames as an acquisition: the simulator's
 * held-out profile (60× bright field, never trained on), one "nanowell" per
 * scene group, each pair's in-focus plane at t = 2j+1 and its (maybe)
 * defocused plane at t = 2j+2, 16-bit. Ingest with the pattern below.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeTiff } from '../../main/imaging/tiff-write.js';
import { generateVariedPairs, VARIED_PAIRS_PER_SCENE } from '../../main/simulation/varied.js';

export const HOLDOUT_PATTERN = 'w{well}_t{t}.tif';

export interface HoldoutFrame {
  path: string;
  oof: boolean;
  well: number;
  t: number;
}

/** Writes `pairs` held-out pairs (2 frames each) under `dir`; returns the frames with their truth. */
export function writeHoldoutAcquisition(dir: string, pairs: number, seed = 1, patch = 96): HoldoutFrame[] {
  const b = generateVariedPairs('holdout', seed, patch, 0, pairs);
  const px = patch * patch;
  mkdirSync(dir, { recursive: true });
  const put = (name: string, src: Float32Array, k: number) => {
    const data = new Uint16Array(px);
    for (let i = 0; i < px; i++) data[i] = Math.max(0, Math.min(65535, Math.round(src[k * px + i]! * 65535)));
    writeTiff(join(dir, name), { width: patch, height: patch, data });
  };
  const frames: HoldoutFrame[] = [];
  b.items.forEach((it, k) => {
    const well = Math.floor(k / VARIED_PAIRS_PER_SCENE);
    const j = k % VARIED_PAIRS_PER_SCENE;
    const name = (t: number) => `w${String(well).padStart(3, '0')}_t${t}.tif`;
    put(name(2 * j + 1), b.focus, k);
    put(name(2 * j + 2), b.oof, k);
    frames.push({ path: name(2 * j + 1), oof: false, well, t: 2 * j + 1 });
    frames.push({ path: name(2 * j + 2), oof: it.oof === 1, well, t: 2 * j + 2 });
  });
  return frames;
}
