/**
 * Reading the pixels an export writes: acquisition originals (raw samples,
 * written back bit-exactly) and workspace restorations (float, converted to the
 * original's bit depth), with the sha256 of each source file for the manifest.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readTiffFloatPage, readTiffPage, type TiffPage } from '../imaging/tiff-read.js';

export type Samples = Uint8Array | Uint16Array | Float32Array;

/** sha256 (hex) of files, remembering the last few paths (a stack is read once per well, not once per page). */
export class FileHasher {
  private readonly cache = new Map<string, string>();
  constructor(private readonly capacity = 8) {}

  sha256(path: string): string {
    const hit = this.cache.get(path);
    if (hit) return hit;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const digest = sha256Hex(bytes);
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(path, digest);
    return digest;
  }
}

/** sha256 (hex) of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Converts `(H, W)` float32 intensities in [0, 1] to samples of `bits`:
 * 8-bit round(v·255), 16-bit round(v·65535), 32-bit float unchanged;
 * values outside [0, 1] are clamped (NaN → 0).
 */
export function floatToSamples(data: Float32Array, bits: 8 | 16 | 32): Samples {
  if (bits === 32) return data;
  const max = bits === 8 ? 255 : 65535;
  const out = bits === 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[i] = v >= 1 ? max : v > 0 ? Math.round(v * max) : 0;
  }
  return out;
}

/** Samples → `(H, W)` float32 in [0, 1] (8-bit / 255, 16-bit / 65535, float unchanged). */
export function samplesToFloat(data: Samples): Float32Array {
  if (data instanceof Float32Array) return data;
  const scale = 1 / (data instanceof Uint8Array ? 255 : 65535);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * scale;
  return out;
}

/** Decodes an acquisition original (one page); checks its size against the database. */
export async function readOriginal(
  path: string,
  page: number,
  expected: { width: number; height: number },
): Promise<TiffPage> {
  const decoded = await readTiffPage(path, page);
  if (decoded.width !== expected.width || decoded.height !== expected.height) {
    throw new Error(
      `${path} page ${page} is ${decoded.width}×${decoded.height} but was ingested as ${expected.width}×${expected.height}; ` +
        'the acquisition file changed after ingest',
    );
  }
  return decoded;
}

/** Decodes a restoration mean and converts it to the original's bit depth. */
export async function readRestored(
  path: string,
  original: { width: number; height: number; bits: 8 | 16 | 32 },
): Promise<TiffPage> {
  const restored = await readTiffFloatPage(path, 0);
  if (restored.width !== original.width || restored.height !== original.height) {
    throw new Error(
      `restoration ${path} is ${restored.width}×${restored.height}, its original is ${original.width}×${original.height}`,
    );
  }
  // A float mean holds [0, 1] intensities; integer files were already scaled by readTiffFloatPage.
  return { width: restored.width, height: restored.height, bits: original.bits, data: floatToSamples(restored.data, original.bits) };
}
