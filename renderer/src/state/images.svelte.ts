/**
 * Image cache of the renderer: PNGs from the core as object URLs, kept in a
 * bounded LRU (thumbnails of a 200,000-frame run must not pile up in memory).
 * The core caches renderings on disk as well, so a miss here is cheap.
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

function toObjectUrl(p: ImagePayload): string {
  const bin = atob(p.base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: p.mime }));
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
          const img: LoadedImage = { url: toObjectUrl(payload), width: payload.width, height: payload.height };
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

  /** Drops every image of a frame (after it was restored again). */
  forgetFrame(frameId: number): void {
    for (const [key, img] of this.entries) {
      if (key.startsWith(`${frameId}:`)) {
        URL.revokeObjectURL(img.url);
        this.entries.delete(key);
      }
    }
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const [key, img] = this.entries.entries().next().value as [string, LoadedImage];
      URL.revokeObjectURL(img.url);
      this.entries.delete(key);
    }
  }
}
