/**
 * Display images for the review UI: original, restored mean, ensemble members
 * and the uncertainty (spread) map of a frame, as PNG (pixels through
 * imaging/display.ts). Original, restored and
 * members of one frame share one display window (percentiles of the original),
 * so what differs between them on screen differs in the data. The spread map is
 * colour-mapped on its own range, reported with the image.
 *
 * Renderings are cached under <workspace>/thumbs/ (the acquisition folder is
 * never written), capped in size (thumb-cache.ts: oldest renderings go first). Decoding runs on the libuv pool (fs) and geotiff; frames are
 * small crops (~281²), so one rendering takes a few milliseconds.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { findMainBundle } from '../pipeline/bundles.js';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { ImagePayload, ImageRequest } from '../common/domain.js';
import { downscaleArea, encodeDisplayPng, percentileWindow, type DisplayWindow } from '../imaging/display.js';
import type { Image } from '../imaging/image.js';
import { probeTiff, readTiffFloatPage } from '../imaging/tiff-read.js';
import { DEFAULT_MAX_PIXELS } from '../acquisition/options.js';
import { DEFAULT_THUMB_CACHE_BYTES, pruneThumbCache, type PruneResult } from './thumb-cache.js';

/** Cache writes between two size checks of the cache. */
const PRUNE_EVERY_WRITES = 256;

/** Where the pixels of each kind of image come from. */
export interface ImageSources {
  /** Absolute path and page of the original frame. */
  original: { path: string; page: number };
  /** Workspace-relative derived files, when the frame was restored. */
  restoration?: { meanPath: string; spreadPath: string; membersPath: string | null; ensemble: number; tag: string };
}

/** Decodes at the same time: with the pixel limit, this bounds the memory display decoding can take. */
const MAX_CONCURRENT_DECODES = 2;

/** At most `limit` tasks run at once; the others wait their turn (first come, first served). */
export class TaskGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** What the rendering thread is started with. */
export interface RenderThreadInit {
  workspace: string;
  maxCacheBytes: number;
  maxPixels: number;
}

/** A rendering thread's answer to one request. */
export type RenderThreadReply = { id: number; ok: true; payload: ImagePayload } | { id: number; ok: false; message: string };

/**
 * Renders in a worker thread (main/station/render-worker.ts): the decode and the
 * PNG encoding of a large frame take seconds of CPU, which on the server's own
 * thread would hold every other API call. A thread that dies fails the requests
 * in flight; the next request starts a new one.
 */
export class RenderThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (p: ImagePayload) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(
    private readonly script: string,
    private readonly init: RenderThreadInit,
  ) {}

  /** The thread's bundle, or null when it is not built (then rendering stays on the calling thread). */
  static bundle(): string | null {
    try {
      return findMainBundle('render-worker.js', 'display rendering thread');
    } catch {
      return null;
    }
  }

  render(request: ImageRequest, sources: ImageSources): Promise<ImagePayload> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, request, sources });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: this.init });
    worker.unref(); // an idle renderer never keeps the process alive
    const failAll = (why: string) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(new Error(`the display rendering thread ${why}`));
      this.pending.clear();
    };
    worker.on('message', (m: RenderThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.payload);
      else p.reject(new Error(m.message));
    });
    worker.on('error', (err) => failAll(`failed: ${err.message}`));
    worker.on('exit', (code) => failAll(`exited (code ${code})`));
    this.worker = worker;
    return worker;
  }
}

/** Renders and caches display PNGs of frames. */
export class FrameImages {
  private readonly windows = new Map<number, DisplayWindow>();
  private writesSincePrune = 0;
  private pruning: Promise<PruneResult> | null = null;
  private readonly gate = new TaskGate(MAX_CONCURRENT_DECODES);

  constructor(
    private readonly workspace: string,
    private readonly maxCacheBytes = DEFAULT_THUMB_CACHE_BYTES,
    /** Frames above this many pixels are not decoded for display (same limit as ingest). */
    private readonly maxPixels = DEFAULT_MAX_PIXELS,
  ) {}

  /**
   * Decodes a page for display: a frame above the pixel limit is refused from its
   * header (a 30000² frame in an 875 KB file would take ~9 GB and a minute of the
   * server's time), and at most MAX_CONCURRENT_DECODES decodes run at once.
   * `(H, W)` float32, row-major.
   */
  private async decode(path: string, page = 0): Promise<Image> {
    const probe = await probeTiff(path).catch(() => null);
    if (probe?.complete) {
      const pixels = probe.width * probe.height;
      if (pixels > this.maxPixels) {
        throw new Error(
          `${path}: frame is ${probe.width}×${probe.height} = ${pixels} pixels, above the display limit of ${this.maxPixels} (--max-pixels); it is not decoded`,
        );
      }
    }
    return this.gate.run(() => readTiffFloatPage(path, page));
  }

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
    if (abs !== root && !abs.startsWith(root + sep)) throw new Error(`derived file ${path} is outside the workspace`);
    return abs;
  }

  private async windowOf(frameId: number, sources: ImageSources): Promise<DisplayWindow> {
    let w = this.windows.get(frameId);
    if (!w) {
      w = percentileWindow(await this.decode(sources.original.path, sources.original.page));
      if (this.windows.size > 4096) this.windows.clear();
      this.windows.set(frameId, w);
    }
    return w;
  }

  private thread: RenderThread | null = null;

  /**
   * Renders cache misses in a worker thread from now on (the station does this;
   * without the built bundle rendering stays on this thread). Returns whether it does.
   */
  useThread(): boolean {
    const script = RenderThread.bundle();
    if (script) this.thread = new RenderThread(script, { workspace: this.workspace, maxCacheBytes: this.maxCacheBytes, maxPixels: this.maxPixels });
    return this.thread !== null;
  }

  /** Stops the rendering thread, if any. */
  async close(): Promise<void> {
    await this.thread?.close();
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
    if (this.thread) return this.thread.render(request, sources);
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
  ): Promise<{ img: Image; window: DisplayWindow; mode: 'grey' | 'heat' }> {
    if (request.kind === 'original') {
      const img = await this.decode(sources.original.path, sources.original.page);
      return { img, window: await this.windowOf(request.frameId, sources), mode: 'grey' };
    }
    const r = sources.restoration;
    if (!r) throw new Error(`frame ${request.frameId} has no restoration yet, so no ${request.kind} image`);
    if (request.kind === 'restored') {
      const img = await this.decode(this.derived(r.meanPath));
      return { img, window: await this.windowOf(request.frameId, sources), mode: 'grey' };
    }
    if (request.kind === 'spread') {
      const img = await this.decode(this.derived(r.spreadPath));
      const w = percentileWindow(img, 0, 0.995);
      return { img, window: { low: 0, high: Math.max(w.high, 1e-4) }, mode: 'heat' };
    }
    if (!r.membersPath) throw new Error(`frame ${request.frameId} was restored without keeping the ensemble members`);
    const member = request.member ?? 0;
    if (member >= r.ensemble) {
      throw new Error(`frame ${request.frameId} has ${r.ensemble} ensemble members; member ${member} does not exist`);
    }
    const img = await this.decode(this.derived(r.membersPath), member);
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
