// Types of tiff-fixtures.mjs (plain JavaScript so a writer process can run it without a build).
export interface TestPage {
  width: number;
  height: number;
  /** (H, W) row-major; (H, W, samples) interleaved when samples > 1. */
  /** Int16Array: signed samples; Float64Array: 64-bit float. */
  data: Uint8Array | Uint16Array | Int16Array | Float64Array;
  samples?: number;
}
export interface TestTiffOptions {
  compression?: 'none' | 'deflate' | 'lzw';
  littleEndian?: boolean;
  rowsPerStrip?: number;
  order?: 'ifd-first' | 'data-first';
  description?: string;
  /** PhotometricInterpretation (default 1, or 2 for 3 samples). */
  photometric?: number;
  /** MaxSampleValue tag (281) for every sample. */
  maxSampleValue?: number;
}
export type BrokenKind = 'truncated' | 'not-tiff' | 'empty' | 'ifd-beyond-end' | 'ifd-loop' | 'strip-beyond-end' | 'header-only';
export function rng(seed: number): () => number;
export function testImage(width: number, height: number, bits: 8, seed: number): Uint8Array;
export function testImage(width: number, height: number, bits: 16, seed: number): Uint16Array;
export function testImage(width: number, height: number, bits: 8 | 16, seed: number): Uint8Array | Uint16Array;
export function lzwEncode(input: Uint8Array): Buffer;
export function encodeTestTiff(pages: TestPage | TestPage[], options?: TestTiffOptions): Buffer;
export const BROKEN_KINDS: readonly BrokenKind[];
export function brokenTiff(kind: BrokenKind, seed: number, width?: number, height?: number): Buffer;
export function writeSlowly(path: string, data: Uint8Array, chunks: number, delayMs: number): Promise<void>;
