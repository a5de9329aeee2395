/** Shared helpers of the inference tests: fixture models, synthetic frames written as real TIFFs. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeTiff } from '../../../main/imaging/tiff-write.js';
import { GaussianRng } from '../../../main/inference/samplers/gaussian.js';

export const FIXTURE_MODELS = resolve('test/fixtures/models');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pf-${prefix}-`));
}

/** A copy of the fixture models folder that a test may damage. */
export function copyFixtureModels(): string {
  const dir = tempDir('models');
  for (const name of readdirSync(FIXTURE_MODELS)) {
    if (name.endsWith('.onnx') || name === 'manifest.json') copyFileSync(join(FIXTURE_MODELS, name), join(dir, name));
  }
  return dir;
}

/**
 * A synthetic phase-contrast-like frame: rings on a grey background, optionally
 * box-blurred `blur` times (out of focus). (H, W) float32 in [0, 1].
 */
export function syntheticFrame(width: number, height: number, seed: number, blur = 0): Float32Array {
  const rng = new GaussianRng(seed);
  let img = new Float32Array(width * height).fill(0.45);
  for (let k = 0; k < 6; k++) {
    const cy = rng.uniform() * height;
    const cx = rng.uniform() * width;
    const r = 3 + rng.uniform() * 5;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const d = Math.hypot(y - cy, x - cx);
      if (Math.abs(d - r) < 1.2) img[y * width + x]! += 0.35;
      else if (d < r - 1.2) img[y * width + x]! -= 0.15;
    }
  }
  for (let i = 0; i < img.length; i++) img[i]! += 0.01 * rng.normal();
  for (let pass = 0; pass < blur; pass++) {
    const out = new Float32Array(img.length);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = Math.min(height - 1, Math.max(0, y + dy));
        const xx = Math.min(width - 1, Math.max(0, x + dx));
        s += img[yy * width + xx]!;
        n++;
      }
      out[y * width + x] = s / n;
    }
    img = out;
  }
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, img[i]!));
  return img;
}

/** Writes a frame as an 8-bit TIFF; returns its path. */
export function writeFrame8(dir: string, name: string, data: Float32Array, width: number, height: number): string {
  mkdirSync(dir, { recursive: true });
  const px = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) px[i] = Math.round(data[i]! * 255);
  const path = join(dir, name);
  writeTiff(path, { width, height, data: px });
  return path;
}
