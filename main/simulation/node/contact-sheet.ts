/**
 * Contact sheet of the virtual microscope: rows = nanowell kinds (NALM6-like,
 * SKOV3-like, beads), columns = Δz (−10, −5, 0, +5, +10 µm). Used to check by eye
 * that frames look like phase-contrast nanowell microscopy.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { drawNoise } from '../camera.js';
import { DEFAULT_FRAME_INTERVAL_MIN, VirtualMicroscope, wellScene } from '../microscope.js';
import { hashSeed } from '../prng.js';
import type { SceneKind } from '../scene.js';

export const CONTACT_SHEET_DZ = [-10, -5, 0, 5, 10] as const;
export const CONTACT_SHEET_ROWS: readonly SceneKind[] = ['nalm6', 'skov3', 'beads'];

/** Renders the contact sheet as an 8-bit grayscale image ((H, W) uint8, row-major). */
export function renderContactSheet(seed = 3, size = 281, gap = 6): { width: number; height: number; pixels: Uint8Array } {
  const mic = new VirtualMicroscope({ size });
  const cols = CONTACT_SHEET_DZ.length;
  const rows = CONTACT_SHEET_ROWS.length;
  const width = cols * size + (cols + 1) * gap;
  const height = rows * size + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height).fill(255);
  for (let r = 0; r < rows; r++) {
    const kind = CONTACT_SHEET_ROWS[r]!;
    const sceneSeed = hashSeed(seed, r);
    const scene = wellScene(kind, sceneSeed);
    mic.loadScene(scene, mic.posesAt(scene, sceneSeed, 0, 1, DEFAULT_FRAME_INTERVAL_MIN));
    const noise = drawNoise(size * size, hashSeed(seed, r, 7));
    for (let c = 0; c < cols; c++) {
      const img = mic.expose(mic.intensity(CONTACT_SHEET_DZ[c]!), undefined, noise);
      const ox = gap + c * (size + gap);
      const oy = gap + r * (size + gap);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) pixels[(oy + y) * width + ox + x] = Math.round(img[y * size + x]! * 255);
      }
    }
  }
  return { width, height, pixels };
}

/** Writes the contact sheet as a PNG file. */
export function writeContactSheet(path: string, seed = 3): void {
  const { width, height, pixels } = renderContactSheet(seed);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.from(pixels);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
}
