/**
 * Image cache of the renderer: PNGs from the core as data: URLs, kept in a
 * bounded LRU (thumbnails of a 200,000-frame run must not pile up in memory).
 * data: URLs rather than blob: URLs, so an entry evicted while an <img> still
 * shows it cannot break that image (nothing to revoke). The core caches
 * renderings on disk as well, so a miss here is cheap.
 */
import type { ImagePayload, ImageRequest } from '../../../preload/api.js';
import type { Transport } from '../transport/transport.js';

export interface LoadedImage {
  url: string;
  width: number;
  height: number;
  window?: { low: number; high: number };
}

function keyOf(r: ImageRequest): string {
  return `${r.frameId}:${r.kind}:${r.member ?? ''}:${r.maxSize ?? 0}`;
}

function toDataUrl(p: ImagePayload): string {
  return `data:${p.mime};base64,${p.base64}`;
}

export class ImageCache {
  private readonly entries = new Map<string, LoadedImage>();
  private readonly pending = new Map<string, Promise<LoadedImage>>();
  /** Bumps when an image arrives, so views waiting on one re-read the cache. */
  version = $state(0);

  private readonly transport: Transport;
  private readonly capacity: number;

  constructor(transport: Transport, capacity = 1500) {
    this.transport = transport;
    this.capacity = capacity;
  }

  /** The image if cached (marks it recently used), else undefined. */
  peek(r: ImageRequest): LoadedImage | undefined {
    const key = keyOf(r);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Loads (once) and caches an image. */
  load(r: ImageRequest): Promise<LoadedImage> {
    const key = keyOf(r);
    const hit = this.peek(r);
    if (hit) return Promise.resolve(hit);
    let p = this.pending.get(key);
    if (!p) {
      p = this.transport
        .getImage(r)
        .then((payload) => {
          const img: LoadedImage = { url: toDataUrl(payload), width: payload.width, height: payload.height };
          if (payload.window) img.window = payload.window;
          this.entries.set(key, img);
          this.evict();
          this.version++;
          return img;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /** Drops the derived images of a frame (it was restored, possibly again); its original stays. */
  forgetFrame(frameId: number): void {
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(`${frameId}:`) && !key.startsWith(`${frameId}:original:`)) this.entries.delete(key);
    }
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
