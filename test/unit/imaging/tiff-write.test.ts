import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTiff, writeFileAtomic, writeTiff, type TiffPage } from '../../../main/imaging/tiff-write.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-tiff-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ramp8(w: number, h: number): Uint8Array {
  return Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 256);
}

const TAGS = ['StripOffsets', 'Compression', 'SampleFormat', 'ImageDescription', 'Software', 'ResolutionUnit', 'XResolution', 'Predictor'] as const;

async function readBack(bytes: Buffer): Promise<{ count: number; pages: { width: number; height: number; data: ArrayLike<number>; tags: Record<string, unknown> }[] }> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tiff = await fromArrayBuffer(ab);
  const count = await tiff.getImageCount();
  const pages = [];
  for (let i = 0; i < count; i++) {
    const img = await tiff.getImage(i);
    const [band] = (await img.readRasters()) as unknown as ArrayLike<number>[];
    const tags: Record<string, unknown> = {};
    for (const name of TAGS) tags[name] = await img.fileDirectory.loadValue(name);
    pages.push({ width: img.getWidth(), height: img.getHeight(), data: band!, tags });
  }
  return { count, pages };
}

describe('encodeTiff', () => {
  it('writes a little-endian classic TIFF header', () => {
    const b = encodeTiff({ width: 3, height: 2, data: ramp8(3, 2) });
    expect(b.subarray(0, 4)).toEqual(Buffer.from([0x49, 0x49, 42, 0]));
    // First IFD offset is word-aligned and inside the file.
    const ifd = b.readUInt32LE(4);
    expect(ifd % 2).toBe(0);
    expect(ifd).toBeLessThan(b.length);
  });

  it('round-trips 8-bit pixels through geotiff', async () => {
    const data = ramp8(37, 23);
    const { count, pages } = await readBack(encodeTiff({ width: 37, height: 23, data }));
    expect(count).toBe(1);
    expect(pages[0]!.width).toBe(37);
    expect(pages[0]!.height).toBe(23);
    expect(Array.from(pages[0]!.data)).toEqual(Array.from(data));
  });

  it('round-trips 16-bit and float32 pixels, several strips', async () => {
    const u16 = Uint16Array.from({ length: 50 * 40 }, (_, i) => (i * 977) % 65536);
    const f32 = Float32Array.from({ length: 50 * 40 }, (_, i) => Math.sin(i) * 0.5 + 1e-3 * i);
    const a = await readBack(encodeTiff({ width: 50, height: 40, data: u16 }, { rowsPerStrip: 7 }));
    expect(Array.from(a.pages[0]!.data)).toEqual(Array.from(u16));
    expect((a.pages[0]!.tags.StripOffsets as ArrayLike<number>).length).toBe(6);
    const b = await readBack(encodeTiff({ width: 50, height: 40, data: f32 }));
    expect(b.pages[0]!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(b.pages[0]!.data)).toEqual(Array.from(f32));
    expect(b.pages[0]!.tags.SampleFormat).toEqual(new Uint16Array([3]));
  });

  it('writes multi-page stacks with deflate compression', async () => {
    const pages: TiffPage[] = [0, 1, 2].map((k) => ({ width: 64, height: 48, data: Uint8Array.from({ length: 64 * 48 }, (_, i) => (i % 64 === k ? 200 : 10)) }));
    const plain = encodeTiff(pages);
    const packed = encodeTiff(pages, { compression: 'deflate' });
    expect(packed.length).toBeLessThan(plain.length / 5);
    const r = await readBack(packed);
    expect(r.count).toBe(3);
    r.pages.forEach((p, k) => {
      expect(p.tags.Compression).toBe(8);
      expect(Array.from(p.data)).toEqual(Array.from(pages[k]!.data));
    });
  });

  it('stores ImageDescription (first page only), software and resolution', async () => {
    const xml = '<?xml version="1.0"?><OME><Image ID="Image:0"/></OME>';
    const b = encodeTiff(
      [
        { width: 4, height: 4, data: ramp8(4, 4) },
        { width: 4, height: 4, data: ramp8(4, 4) },
      ],
      { description: xml, software: 'pf', pixelSizeUm: 0.325 },
    );
    const r = await readBack(b);
    // geotiff keeps the ASCII terminator; tifffile strips it (checked below).
    expect(String(r.pages[0]!.tags.ImageDescription).replace(/\0$/, '')).toBe(xml);
    expect(r.pages[1]!.tags.ImageDescription).toBeUndefined();
    expect(String(r.pages[0]!.tags.Software).replace(/\0$/, '')).toBe('pf');
    expect(r.pages[0]!.tags.ResolutionUnit).toBe(3);
    const [num, den] = Array.from(r.pages[0]!.tags.XResolution as ArrayLike<number>);
    expect(num! / den!).toBeCloseTo(1e4 / 0.325, 2);
  });

  it('rejects invalid pages with a clear error', () => {
    expect(() => encodeTiff({ width: 4, height: 4, data: new Uint8Array(15) })).toThrow(/page 0: 15 pixels for 4×4/);
    expect(() => encodeTiff([])).toThrow(/at least one page/);
    expect(() => encodeTiff({ width: 2, height: 2, data: new Int16Array(4) as unknown as Uint8Array })).toThrow(/Uint8Array, Uint16Array or Float32Array/);
  });
});

describe('writeTiff / writeFileAtomic', () => {
  it('writes atomically through a .tmp file that does not remain', async () => {
    const path = join(dir, 'atomic.tif');
    writeTiff(path, { width: 8, height: 8, data: ramp8(8, 8) }, { atomic: true });
    expect(existsSync(`${path}.tmp`)).toBe(false);
    const r = await readBack(readFileSync(path));
    expect(Array.from(r.pages[0]!.data)).toEqual(Array.from(ramp8(8, 8)));
    writeFileAtomic(join(dir, 'note.txt'), 'hello');
    expect(readFileSync(join(dir, 'note.txt'), 'utf8')).toBe('hello');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  const python = '/usr/bin/python3';
  const hasTifffile = existsSync(python) && (() => {
    try {
      execFileSync(python, ['-c', 'import tifffile'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasTifffile)('reads back with python tifffile (multi-page, deflate, 16-bit, float32)', () => {
    const u16 = Uint16Array.from({ length: 30 * 20 }, (_, i) => i * 101);
    writeTiff(join(dir, 'stack16.tif'), [0, 1].map(() => ({ width: 30, height: 20, data: u16 })), { compression: 'deflate', description: 'hello' });
    writeTiff(join(dir, 'float.tif'), { width: 30, height: 20, data: Float32Array.from(u16, (v) => v / 7) });
    const script = [
      'import sys, tifffile, numpy as np',
      `a = tifffile.imread(${JSON.stringify(join(dir, 'stack16.tif'))})`,
      `f = tifffile.imread(${JSON.stringify(join(dir, 'float.tif'))})`,
      `t = tifffile.TiffFile(${JSON.stringify(join(dir, 'stack16.tif'))})`,
      'print(a.shape, a.dtype, int(a[1].sum()), f.dtype, float(f.astype(np.float64).sum()), t.pages[0].description, t.byteorder)',
    ].join('\n');
    const out = execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim();
    const sum = Array.from(u16).reduce((s, v) => s + v, 0);
    const fsum = Array.from(u16).reduce((s, v) => s + Math.fround(v / 7), 0);
    const m = /^\(2, 20, 30\) uint16 (\d+) float32 ([\d.e+]+) hello <$/.exec(out);
    expect(m, `unexpected tifffile output: ${out}`).not.toBeNull();
    expect(Number(m![1])).toBe(sum);
    expect(Number(m![2])).toBeCloseTo(fsum, 3);
  });
});
