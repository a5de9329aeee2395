/**
 * Training pack: reviewed pairs in the format models/training/common.py
 * (`PairSet`) reads — `index.json` plus `oof.f32` / `focus.f32`, each
 * n × S × S float32 little-endian, intensities in [0, 1].
 *
 * Pairs: (original OOF frame → its accepted restoration), `oof: 1`, and
 * identical in-focus pairs (original, original), `oof: 0`, `identical: true`,
 * which teach the restorer to leave sharp frames alone (PostFocus trains with
 * 25 % identical pairs). Frames are centre-cropped to S × S when larger and
 * mirror-padded (reflection without repeating the edge pixel) when smaller, so
 * no artificial edge appears that the model could learn. Appending to the two
 * files pair by pair keeps memory at one frame whatever the pack size.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const TRAINING_PACK_DIR = 'training-pack';
/** Default side S: TIMING crops are 281 px; 256 keeps the well and is what the recipes crop patches from. */
export const DEFAULT_TRAINING_SIZE = 256;
/** Share of identical in-focus pairs in the pack (PostFocus: 25 %). */
export const IDENTICAL_FRACTION = 0.25;

export interface TrainingPackItem {
  dz_um: null;
  oof: 0 | 1;
  kind: 'station';
  identical: boolean;
  frame_id: number;
}

export interface TrainingPackIndex {
  version: 1;
  size: number;
  count: number;
  seed: null;
  source: 'station-export';
  files: { oof: 'oof.f32'; focus: 'focus.f32' };
  items: TrainingPackItem[];
}

/** Reflect index i into [0, n) without repeating the edge (… 2 1 | 0 1 2 … n−1 | n−2 …). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Centre crop (or mirror-pad) a `(H, W)` float32 row-major image to `(size, size)`.
 * The window starts at floor((W − size) / 2) (negative when padding).
 */
export function centreCropOrPad(data: Float32Array, width: number, height: number, size: number): Float32Array {
  if (data.length !== width * height) {
    throw new Error(`centreCropOrPad: data has ${data.length} values, expected ${width}×${height}`);
  }
  if (!Number.isInteger(size) || size <= 0) throw new Error(`centreCropOrPad: size must be a positive whole number, got ${size}`);
  const out = new Float32Array(size * size);
  const x0 = Math.floor((width - size) / 2);
  const y0 = Math.floor((height - size) / 2);
  for (let y = 0; y < size; y++) {
    const sy = reflectIndex(y0 + y, height);
    const row = sy * width;
    for (let x = 0; x < size; x++) out[y * size + x] = data[row + reflectIndex(x0 + x, width)]!;
  }
  return out;
}

/** Clamps to [0, 1] in place (restorations can overshoot slightly; NaN becomes 0). */
export function clampUnit(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    data[i] = v > 1 ? 1 : v >= 0 ? v : 0;
  }
  return data;
}

function littleEndianBytes(data: Float32Array): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return buf;
  const copy = Buffer.from(buf);
  copy.swap32();
  return copy;
}

/**
 * Selects which in-focus frames become identical pairs: `wanted` of `available`,
 * spread evenly over the iteration order (deterministic, no RNG), so the pack
 * samples every block and time of the run instead of the first wells only.
 */
export function evenSelector(available: number, wanted: number): (index: number) => boolean {
  const k = Math.max(0, Math.min(available, Math.floor(wanted)));
  return (i) => k > 0 && Math.floor(((i + 1) * k) / available) > Math.floor((i * k) / available);
}

/** Number of identical pairs that makes them `IDENTICAL_FRACTION` of a pack with `restoredPairs` OOF pairs. */
export function identicalPairsWanted(restoredPairs: number, fraction = IDENTICAL_FRACTION): number {
  return Math.round((restoredPairs * fraction) / (1 - fraction));
}

/** Appends pairs to `<dir>/oof.f32` and `<dir>/focus.f32`; `finish` writes index.json. */
export class TrainingPackWriter {
  private readonly oofFd: number;
  private readonly focusFd: number;
  private readonly items: TrainingPackItem[] = [];
  private closed = false;

  constructor(
    readonly dir: string,
    readonly size: number,
  ) {
    this.oofFd = openSync(join(dir, 'oof.f32'), 'w');
    try {
      this.focusFd = openSync(join(dir, 'focus.f32'), 'w');
    } catch (err) {
      closeSync(this.oofFd);
      throw err;
    }
  }

  get count(): number {
    return this.items.length;
  }

  /** Adds one pair of `(size, size)` float32 images in [0, 1]. */
  add(oof: Float32Array, focus: Float32Array, item: Omit<TrainingPackItem, 'dz_um' | 'kind'>): void {
    const n = this.size * this.size;
    if (oof.length !== n || focus.length !== n) {
      throw new Error(`training pack: frame ${item.frame_id} is not ${this.size}×${this.size} after cropping`);
    }
    writeAll(this.oofFd, littleEndianBytes(oof));
    writeAll(this.focusFd, littleEndianBytes(focus));
    this.items.push({ dz_um: null, oof: item.oof, kind: 'station', identical: item.identical, frame_id: item.frame_id });
  }

  /** Closes the arrays and writes index.json; returns the index. */
  finish(): TrainingPackIndex {
    this.close();
    const index: TrainingPackIndex = {
      version: 1,
      size: this.size,
      count: this.items.length,
      seed: null,
      source: 'station-export',
      files: { oof: 'oof.f32', focus: 'focus.f32' },
      items: this.items,
    };
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify(index));
    return index;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.oofFd);
    } finally {
      closeSync(this.focusFd);
    }
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
