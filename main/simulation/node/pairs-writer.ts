/**
 * Writes training pairs to a folder:
 *   oof.f32, focus.f32  float32 little-endian, count × size × size, row-major,
 *                       intensities on the 8-bit scale (value / 255) in [0, 1]
 *   index.json          {"version":1,"size","count","seed","pixel_size_um",
 *                        "oof_threshold_um","files":{"oof","focus"},"items":[…]}
 * The arrays are written under *.tmp names and renamed, and index.json comes
 * last, so a folder with index.json is always complete.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../imaging/tiff-write.js';
import { OOF_THRESHOLD_UM } from '../focus.js';
import { DEFAULT_PIXEL_SIZE_UM } from '../microscope.js';
import { PAIRS_PER_SCENE, type PairItem } from '../pairs.js';
import { OOF_THRESHOLD_DOF } from '../depth-of-field.js';
import { VARIED_PAIRS_PER_SCENE, type ProfileSet, type VariedPairItem } from '../varied.js';
import { SimulationPool } from './pool.js';

export interface PairsIndex {
  version: 1;
  size: number;
  count: number;
  seed: number;
  /** Reference pairs: the one pixel size; varied pairs: null (per item). */
  pixel_size_um: number | null;
  /** Reference pairs: 5 µm; varied pairs: null (their label is in DOF units). */
  oof_threshold_um: number | null;
  /** Varied pairs only: the profile set and the OOF threshold in depths of field. */
  variant?: `varied-${ProfileSet}`;
  oof_threshold_dof?: number;
  files: { oof: string; focus: string };
  items: (PairItem | VariedPairItem)[];
}

export interface WritePairsOptions {
  count: number;
  size: number;
  seed: number;
  threads: number;
  entryUrl: string;
  command?: string;
  /** Replace existing pair files. */
  force?: boolean;
  /** Randomised microscopes and scenes (varied.ts) instead of the reference TIMING optics. */
  varied?: ProfileSet;
  onProgress?: (done: number, total: number) => void;
}

export interface WritePairsResult {
  dir: string;
  count: number;
  size: number;
  seed: number;
  seconds: number;
  pairsPerSecond: number;
  threads: number;
  oofFraction: number;
  identicalFraction: number;
}

/** Pairs per task: whole scene groups, large enough to amortise messaging. */
const CHUNK = PAIRS_PER_SCENE * 16;
const VARIED_CHUNK = VARIED_PAIRS_PER_SCENE * 8;

export async function writePairs(dir: string, options: WritePairsOptions): Promise<WritePairsResult> {
  const { count, size, seed } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`pair count must be a positive integer, got ${count}`);
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new Error(`pair size must be an integer in [8, 1024], got ${size}`);
  if (existsSync(dir) && !options.force) {
    const clash = readdirSync(dir).filter((f) => ['oof.f32', 'focus.f32', 'index.json'].includes(f));
    if (clash.length > 0) throw new Error(`${dir} already holds pairs (${clash.join(', ')}); use --force to replace them`);
  }
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const pool = new SimulationPool({ threads: options.threads, entryUrl: options.entryUrl, command: options.command });
  const bytesPerPair = size * size * 4;
  const oofTmp = join(dir, 'oof.f32.tmp');
  const focusTmp = join(dir, 'focus.f32.tmp');
  const fdOof = openSync(oofTmp, 'w');
  const fdFocus = openSync(focusTmp, 'w');
  const items: (PairItem | VariedPairItem)[] = new Array(count);
  const varied = options.varied;
  const chunk = varied ? VARIED_CHUNK : CHUNK;
  let done = 0;
  try {
    const starts: number[] = [];
    for (let s = 0; s < count; s += chunk) starts.push(s);
    let next = 0;
    const inFlight = Math.max(2, pool.threads * 2);
    const runOne = async (): Promise<void> => {
      while (next < starts.length) {
        const start = starts[next++]!;
        const n = Math.min(chunk, count - start);
        const r = await pool.run(
          varied ? { type: 'varied-pairs', set: varied, seed, patch: size, start, count: n } : { type: 'pairs', seed, patch: size, start, count: n },
        );
        if (r.type !== 'pairs' && r.type !== 'varied-pairs') throw new Error('unexpected result type');
        writeSync(fdOof, new Uint8Array(r.oof.buffer, r.oof.byteOffset, r.oof.byteLength), 0, r.oof.byteLength, start * bytesPerPair);
        writeSync(fdFocus, new Uint8Array(r.focus.buffer, r.focus.byteOffset, r.focus.byteLength), 0, r.focus.byteLength, start * bytesPerPair);
        for (let k = 0; k < n; k++) items[start + k] = r.items[k]!;
        done += n;
        options.onProgress?.(done, count);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, runOne));
  } finally {
    closeSync(fdOof);
    closeSync(fdFocus);
    await pool.close();
  }
  if (!isLittleEndian()) throw new Error('pairs are written little-endian; this host is big-endian');
  renameSync(oofTmp, join(dir, 'oof.f32'));
  renameSync(focusTmp, join(dir, 'focus.f32'));
  const index: PairsIndex = {
    version: 1,
    size,
    count,
    seed,
    pixel_size_um: varied ? null : DEFAULT_PIXEL_SIZE_UM,
    oof_threshold_um: varied ? null : OOF_THRESHOLD_UM,
    ...(varied ? { variant: `varied-${varied}` as const, oof_threshold_dof: OOF_THRESHOLD_DOF } : {}),
    files: { oof: 'oof.f32', focus: 'focus.f32' },
    items,
  };
  writeFileAtomic(join(dir, 'index.json'), JSON.stringify(index) + '\n');
  const seconds = (performance.now() - started) / 1000;
  return {
    dir,
    count,
    size,
    seed,
    seconds,
    pairsPerSecond: count / seconds,
    threads: pool.threads,
    oofFraction: items.filter((i) => i.oof === 1).length / count,
    identicalFraction: items.filter((i) => i.identical).length / count,
  };
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
