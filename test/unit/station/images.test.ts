import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTiff } from '../../../main/imaging/tiff-write.js';
import { FrameImages, TaskGate, type ImageSources } from '../../../main/station/images.js';
import { frameTiff } from '../../helpers/acquisition.js';
import { hugeHeaderTiff } from '../../helpers/hostile-files.js';

const workspace = mkdtempSync(join(tmpdir(), 'pf-images-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

// A 16×16 8-bit original with values 0..255 (a ramp) and a float restoration of it.
const original = join(workspace, 'acq', 'frame.tif');
mkdirSync(join(workspace, 'acq'));
const ramp = Uint8Array.from({ length: 256 }, (_, i) => i);
writeTiff(original, { width: 16, height: 16, data: ramp });
mkdirSync(join(workspace, 'restored'));
writeTiff(join(workspace, 'restored', 'mean.tif'), { width: 16, height: 16, data: Float32Array.from(ramp, (v) => v / 255) });
writeTiff(join(workspace, 'restored', 'spread.tif'), { width: 16, height: 16, data: new Float32Array(256).fill(0.01) });
writeTiff(join(workspace, 'restored', 'members.tif'), [
  { width: 16, height: 16, data: new Float32Array(256).fill(0.25) },
  { width: 16, height: 16, data: new Float32Array(256).fill(0.75) },
]);

const sources: ImageSources = {
  original: { path: original, page: 0 },
  restoration: { meanPath: 'restored/mean.tif', spreadPath: 'restored/spread.tif', membersPath: 'restored/members.tif', ensemble: 2, tag: 'r1' },
};

function pixels(base64: string): { width: number; height: number; data: Buffer } {
  return PNG.sync.read(Buffer.from(base64, 'base64'));
}

describe('FrameImages', () => {
  const images = new FrameImages(workspace);

  it('renders the original grey through its percentile window, downscaled on request', async () => {
    const full = await images.render({ frameId: 1, kind: 'original' }, sources);
    expect([full.width, full.height]).toEqual([16, 16]);
    expect(full.window!.low).toBeCloseTo(1 / 255, 2);
    expect(full.window!.high).toBeCloseTo(254 / 255, 2);
    const png = pixels(full.base64);
    expect(png.data[0]).toBe(0);
    expect(png.data[4 * 255]).toBe(255);
    const thumb = await images.render({ frameId: 1, kind: 'original', maxSize: 4 }, sources);
    expect([thumb.width, thumb.height]).toEqual([4, 4]);
  });

  it('shows the restored mean and the members through the original window', async () => {
    const orig = await images.render({ frameId: 1, kind: 'original' }, sources);
    const restored = await images.render({ frameId: 1, kind: 'restored' }, sources);
    expect(restored.window).toEqual(orig.window);
    expect(pixels(restored.base64).data).toEqual(pixels(orig.base64).data);
    const member = await images.render({ frameId: 1, kind: 'member', member: 1 }, sources);
    expect(member.window).toEqual(orig.window);
    expect(pixels(member.base64).data[0]).toBeGreaterThan(pixels((await images.render({ frameId: 1, kind: 'member', member: 0 }, sources)).base64).data[0]!);
  });

  it('colour-maps the spread on its own range from 0', async () => {
    const spread = await images.render({ frameId: 1, kind: 'spread' }, sources);
    expect(spread.window!.low).toBe(0);
    expect(spread.window!.high).toBeGreaterThanOrEqual(0.01 - 1e-6);
    expect(pixels(spread.base64).data[3]).toBeGreaterThan(60); // alpha grows with the value
  });

  it('serves a rendering again from the workspace cache', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'pf-images-cache-'));
    const tif = join(ws, 'f.tif');
    writeTiff(tif, { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => i * 4) });
    const cached = new FrameImages(ws);
    const first = await cached.render({ frameId: 2, kind: 'original' }, { original: { path: tif, page: 0 } });
    rmSync(tif);
    const again = await cached.render({ frameId: 2, kind: 'original' }, { original: { path: tif, page: 0 } });
    expect(again).toEqual(first);
    rmSync(ws, { recursive: true, force: true });
  });

  it('says why an image does not exist', async () => {
    const unrestored = { original: sources.original };
    await expect(images.render({ frameId: 3, kind: 'restored' }, unrestored)).rejects.toThrow(/frame 3 has no restoration yet, so no restored image/);
    await expect(images.render({ frameId: 1, kind: 'member', member: 2 }, sources)).rejects.toThrow(/has 2 ensemble members; member 2 does not exist/);
    const noMembers = { ...sources, restoration: { ...sources.restoration!, membersPath: null, tag: 'r2' } };
    await expect(images.render({ frameId: 1, kind: 'member' }, noMembers)).rejects.toThrow(/without keeping the ensemble members/);
    const outside = { ...sources, restoration: { ...sources.restoration!, meanPath: '../elsewhere.tif', tag: 'r3' } };
    await expect(images.render({ frameId: 1, kind: 'restored' }, outside)).rejects.toThrow(/outside the workspace/);
  });
});

const boundedDirs: string[] = [];
afterAll(() => {
  for (const d of boundedDirs) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'pf-images-bounded-'));
  boundedDirs.push(d);
  return d;
}

describe('FrameImages display decoding is bounded', () => {
  it('refuses a frame above the pixel limit from its header, without decoding it, and renders the others', async () => {
    const dir = folder();
    const huge = join(dir, 'huge.tif');
    writeFileSync(huge, hugeHeaderTiff(30000, 30000));
    const small = join(dir, 'small.tif');
    writeFileSync(small, frameTiff(1, { width: 24, height: 16 }));
    const images = new FrameImages(join(dir, 'ws'));
    await expect(images.render({ frameId: 1, kind: 'original' }, { original: { path: huge, page: 0 } })).rejects.toThrow(
      /frame is 30000×30000 = 900000000 pixels, above the display limit of 16777216 \(--max-pixels\); it is not decoded/,
    );
    const png = await images.render({ frameId: 2, kind: 'original' }, { original: { path: small, page: 0 } });
    expect(png).toMatchObject({ mime: 'image/png', width: 24, height: 16 });
    const strict = new FrameImages(join(dir, 'ws2'), undefined, 100);
    await expect(strict.render({ frameId: 2, kind: 'original' }, { original: { path: small, page: 0 } })).rejects.toThrow(/384 pixels, above the display limit of 100/);
  });

  it('TaskGate runs at most `limit` tasks at once, in arrival order', async () => {
    const gate = new TaskGate(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('FrameImages rendering thread', () => {
  it('renders in a worker thread what it renders in-thread, refusals included', async () => {
    const dir = folder();
    const small = join(dir, 'small.tif');
    writeFileSync(small, frameTiff(3, { width: 40, height: 24 }));
    const huge = join(dir, 'huge.tif');
    writeFileSync(huge, hugeHeaderTiff(30000, 30000));
    const inThread = new FrameImages(join(dir, 'ws-a'));
    const threaded = new FrameImages(join(dir, 'ws-b'));
    expect(threaded.useThread()).toBe(true);
    try {
      const req = { frameId: 7, kind: 'original' as const, maxSize: 16 };
      const a = await inThread.render(req, { original: { path: small, page: 0 } });
      const b = await threaded.render(req, { original: { path: small, page: 0 } });
      expect(b).toEqual(a);
      await expect(threaded.render({ frameId: 8, kind: 'original' }, { original: { path: huge, page: 0 } })).rejects.toThrow(/above the display limit/);
      // The cache written by the thread serves the next request.
      expect(await threaded.render(req, { original: { path: small, page: 0 } })).toEqual(a);
    } finally {
      await threaded.close();
    }
  });
});
