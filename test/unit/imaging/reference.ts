// Loads test/fixtures/imaging/reference.json (written by make_reference.py with
// scikit-image / numpy / scipy) and decodes its images and masks.
import type { AllFocusMetrics } from '../../../main/imaging/metrics/focus.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeImage, type Image } from '../../../main/imaging/image.js';

export interface FullReferenceCase {
  test: string;
  truth: string;
  psnr: number;
  ssim: number;
  pcc: number;
  edgePixels: number;
  edgePcc: number;
}

export interface CannyCase {
  image: string;
  sigma: number;
  lowThreshold?: number;
  highThreshold?: number;
  float32Input?: boolean;
  edgePixels: number;
  mask: string;
}

/** scikit-image / numpy values of every focus metric of an image, and its radial power spectrum. */
export interface FocusCase extends AllFocusMetrics {
  spectrumRadii: number[];
  spectrumPower: number[];
}

interface ReferenceFile {
  versions: Record<string, string>;
  images: Record<string, { width: number; height: number; data: string }>;
  fullReference: FullReferenceCase[];
  canny: CannyCase[];
  focus: Record<string, FocusCase>;
  tiny: { a: number[]; b: number[]; psnr: number; ssim: number; pcc: number; tenenbaum: number; laplacianVariance: number };
}

const path = fileURLToPath(new URL('../../fixtures/imaging/reference.json', import.meta.url));
export const reference: ReferenceFile = JSON.parse(readFileSync(path, 'utf8')) as ReferenceFile;

/** A fixture image by name, decoded from base64 little-endian float32. */
export function fixtureImage(name: string): Image {
  const entry = reference.images[name];
  if (!entry) throw new Error(`reference.json has no image named ${name}`);
  const bytes = Buffer.from(entry.data, 'base64');
  const data = new Float32Array(entry.width * entry.height);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
  return makeImage(entry.width, entry.height, data);
}

/** Decode an np.packbits mask (row-major, MSB first) of n pixels. */
export function unpackMask(b64: string, n: number): Uint8Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return out;
}

/** |actual − expected| ≤ rel·|expected| (+ a tiny absolute floor for values near 0). */
export function relClose(actual: number, expected: number, rel = 1e-6, abs = 1e-12): boolean {
  return Math.abs(actual - expected) <= rel * Math.abs(expected) + abs;
}
