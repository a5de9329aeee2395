import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTiff } from '../../../main/imaging/tiff-write.js';
import { FrameImages } from '../../../main/station/images.js';
import { pruneThumbCache } from '../../../main/station/thumb-cache.js';

function cacheWith(entries: number, bytesEach: number): { root: string; paths: string[] } {
  const root = join(mkdtempSync(join(tmpdir(), 'pf-thumbs-')), 'thumbs');
  const paths: string[] = [];
  for (let i = 0; i < entries; i++) {
    const dir = join(root, String(Math.floor(i / 4)));
    mkdirSync(dir, { recursive: true });
    const png = join(dir, `${i}-original-128-o.png`);
    writeFileSync(png, Buffer.alloc(bytesEach));
    writeFileSync(`${png}.json`, '{}');
    const at = new Date(Date.now() - (entries - i) * 60_000); // entry 0 is the oldest
    utimesSync(png, at, at);
    utimesSync(`${png}.json`, at, at);
    paths.push(png);
  }
  return { root, paths };
}

describe('display-image cache cap', () => {
  it('removes the oldest renderings (PNG and metadata) until 80% of the cap, and keeps the newest', async () => {
    const { root, paths } = cacheWith(10, 1000);
    const r = await pruneThumbCache(root, 5000);
    expect(r.bytesBefore).toBe(10 * 1002);
    expect(r.bytesAfter).toBeLessThanOrEqual(4000);
    expect(r.removed).toBe(7);
    expect(paths.map((p) => existsSync(p))).toEqual([false, false, false, false, false, false, false, true, true, true]);
    expect(paths.slice(0, 7).some((p) => existsSync(`${p}.json`))).toBe(false);
    expect(existsSync(join(root, '0'))).toBe(false); // emptied buckets go too
  });

  it('leaves a cache under its cap alone, except temporary files abandoned over an hour ago', async () => {
    const { root, paths } = cacheWith(3, 100);
    const old = join(root, '0', 'x.png.123.abc.tmp');
    const fresh = join(root, '0', 'y.png.123.def.tmp');
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'y');
    const past = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, past, past);
    const r = await pruneThumbCache(root, 1 << 20);
    expect(r.removed).toBe(0);
    expect(paths.every((p) => existsSync(p))).toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('answers for a workspace without a cache', async () => {
    const r = await pruneThumbCache(join(tmpdir(), 'pf-no-such-cache-dir'), 10);
    expect(r).toEqual({ files: 0, bytesBefore: 0, bytesAfter: 0, removed: 0 });
  });

  it('FrameImages renders again after its cache was pruned', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'pf-thumbs-ws-'));
    const tif = join(workspace, 'frame.tif');
    const data = new Uint8Array(32 * 32).map((_, i) => (i * 7) % 256);
    writeTiff(tif, { width: 32, height: 32, data });
    const images = new FrameImages(workspace, 1);
    const request = { frameId: 5, kind: 'original' as const, maxSize: 16 };
    const first = await images.render(request, { original: { path: tif, page: 0 } });
    expect(readdirSync(join(workspace, 'thumbs', '0'))).toHaveLength(2);
    const r = await images.prune();
    expect(r.removed).toBe(1);
    expect(existsSync(join(workspace, 'thumbs', '0'))).toBe(false);
    const again = await images.render(request, { original: { path: tif, page: 0 } });
    expect(again.base64).toBe(first.base64);
    expect(existsSync(tif)).toBe(true);
  });
});
