/**
 * Display images for the review UI: original, restored mean, ensemble members
 * and the uncertainty (spread) map of a frame, as PNG. Original, restored and
 * members of one frame share one display window (percentiles of the original),
 * so what differs between them on screen differs in the data. The spread map is
 * colour-mapped on its own range, reported with the image.
 *
 * Renderings are cached under <workspace>/thumbs/ (the acquisition folder is
 * never written), capped in size (thumb-cache.ts: oldest renderings go first). Decoding runs on the libuv pool (fs) and geotiff; frames are
 * small crops (~281²), so one rendering takes a few milliseconds.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import type { ImagePayload, ImageRequest } from '../common/domain.js';
import { readTiffFloatPage } from '../imaging/tiff-read.js';
import { DEFAULT_THUMB_CACHE_BYTES, pruneThumbCache, type PruneResult } from './thumb-cache.js';

/** Cache writes between two size checks of the cache. */
const PRUNE_EVERY_WRITES = 256;

/** A float image: `(H, W)` float32, row-major. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Display window in intensity units. */
export interface DisplayWindow {
  low: number;
  high: number;
}

/**
 * The [lo, hi] percentiles of an image's values (histogram of 4096 bins over
 * the value range), for a robust display window. `(H, W)` float32, row-major.
 */
export function percentileWindow(img: FloatImage, lo = 0.005, hi = 0.995): DisplayWindow {
  const { data } = img;
  if (data.length === 0) throw new Error('percentileWindow: empty image');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return { low: min, high: min + 1e-6 };
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < data.length; i++) hist[Math.round((data[i]! - min) * scale)]!++;
  const at = (q: number): number => {
    const target = q * data.length;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= target) return min + b / scale;
    }
    return max;
  };
  const low = at(lo);
  const high = at(hi);
  return high > low ? { low, high } : { low: min, high: max };
}

/**
 * Downscales by area averaging so the longest side is at most `maxSize`
 * (never upscales). `(H, W)` float32, row-major in and out.
 */
export function downscaleArea(img: FloatImage, maxSize: number): FloatImage {
  const longest = Math.max(img.width, img.height);
  if (longest <= maxSize) return img;
  const f = longest / maxSize;
  const width = Math.max(1, Math.round(img.width / f));
  const height = Math.max(1, Math.round(img.height / f));
  const out = new Float32Array(width * height);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) {
        const row = yy * img.width;
        for (let xx = x0; xx < x1; xx++) sum += img.data[row + xx]!;
      }
      out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return { width, height, data: out };
}

// Perceptually ordered dark→bright map (inferno anchors), for the spread overlay.
const INFERNO: readonly [number, number, number][] = [
  [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164],
];

/** RGB of the colour map at `t` in [0, 1]. */
export function inferno(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - i;
  const a = INFERNO[i]!;
  const b = INFERNO[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * Encodes an image as PNG: grey through the window, or colour-mapped (opaque
 * map with alpha growing with the value, so it can overlay the restored image).
 */
export function encodeDisplayPng(img: FloatImage, window: DisplayWindow, mode: 'grey' | 'heat'): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 6 });
  const span = window.high - window.low || 1;
  for (let i = 0; i < img.data.length; i++) {
    const t = Math.min(1, Math.max(0, (img.data[i]! - window.low) / span));
    const o = i * 4;
    if (mode === 'grey') {
      const v = Math.round(t * 255);
      png.data[o] = v;
      png.data[o + 1] = v;
      png.data[o + 2] = v;
      png.data[o + 3] = 255;
    } else {
      const [r, g, b] = inferno(t);
      png.data[o] = Math.round(r);
      png.data[o + 1] = Math.round(g);
      png.data[o + 2] = Math.round(b);
      png.data[o + 3] = Math.round(60 + 195 * t);
    }
  }
  return PNG.sync.write(png, { colorType: 6 });
}

/** Where the pixels of each kind of image come from. */
export interface ImageSources {
  /** Absolute path and page of the original frame. */
  original: { path: string; page: number };
  /** Workspace-relative derived files, when the frame was restored. */
  restoration?: { meanPath: string; spreadPath: string; membersPath: string | null; ensemble: number; tag: string };
}

/** Renders and caches display PNGs of frames. */
export class FrameImages {
  private readonly windows = new Map<number, DisplayWindow>();
  private writesSincePrune = 0;
  private pruning: Promise<PruneResult> | null = null;

  constructor(
    private readonly workspace: string,
    private readonly maxCacheBytes = DEFAULT_THUMB_CACHE_BYTES,
  ) {}

  /** Brings the disk cache under its cap (one pass at a time; never fails a request). */
  prune(): Promise<PruneResult> {
    this.writesSincePrune = 0;
    this.pruning ??= pruneThumbCache(join(this.workspace, 'thumbs'), this.maxCacheBytes).finally(() => {
      this.pruning = null;
    });
    return this.pruning;
  }

  private derived(path: string): string {
    const abs = isAbsolute(path) ? path : resolve(this.workspace, path);
    const root = resolve(this.workspace);
    if (!abs.startsWith(root)) throw new Error(`derived file ${path} is outside the workspace`);
    return abs;
  }

  private async windowOf(frameId: number, sources: ImageSources): Promise<DisplayWindow> {
    let w = this.windows.get(frameId);
    if (!w) {
      w = percentileWindow(await readTiffFloatPage(sources.original.path, sources.original.page));
      if (this.windows.size > 4096) this.windows.clear();
      this.windows.set(frameId, w);
    }
    return w;
  }

  /** Renders the requested image of a frame (cached on disk per kind, member and size). */
  async render(request: ImageRequest, sources: ImageSources): Promise<ImagePayload> {
    const size = request.maxSize ?? 0;
    const tag = request.kind === 'original' ? 'o' : sources.restoration?.tag ?? 'none';
    const memberPart = request.kind === 'member' ? String(request.member ?? 0) : '';
    const key = `${request.frameId}-${request.kind}${memberPart}-${size || 'full'}-${tag}`;
    const file = join(this.workspace, 'thumbs', String(Math.floor(request.frameId / 1000)), `${key}.png`);
    const meta = `${file}.json`;
    try {
      const [png, info] = await Promise.all([readFile(file), readFile(meta, 'utf8')]);
      const parsed = JSON.parse(info) as Omit<ImagePayload, 'base64' | 'mime'>;
      return { mime: 'image/png', ...parsed, base64: png.toString('base64') };
    } catch {
      // Not cached yet (or a partial cache entry): render it.
    }
    const { img, window, mode } = await this.load(request, sources);
    const scaled = size ? downscaleArea(img, size) : img;
    const png = encodeDisplayPng(scaled, window, mode);
    const payload: ImagePayload = {
      mime: 'image/png',
      width: scaled.width,
      height: scaled.height,
      window,
      base64: png.toString('base64'),
    };
    await writeCacheEntry(file, meta, png, { width: scaled.width, height: scaled.height, window });
    if (++this.writesSincePrune >= PRUNE_EVERY_WRITES) void this.prune().catch(() => undefined);
    return payload;
  }

  private async load(
    request: ImageRequest,
    sources: ImageSources,
  ): Promise<{ img: FloatImage; window: DisplayWindow; mode: 'grey' | 'heat' }> {
    if (request.kind === 'original') {
      const img = await readTiffFloatPage(sources.original.path, sources.original.page);
      return { img, window: await this.windowOf(request.frameId, sources), mode: 'grey' };
    }
    const r = sources.restoration;
    if (!r) throw new Error(`frame ${request.frameId} has no restoration yet, so no ${request.kind} image`);
    if (request.kind === 'restored') {
      const img = await readTiffFloatPage(this.derived(r.meanPath));
      return { img, window: await this.windowOf(request.frameId, sources), mode: 'grey' };
    }
    if (request.kind === 'spread') {
      const img = await readTiffFloatPage(this.derived(r.spreadPath));
      const w = percentileWindow(img, 0, 0.995);
      return { img, window: { low: 0, high: Math.max(w.high, 1e-4) }, mode: 'heat' };
    }
    if (!r.membersPath) throw new Error(`frame ${request.frameId} was restored without keeping the ensemble members`);
    const member = request.member ?? 0;
    if (member >= r.ensemble) {
      throw new Error(`frame ${request.frameId} has ${r.ensemble} ensemble members; member ${member} does not exist`);
    }
    const img = await readTiffFloatPage(this.derived(r.membersPath), member);
    return { img, window: await this.windowOf(request.frameId, sources), mode: 'grey' };
  }
}

async function writeCacheEntry(file: string, meta: string, png: Buffer, info: object): Promise<void> {
  try {
    await mkdir(join(file, '..'), { recursive: true });
    // Write-then-rename so a concurrent reader never sees half a file.
    const suffix = `.${process.pid}.${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 8)}.tmp`;
    await writeFile(file + suffix, png);
    await rename(file + suffix, file);
    await writeFile(meta + suffix, JSON.stringify(info));
    await rename(meta + suffix, meta);
  } catch {
    // The cache is an optimisation: a full or read-only disk must not fail the request.
  }
}
