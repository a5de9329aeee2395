import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../../../preload/api.js';
import { ImageCache } from '../../../../renderer/src/state/images.svelte.js';
import { fakeTransport } from './transport.js';

function cache(capacity = 1500) {
  const t = fakeTransport({
    getImage: (r: ImageRequest) => ({ mime: 'image/png', width: r.maxSize ?? 64, height: r.maxSize ?? 64, base64: `png-${r.frameId}-${r.kind}`, window: { low: 0, high: 1 } }),
  });
  return { t, images: new ImageCache(t, capacity) };
}

describe('ImageCache', () => {
  it('loads an image once, as a data: URL, even when asked twice at the same time', async () => {
    const { t, images } = cache();
    const r: ImageRequest = { frameId: 1, kind: 'original', maxSize: 96 };
    const [a, b] = await Promise.all([images.load(r), images.load(r)]);
    expect(a).toBe(b);
    expect(a).toEqual({ url: 'data:image/png;base64,png-1-original', width: 96, height: 96, window: { low: 0, high: 1 } });
    expect(t.calls).toHaveLength(1);
    expect(images.version).toBe(1);
    expect(images.peek(r)).toBe(a);
  });

  it('evicts the least recently used image beyond its capacity', async () => {
    const { images } = cache(2);
    const r = (frameId: number): ImageRequest => ({ frameId, kind: 'original' });
    await images.load(r(1));
    await images.load(r(2));
    images.peek(r(1));
    await images.load(r(3));
    expect(images.peek(r(1))).toBeDefined();
    expect(images.peek(r(2))).toBeUndefined();
    expect(images.peek(r(3))).toBeDefined();
  });

  it('forgets the derived images of a re-restored frame but keeps its original', async () => {
    const { images } = cache();
    await images.load({ frameId: 4, kind: 'original' });
    await images.load({ frameId: 4, kind: 'restored' });
    await images.load({ frameId: 4, kind: 'member', member: 1 });
    await images.load({ frameId: 40, kind: 'restored' });
    images.forgetFrame(4);
    expect(images.peek({ frameId: 4, kind: 'original' })).toBeDefined();
    expect(images.peek({ frameId: 4, kind: 'restored' })).toBeUndefined();
    expect(images.peek({ frameId: 4, kind: 'member', member: 1 })).toBeUndefined();
    expect(images.peek({ frameId: 40, kind: 'restored' })).toBeDefined();
  });
});
