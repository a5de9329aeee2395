/**
 * Writes a simulated acquisition and its ground truth.
 *
 * Acquisition folder: frames only, in the chosen layout (layout.ts), uncompressed
 * TIFF like a camera writes them. Nothing in the acquisition reveals Δz.
 * Truth folder (separate, never inside the acquisition):
 *   truth.csv    path,dz_um,oof,focus_path,mask_path,block,well,t,kind,oof_video
 *                path: frame relative to the acquisition root; focus_path and
 *                mask_path: relative to the truth folder; one row per frame in
 *                write order (t-major), appended as frames are written
 *   focus/<path> the in-focus twin (Δz = 0, same cells, same noise draws)
 *   masks/<path> object labels (uint8, 0 = background, ids stable over time)
 *   truth.json   parameters, label convention, per-video OOF flags and objects
 *
 * Without a rate every frame is written as fast as possible. With a rate
 * (frames/s) frames appear live in t-major order across nanowells, each file
 * written in several chunks with short pauses like a camera driver, so
 * watchers see partially written files; truth files are written atomically
 * before their frame starts. With `prerender`, every frame is rendered (and its
 * truth written) before the first one is written live, and the frames wait in
 * memory: the live phase then costs no simulation CPU, as a real microscope
 * writing from its own computer costs the station none (bench:live).
 */
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, writeSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeTiff, writeFileAtomic } from '../../imaging/tiff-write.js';
import { blockFocusSchedule, FOCUS_PRESETS, fractionFocusSchedule, IN_FOCUS_MAX_DZ_UM, OOF_MAX_DZ_UM, OOF_MIN_DZ_UM, OOF_THRESHOLD_UM, oofLabel, type BlockFocus } from '../focus.js';
import { framePath, SIMULATED_LAYOUTS, type SimulatedLayout } from '../layout.js';
import { DEFAULT_FRAME_INTERVAL_MIN, DEFAULT_PIXEL_SIZE_UM, wellScene, type FrameSpec } from '../microscope.js';
import { hashSeed } from '../prng.js';
import type { SimResult } from '../tasks.js';
import { SimulationPool } from './pool.js';

export interface AcquisitionOptions {
  acquisitionDir: string;
  truthDir: string;
  blocks: number;
  wells: number;
  frames: number;
  /** Frames per second for live writing; undefined = as fast as possible. */
  rate?: number;
  layout: SimulatedLayout;
  preset: 'nalm6' | 'skov3';
  /** Fraction of OOF frames (each video its own share around it); omitted: the preset's episodes. */
  oofFraction?: number;
  size: number;
  bits: 8 | 16;
  seed: number;
  frameIntervalMin?: number;
  threads: number;
  entryUrl: string;
  command?: string;
  /** Chunks per file in live mode. */
  chunks?: number;
  /** Live mode: render every frame before writing the first (frames are held in memory, about size² bytes × bits/8 each). */
  prerender?: boolean;
  /** Live mode: called once when the first frame is about to be written live. */
  onLiveStart?: () => void;
  onProgress?: (done: number, total: number) => void;
}

export interface AcquisitionSummary {
  acquisition: string;
  truth: string;
  layout: SimulatedLayout;
  preset: string;
  frames_written: number;
  oof_frames: number;
  videos: number;
  oof_videos: number;
  seconds: number;
  frames_per_second: number;
  /** Live mode: requested rate and the worst lateness of a frame start (s). */
  requested_rate?: number;
  max_lag_s?: number;
  threads: number;
}

/** Thrown for invalid options; the CLI maps it to exit code 2. */
export class AcquisitionOptionError extends Error {}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

function isNonEmptyDir(path: string): boolean {
  return existsSync(path) && readdirSync(path).length > 0;
}

/** Checks every option before anything is written. */
export function validateAcquisitionOptions(o: AcquisitionOptions): void {
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new AcquisitionOptionError(`--${name} must be a whole number in [${min}, ${max}], got ${v}`);
  };
  int('blocks', o.blocks, 1, 999);
  int('wells', o.wells, 1, 999);
  int('frames', o.frames, 1, 100000);
  int('size', o.size, 16, 2048);
  if (o.rate !== undefined && !(Number.isFinite(o.rate) && o.rate > 0)) throw new AcquisitionOptionError(`--rate must be a positive number of frames/s, got ${o.rate}`);
  if (o.prerender && o.rate === undefined) throw new AcquisitionOptionError('--prerender needs --rate (it renders ahead of live writing)');
  if (!SIMULATED_LAYOUTS.includes(o.layout)) throw new AcquisitionOptionError(`unknown layout "${o.layout}" (use ${SIMULATED_LAYOUTS.join(' or ')})`);
  if (!(o.preset in FOCUS_PRESETS)) throw new AcquisitionOptionError(`unknown preset "${o.preset}" (use ${Object.keys(FOCUS_PRESETS).join(' or ')})`);
  if (o.oofFraction !== undefined && !(o.oofFraction >= 0 && o.oofFraction <= 1)) throw new AcquisitionOptionError(`--oof-fraction must be a number in [0, 1], got ${o.oofFraction}`);
  if (o.bits !== 8 && o.bits !== 16) throw new AcquisitionOptionError(`--bits must be 8 or 16, got ${String(o.bits)}`);
  const acq = resolve(o.acquisitionDir);
  const truth = resolve(o.truthDir);
  if (isInside(truth, acq)) throw new AcquisitionOptionError(`truth folder ${truth} is inside the acquisition folder ${acq}; keep ground truth out of the acquisition`);
  if (isInside(acq, truth)) throw new AcquisitionOptionError(`acquisition folder ${acq} is inside the truth folder ${truth}; use separate folders`);
  if (isNonEmptyDir(acq)) throw new AcquisitionOptionError(`acquisition folder ${acq} is not empty`);
  if (isNonEmptyDir(truth)) throw new AcquisitionOptionError(`truth folder ${truth} is not empty`);
}

interface FrameJob {
  block: number;
  well: number;
  t: number;
  path: string;
  dz: number;
  spec: FrameSpec;
}

/** Frame jobs in write order: t-major, then block, then well. */
function planFrames(o: AcquisitionOptions, schedules: BlockFocus[]): FrameJob[] {
  const preset = FOCUS_PRESETS[o.preset];
  const interval = o.frameIntervalMin ?? DEFAULT_FRAME_INTERVAL_MIN;
  const jobs: FrameJob[] = [];
  for (let t = 1; t <= o.frames; t++) {
    for (let b = 1; b <= o.blocks; b++) {
      for (let w = 1; w <= o.wells; w++) {
        const dz = Math.round(schedules[b - 1]!.dz[w - 1]![t - 1]! * 1000) / 1000;
        jobs.push({
          block: b,
          well: w,
          t,
          path: framePath(o.layout, b, w, t, o.wells),
          dz,
          spec: {
            sceneKind: preset.sceneKind,
            sceneSeed: hashSeed(o.seed, b, w, 0x5ce),
            t: t - 1,
            frames: o.frames,
            frameIntervalMin: interval,
            dzUm: dz,
            noiseSeed: hashSeed(o.seed, b, w, t, 0x401),
          },
        });
      }
    }
  }
  return jobs;
}

function tiffOf(data: Uint8Array | Uint16Array, size: number): Buffer {
  return encodeTiff({ width: size, height: size, data }, { software: 'PostFocus Station virtual microscope', pixelSizeUm: DEFAULT_PIXEL_SIZE_UM });
}

/** Writes a file in `chunks` pieces with `pauseMs` between them (a camera-like, non-atomic write). */
async function writeChunked(path: string, bytes: Buffer, chunks: number, pauseMs: number): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    const step = Math.ceil(bytes.length / chunks);
    for (let off = 0; off < bytes.length; off += step) {
      const end = Math.min(bytes.length, off + step);
      let done = off;
      while (done < end) done += writeSync(fd, bytes, done, end - done);
      if (end < bytes.length && pauseMs > 0) await sleep(pauseMs);
    }
  } finally {
    closeSync(fd);
  }
}

export const TRUTH_CSV_HEADER = 'path,dz_um,oof,focus_path,mask_path,block,well,t,kind,oof_video';

export async function writeAcquisition(o: AcquisitionOptions): Promise<AcquisitionSummary> {
  validateAcquisitionOptions(o);
  const acq = resolve(o.acquisitionDir);
  const truth = resolve(o.truthDir);
  const preset = FOCUS_PRESETS[o.preset];
  const schedules = Array.from({ length: o.blocks }, (_, i) =>
    o.oofFraction === undefined
      ? blockFocusSchedule(o.seed, i + 1, o.wells, o.frames, preset)
      : fractionFocusSchedule(o.seed, i + 1, o.wells, o.frames, preset, o.oofFraction),
  );
  const jobs = planFrames(o, schedules);
  mkdirSync(acq, { recursive: true });
  mkdirSync(truth, { recursive: true });
  const videos = [];
  for (let b = 1; b <= o.blocks; b++) {
    for (let w = 1; w <= o.wells; w++) {
      const scene = wellScene(preset.sceneKind, hashSeed(o.seed, b, w, 0x5ce));
      videos.push({
        block: b,
        well: w,
        oof_video: schedules[b - 1]!.oofVideo[w - 1]!,
        objects: scene.objects.filter((x) => x.kind !== 'debris').map((x) => ({ id: x.id, kind: x.kind })),
      });
    }
  }
  writeFileAtomic(
    join(truth, 'truth.json'),
    JSON.stringify(
      {
        version: 1,
        layout: o.layout,
        preset: o.preset,
        oof_fraction: o.oofFraction ?? null,
        seed: o.seed,
        blocks: o.blocks,
        wells: o.wells,
        frames: o.frames,
        size: o.size,
        bits: o.bits,
        rate: o.rate ?? null,
        pixel_size_um: DEFAULT_PIXEL_SIZE_UM,
        frame_interval_min: o.frameIntervalMin ?? DEFAULT_FRAME_INTERVAL_MIN,
        label_convention: {
          oof_threshold_um: OOF_THRESHOLD_UM,
          in_focus_max_dz_um: IN_FOCUS_MAX_DZ_UM,
          oof_min_dz_um: OOF_MIN_DZ_UM,
          oof_max_dz_um: OOF_MAX_DZ_UM,
          rule: 'oof = 1 iff |dz_um| >= oof_threshold_um',
        },
        files: { csv: 'truth.csv', focus: 'focus/<path>', masks: 'masks/<path>' },
        videos,
      },
      null,
      1,
    ) + '\n',
  );
  const csvPath = join(truth, 'truth.csv');
  writeFileSync(csvPath, TRUTH_CSV_HEADER + '\n');

  const pool = new SimulationPool({ threads: o.threads, entryUrl: o.entryUrl, command: o.command });
  const started = performance.now();
  const ahead = Math.max(4, pool.threads * 3);
  const results = new Map<number, Promise<SimResult>>();
  let submitted = 0;
  const submit = (): void => {
    while (submitted < jobs.length && submitted < writtenCount + ahead) {
      const j = jobs[submitted]!;
      const p = pool.run({ type: 'frame', spec: j.spec, size: o.size, bits: o.bits });
      p.catch(() => undefined);
      results.set(submitted, p);
      submitted++;
    }
  };
  let writtenCount = 0;
  let oofFrames = 0;
  let maxLag = 0;
  let liveStart = 0;
  const chunks = Math.max(1, o.chunks ?? 4);
  const staged: { path: string; bytes: Buffer; row: string }[] = [];
  /** Writes frame i at its due time (liveStart + i / rate), in chunks like a camera driver. */
  const writeLive = async (i: number, path: string, bytes: Buffer, row: string): Promise<void> => {
    appendFileSync(csvPath, row + '\n');
    const period = 1000 / o.rate!;
    if (i === 0) {
      o.onLiveStart?.();
      liveStart = performance.now();
    }
    const due = liveStart + i * period;
    const now = performance.now();
    if (due > now) await sleep(due - now);
    else maxLag = Math.max(maxLag, (now - due) / 1000);
    const pause = Math.min(40, Math.max(1, (0.3 * period) / chunks));
    await writeChunked(join(acq, path), bytes, chunks, pause);
  };
  try {
    submit();
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      const r = await results.get(i)!;
      results.delete(i);
      if (r.type !== 'frame') throw new Error('unexpected result type');
      const focusRel = `focus/${j.path}`;
      const maskRel = `masks/${j.path}`;
      mkdirSync(dirname(join(truth, focusRel)), { recursive: true });
      mkdirSync(dirname(join(truth, maskRel)), { recursive: true });
      mkdirSync(dirname(join(acq, j.path)), { recursive: true });
      const frameBytes = tiffOf(r.frame, o.size);
      const oof = oofLabel(j.dz);
      oofFrames += oof;
      const video = videos[(j.block - 1) * o.wells + (j.well - 1)]!;
      const row = [j.path, j.dz.toFixed(3), oof, focusRel, maskRel, j.block, j.well, j.t, o.preset, video.oof_video ? 1 : 0].join(',');
      if (o.rate === undefined) {
        writeFileSync(join(truth, focusRel), tiffOf(r.twin, o.size));
        writeFileSync(join(truth, maskRel), encodeTiff({ width: o.size, height: o.size, data: r.labels }));
        writeFileSync(join(acq, j.path), frameBytes);
        appendFileSync(csvPath, row + '\n');
      } else {
        writeFileAtomic(join(truth, focusRel), tiffOf(r.twin, o.size));
        writeFileAtomic(join(truth, maskRel), encodeTiff({ width: o.size, height: o.size, data: r.labels }));
        if (o.prerender) staged.push({ path: j.path, bytes: frameBytes, row });
        else await writeLive(i, j.path, frameBytes, row);
      }
      writtenCount++;
      submit();
      o.onProgress?.(writtenCount, jobs.length);
    }
    for (const [i, f] of staged.entries()) {
      await writeLive(i, f.path, f.bytes, f.row);
      staged[i] = { ...f, bytes: Buffer.alloc(0) }; // written: let it go
    }
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const liveSeconds = o.rate !== undefined && jobs.length > 1 ? (performance.now() - liveStart) / 1000 : seconds;
  const summary: AcquisitionSummary = {
    acquisition: acq,
    truth,
    layout: o.layout,
    preset: o.preset,
    frames_written: jobs.length,
    oof_frames: oofFrames,
    videos: videos.length,
    oof_videos: videos.filter((v) => v.oof_video).length,
    seconds,
    frames_per_second: jobs.length / (o.rate !== undefined ? liveSeconds : seconds),
    threads: pool.threads,
  };
  if (o.rate !== undefined) {
    summary.requested_rate = o.rate;
    summary.max_lag_s = maxLag;
  }
  return summary;
}
