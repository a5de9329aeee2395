/**
 * Reading the pixels an export writes: acquisition originals (raw samples,
 * written back bit-exactly) and workspace restorations (float, converted to the
 * original's bit depth), with the sha256 of each source file for the manifest.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readTiffFloatPage, readTiffPage, type TiffPage } from '../imaging/tiff-read.js';
import { unitToSamples } from '../imaging/sample.js';

/**
 * A frame's source file (its original, or its restoration) cannot be read as
 * the station recorded it: gone, damaged, changed since ingest, or pixels the
 * station cannot decode. That frame is left out of the export (counted, with
 * this message in summary.json); the other frames are exported.
 */
export class UnreadableSource extends Error {
  override name = 'UnreadableSource';
}

/** Runs a read of a source file; any failure of it becomes an {@link UnreadableSource}. */
async function reading<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw err instanceof UnreadableSource ? err : new UnreadableSource((err as Error).message);
  }
}

// Sample conversion lives in imaging/sample.ts; re-exported for the export modules.
export { samplesToUnit as samplesToFloat, type Samples } from '../imaging/sample.js';

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
      throw new UnreadableSource(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
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

/** Decodes an acquisition original (one page); checks its size against the database. */
export async function readOriginal(
  path: string,
  page: number,
  expected: { width: number; height: number },
): Promise<TiffPage> {
  const decoded = await reading(() => readTiffPage(path, page));
  if (decoded.width !== expected.width || decoded.height !== expected.height) {
    throw new UnreadableSource(
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
  const restored = await reading(() => readTiffFloatPage(path, 0));
  if (restored.width !== original.width || restored.height !== original.height) {
    throw new UnreadableSource(
      `restoration ${path} is ${restored.width}×${restored.height}, its original is ${original.width}×${original.height}`,
    );
  }
  // A float mean holds [0, 1] intensities; integer files were already scaled by readTiffFloatPage.
  return { width: restored.width, height: restored.height, bits: original.bits, data: unitToSamples(restored.data, original.bits) };
}
