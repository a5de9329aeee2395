import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  probeTiff,
  readTiffAsFloat,
  readTiffFloatPage,
  readTiffPage,
  TiffError,
  unsupportedReason,
} from '../../../main/imaging/tiff-read.js';
import { encodeTiff } from '../../../main/imaging/tiff-write.js';
import { BROKEN_KINDS, brokenTiff, encodeTestTiff, testImage } from '../../helpers/tiff-fixtures.mjs';
import { tempDir } from '../../helpers/workspace.js';

const here = dirname(fileURLToPath(import.meta.url));
/** shared/ beside the repository checkout (instrument files, not in git). */
const REAL_TIFF_DIR = resolve(here, '../../..', '..', 'shared/data/real-tiff');

const tmp = tempDir('pf-tiff-');
afterAll(() => tmp.cleanup());
let counter = 0;
function file(bytes: Uint8Array, name = `f${counter++}.tif`): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, bytes);
  return p;
}

function sha256Le(data: Uint8Array | Uint16Array | Float32Array): string {
  // Raw little-endian pixel buffer (this platform is little-endian, as checked below).
  return createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

/**
 * Instrument files, cross-checked with an independent decoder (Pillow/libtiff
 * 9.4: np.array(Image.open(f)); sum of pixel values; sha256 of the '<u2' bytes).
 */
const REAL_FILES = [
  {
    name: '00_mcf-z-stacks-03212011_a01_s1_w1a571d43d-5554-47fd-bb54-5db68290e5a7.tif',
    compression: 5,
    sum: 47917919,
    sha256: 'e6261fb5cceca72a20faa374f377e779d63482f825fabde70bd87a6001003262',
    min: 105,
    max: 578,
  },
  {
    name: '00_mcf-z-stacks-03212011_h09_s2_w126c275bc-9c3e-40af-b3ca-54f91091d353.tif',
    compression: 5,
    sum: 108973096,
    sha256: 'c5bca11be10c7cefe89126403d37941845f6a3cd25ca844d32e3dc5329069e99',
    min: 124,
    max: 818,
  },
  {
    name: 'BBBC006_z_aligned__a01__s1__w1_10.png',
    compression: 1,
    sum: 47792101,
    sha256: '46c5e25d7b10823a249291b280008f89b67cbf62ac8587bdc3ed69506229a190',
    min: 105,
    max: 3252,
  },
];

describe('readTiffPage on real instrument files', () => {
  const present = existsSync(REAL_TIFF_DIR);
  if (!present) console.warn(`skipping real-file checks: ${REAL_TIFF_DIR} is absent`);
  it.skipIf(!present)('decodes 16-bit LZW and an uncompressed TIFF named .png to the pinned pixels', async () => {
    expect(new Uint8Array(new Uint16Array([1]).buffer)[0], 'little-endian platform assumed by the checksum').toBe(1);
    expect(readdirSync(REAL_TIFF_DIR).sort()).toEqual(REAL_FILES.map((f) => f.name).sort());
    for (const ref of REAL_FILES) {
      const path = join(REAL_TIFF_DIR, ref.name);
      const probe = await probeTiff(path);
      expect(probe, ref.name).toMatchObject({ complete: true, pages: 1, width: 696, height: 520, bits: 16, compression: ref.compression });
      const page = await readTiffPage(path);
      expect(page.width).toBe(696);
      expect(page.height).toBe(520);
      expect(page.bits).toBe(16);
      expect(page.data).toBeInstanceOf(Uint16Array);
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const v of page.data) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect({ sum, min, max, sha256: sha256Le(page.data) }, ref.name).toEqual({
        sum: ref.sum,
        min: ref.min,
        max: ref.max,
        sha256: ref.sha256,
      });
      const float = await readTiffAsFloat(path);
      expect(float[0]).toBeCloseTo(page.data[0]! / 65535, 7);
    }
  });
});

describe('probeTiff', () => {
  const variants = [
    { bits: 8 as const, compression: 'none' as const, littleEndian: true, order: 'ifd-first' as const, rowsPerStrip: 5 },
    { bits: 16 as const, compression: 'none' as const, littleEndian: false, order: 'data-first' as const, rowsPerStrip: 64 },
    { bits: 8 as const, compression: 'lzw' as const, littleEndian: true, order: 'data-first' as const, rowsPerStrip: 7 },
    { bits: 16 as const, compression: 'lzw' as const, littleEndian: false, order: 'ifd-first' as const, rowsPerStrip: 3 },
    { bits: 16 as const, compression: 'deflate' as const, littleEndian: true, order: 'ifd-first' as const, rowsPerStrip: 16 },
    { bits: 8 as const, compression: 'deflate' as const, littleEndian: false, order: 'data-first' as const, rowsPerStrip: 1 },
  ];

  it.each(variants)('reads $bits-bit $compression (LE $littleEndian, $order) exactly', async (v) => {
    const data = testImage(37, 23, v.bits, 11);
    const path = file(encodeTestTiff({ width: 37, height: 23, data }, v));
    const probe = await probeTiff(path);
    expect(probe).toMatchObject({ complete: true, pages: 1, width: 37, height: 23, bits: v.bits, sampleFormat: 'uint', samplesPerPixel: 1 });
    expect(probe.littleEndian).toBe(v.littleEndian);
    expect(unsupportedReason(probe)).toBeNull();
    const page = await readTiffPage(path);
    expect(page.bits).toBe(v.bits);
    expect(Array.from(page.data)).toEqual(Array.from(data));
  });

  it('is incomplete for every prefix of a file still being written, complete only at full length', async () => {
    for (const order of ['ifd-first', 'data-first'] as const) {
      const full = encodeTestTiff({ width: 20, height: 10, data: testImage(20, 10, 16, 3) }, { order, rowsPerStrip: 2 });
      for (let n = 0; n < full.length; n += 7) {
        const probe = await probeTiff(file(full.subarray(0, n)));
        expect(probe.complete, `${order} prefix of ${n}/${full.length} bytes`).toBe(false);
        expect(['empty', 'truncated']).toContain(probe.problem);
      }
      expect((await probeTiff(file(full))).complete).toBe(true);
    }
  });

  it('reports broken files with a reason, never throws for bad content', async () => {
    const expected: Record<string, string> = {
      truncated: 'truncated',
      'not-tiff': 'not-tiff',
      empty: 'empty',
      'ifd-beyond-end': 'truncated',
      'ifd-loop': 'corrupt',
      'strip-beyond-end': 'truncated',
      'header-only': 'truncated',
    };
    for (const kind of BROKEN_KINDS) {
      const path = file(brokenTiff(kind, 5));
      const probe = await probeTiff(path);
      expect(probe.complete, kind).toBe(false);
      expect(probe.problem, kind).toBe(expected[kind]);
      expect(probe.reason, kind).toMatch(/\w/);
      await expect(readTiffPage(path), kind).rejects.toThrow(TiffError);
      await expect(readTiffPage(path), kind).rejects.toThrow(path);
    }
  });

  it('decides by content: a TIFF named .png is a TIFF, a PNG named .tif is not', async () => {
    const data = testImage(8, 4, 8, 1);
    const tiffAsPng = file(encodeTestTiff({ width: 8, height: 4, data }), 'frame.png');
    expect(Array.from((await readTiffPage(tiffAsPng)).data)).toEqual(Array.from(data));
    const png = file(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'frame2.tif');
    expect(await probeTiff(png)).toMatchObject({ complete: false, problem: 'not-tiff' });
  });

  it('reads RGB and RGBA as their luminance: a grey frame stored as RGB reads back exactly', async () => {
    const grey = testImage(4, 3, 16, 5);
    const rgb = new Uint16Array(12 * 3);
    const rgba = new Uint8Array(12 * 4);
    grey.forEach((v, i) => {
      rgb.set([v, v, v], i * 3);
      rgba.set([v >> 8, v >> 8, v >> 8, 255], i * 4);
    });
    const page = await readTiffPage(file(encodeTestTiff({ width: 4, height: 3, samples: 3, data: rgb })));
    expect(page.bits).toBe(16);
    expect(Array.from(page.data)).toEqual(Array.from(grey));
    const withAlpha = await readTiffPage(file(encodeTestTiff({ width: 4, height: 3, samples: 4, data: rgba }, { photometric: 2 })));
    expect(Array.from(withAlpha.data)).toEqual(Array.from(grey, (v) => v >> 8));
    // Colour: BT.601 luma of pure red, green and blue.
    const colours = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    expect(Array.from((await readTiffPage(file(encodeTestTiff({ width: 3, height: 1, samples: 3, data: colours })))).data)).toEqual([76, 150, 29]);
  });

  it('reads 16-bit signed counts, 64-bit float, white-is-zero and the MaxSampleValue tag', async () => {
    const counts = new Int16Array([0, 100, 4095, 2000, 7, 1]);
    const signed = await readTiffPage(file(encodeTestTiff({ width: 3, height: 2, data: counts }, { maxSampleValue: 4095 })));
    expect(signed).toMatchObject({ bits: 16, maxSampleValue: 4095 });
    expect(Array.from(signed.data)).toEqual(Array.from(counts));
    const float = await readTiffPage(file(encodeTestTiff({ width: 3, height: 1, data: new Float64Array([0.25, 0.5, 1.5]) })));
    expect(float.bits).toBe(32);
    expect(Array.from(float.data)).toEqual([0.25, 0.5, 1.5]);
    const inverted = await readTiffPage(file(encodeTestTiff({ width: 3, height: 1, data: new Uint8Array([0, 55, 255]) }, { photometric: 0 })));
    expect(Array.from(inverted.data)).toEqual([255, 200, 0]);
  });

  it('rejects multi-channel, palette, odd bit depths and negative counts with clear reasons', async () => {
    const twoChannels = file(encodeTestTiff({ width: 2, height: 2, samples: 2, data: testImage(4, 2, 8, 2) }));
    const probe = await probeTiff(twoChannels);
    expect(probe.complete).toBe(true);
    expect(unsupportedReason(probe)).toMatch(/2 samples per pixel \(multi-channel\)/);
    await expect(readTiffPage(twoChannels)).rejects.toThrow(/samples per pixel/);
    const palette = file(encodeTestTiff({ width: 2, height: 2, data: testImage(2, 2, 8, 2) }, { photometric: 3 }));
    await expect(readTiffPage(palette)).rejects.toThrow(/palette image/);
    const negative = file(encodeTestTiff({ width: 2, height: 1, data: new Int16Array([5, -3]) }));
    await expect(readTiffPage(negative)).rejects.toThrow(/negative 16-bit signed samples \(minimum -3\)/);

    const twelve = Buffer.from(encodeTestTiff({ width: 4, height: 4, data: testImage(4, 4, 8, 2) }));
    const ifd = twelve.readUInt32LE(4);
    for (let k = 0; k < twelve.readUInt16LE(ifd); k++) {
      const o = ifd + 2 + k * 12;
      if (twelve.readUInt16LE(o) === 258) twelve.writeUInt16LE(12, o + 8);
    }
    const path = file(twelve);
    expect(unsupportedReason(await probeTiff(path))).toMatch(/12-bit uint samples/);
    await expect(readTiffPage(path)).rejects.toThrow(/12-bit/);
  });

  it('reads multi-page stacks page by page, OME description included', async () => {
    const pages = [0, 1, 2].map((k) => ({ width: 6, height: 5, data: testImage(6, 5, 16, 100 + k) }));
    const ome = '<?xml version="1.0"?><OME><Image><Pixels DimensionOrder="XYZCT" SizeT="3" SizeZ="1" SizeC="1"/></Image></OME>';
    const path = file(encodeTestTiff(pages, { compression: 'deflate', description: ome }), 'stack.ome.tif');
    const probe = await probeTiff(path);
    expect(probe).toMatchObject({ complete: true, pages: 3, width: 6, height: 5, bits: 16 });
    expect(probe.description).toBe(ome);
    for (let k = 0; k < 3; k++) expect(Array.from((await readTiffPage(path, k)).data)).toEqual(Array.from(pages[k]!.data));
    await expect(readTiffPage(path, 3)).rejects.toThrow(/page 3 requested, the file has 3 page/);
  });

  it('reads files of the station writer (main/imaging/tiff-write): deflate stacks and float32', async () => {
    const u16 = testImage(9, 7, 16, 9);
    const f32 = Float32Array.from({ length: 63 }, (_, i) => i / 63);
    const path = file(encodeTiff([{ width: 9, height: 7, data: u16 }], { compression: 'deflate' }));
    expect(Array.from((await readTiffPage(path)).data)).toEqual(Array.from(u16));
    const fpath = file(encodeTiff({ width: 9, height: 7, data: f32 }));
    const fp = await readTiffFloatPage(fpath);
    expect(fp).toMatchObject({ width: 9, height: 7, bits: 32 });
    expect(Array.from(fp.data)).toEqual(Array.from(f32));
  });

  it('reads BigTIFF (64-bit offsets) and finds its truncation', async () => {
    // Hand-built: 'II', 43, 8, 0, first IFD at 16; 8-byte counts/offsets, 20-byte entries.
    const width = 5;
    const height = 3;
    const pixels = testImage(width, height, 16, 4);
    const tags: [number, number, number][] = [
      [256, 3, width],
      [257, 3, height],
      [258, 3, 16],
      [259, 3, 1],
      [262, 3, 1],
      [273, 16, 0],
      [277, 3, 1],
      [278, 3, height],
      [279, 16, width * height * 2],
    ];
    const ifdAt = 16;
    const dataAt = ifdAt + 8 + tags.length * 20 + 8;
    const b = Buffer.alloc(dataAt + width * height * 2);
    b.write('II', 0, 'latin1');
    b.writeUInt16LE(43, 2);
    b.writeUInt16LE(8, 4);
    b.writeBigUInt64LE(BigInt(ifdAt), 8);
    b.writeBigUInt64LE(BigInt(tags.length), ifdAt);
    tags.forEach(([tag, type, value], i) => {
      const o = ifdAt + 8 + i * 20;
      b.writeUInt16LE(tag, o);
      b.writeUInt16LE(type, o + 2);
      b.writeBigUInt64LE(1n, o + 4);
      const v = tag === 273 ? dataAt : value;
      if (type === 3) b.writeUInt16LE(v, o + 12);
      else b.writeBigUInt64LE(BigInt(v), o + 12);
    });
    pixels.forEach((v, i) => b.writeUInt16LE(v, dataAt + 2 * i));
    const path = file(b);
    expect(await probeTiff(path)).toMatchObject({ complete: true, bigTiff: true, pages: 1, width, height, bits: 16 });
    expect(Array.from((await readTiffPage(path)).data)).toEqual(Array.from(pixels));
    expect(await probeTiff(file(b.subarray(0, b.length - 1)))).toMatchObject({ complete: false, problem: 'truncated' });
  });

  it('scales to [0, 1]: 8-bit / 255 and 16-bit / 65535', async () => {
    const p8 = file(encodeTestTiff({ width: 3, height: 1, data: Uint8Array.from([0, 51, 255]) }));
    expect(Array.from(await readTiffAsFloat(p8))).toEqual([0, Math.fround(51 / 255), 1]);
    const p16 = file(encodeTestTiff({ width: 2, height: 1, data: Uint16Array.from([65535, 1]) }));
    const f = await readTiffFloatPage(p16);
    expect(f).toMatchObject({ width: 2, height: 1, bits: 16 });
    expect(Array.from(f.data)).toEqual([1, Math.fround(1 / 65535)]);
  });

  it('rejects a missing file with the I/O error', async () => {
    await expect(probeTiff(join(tmp.dir, 'missing.tif'))).rejects.toThrow(/ENOENT/);
    await expect(readTiffPage(join(tmp.dir, 'missing.tif'))).rejects.toThrow(/missing\.tif: cannot read/);
  });
});
