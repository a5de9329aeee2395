/**
 * Baseline TIFF writer: little-endian, grayscale 8/16-bit unsigned or 32-bit
 * float, one or many pages, strip-based, optional Adobe-deflate compression
 * (Compression = 8, zlib stream per strip, Predictor = 1), optional
 * ImageDescription (e.g. OME-XML, on the first page) and resolution.
 *
 * Why our own: geotiff's writer only writes single-page, uncompressed,
 * big-endian files and adds GeoTIFF tags; we need multi-page stacks (OME-TIFF per
 * nanowell), deflate for exports, float32 uncertainty maps and plain
 * little-endian files that every microscopy reader accepts.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { Samples } from './sample.js';

/** Pixel arrays: (H, W) row-major, one sample per pixel. */
export type TiffPixels = Samples;

/** One page to write; the bit depth follows the array type (a decoded page adds it: tiff-read.ts). */
export interface TiffPage {
  width: number;
  height: number;
  data: TiffPixels;
}

export interface TiffWriteOptions {
  compression?: 'none' | 'deflate';
  /** zlib level for deflate (1–9, default 6). */
  deflateLevel?: number;
  /** ImageDescription of the first page (UTF-8, NUL-terminated), e.g. OME-XML. */
  description?: string;
  /** Software tag. */
  software?: string;
  /** Pixel size (µm) → X/YResolution in pixels per centimetre. */
  pixelSizeUm?: number;
  /** Rows per strip; default: strips of about 8 KiB uncompressed. */
  rowsPerStrip?: number;
}

const TYPE_ASCII = 2;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;
const TYPE_SIZE: Record<number, number> = { [TYPE_ASCII]: 1, [TYPE_SHORT]: 2, [TYPE_LONG]: 4, [TYPE_RATIONAL]: 8 };

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Encoded value bytes (little-endian). */
  bytes: Buffer;
}

function shorts(...v: number[]): Buffer {
  const b = Buffer.alloc(2 * v.length);
  v.forEach((x, i) => b.writeUInt16LE(x, 2 * i));
  return b;
}

function longs(v: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(4 * v.length);
  for (let i = 0; i < v.length; i++) b.writeUInt32LE(v[i]!, 4 * i);
  return b;
}

function rational(value: number): Buffer {
  // Fixed denominator keeps 4+ significant digits for realistic resolutions.
  const den = 1000;
  const b = Buffer.alloc(8);
  b.writeUInt32LE(Math.min(0xffffffff, Math.round(value * den)), 0);
  b.writeUInt32LE(den, 4);
  return b;
}

function sampleInfo(data: TiffPixels): { bits: number; format: number; bytes: number } {
  if (data instanceof Uint8Array) return { bits: 8, format: 1, bytes: 1 };
  if (data instanceof Uint16Array) return { bits: 16, format: 1, bytes: 2 };
  if (data instanceof Float32Array) return { bits: 32, format: 3, bytes: 4 };
  throw new Error('TIFF pixels must be Uint8Array, Uint16Array or Float32Array');
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Pixel bytes in little-endian order. */
function pixelBytes(data: TiffPixels): Buffer {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (hostLittleEndian || data instanceof Uint8Array) return view;
  const out = Buffer.alloc(data.byteLength);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (data instanceof Uint16Array) data.forEach((v, i) => dv.setUint16(2 * i, v, true));
  else data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return out;
}

function validatePage(p: TiffPage, index: number): void {
  if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width < 1 || p.height < 1 || p.width > 0xffff * 16 || p.height > 0xffff * 16) {
    throw new Error(`TIFF page ${index}: invalid size ${p.width}×${p.height}`);
  }
  if (p.data.length !== p.width * p.height) {
    throw new Error(`TIFF page ${index}: ${p.data.length} pixels for ${p.width}×${p.height}`);
  }
}

/** Encodes one or more pages into a TIFF file image (little-endian, "II*\0"). */
export function encodeTiff(pages: TiffPage | readonly TiffPage[], options: TiffWriteOptions = {}): Buffer {
  const list = Array.isArray(pages) ? (pages as readonly TiffPage[]) : [pages as TiffPage];
  if (list.length === 0) throw new Error('TIFF needs at least one page');
  list.forEach(validatePage);
  const compress = (options.compression ?? 'none') === 'deflate';
  if (options.compression && options.compression !== 'none' && options.compression !== 'deflate') {
    throw new Error(`unknown TIFF compression "${String(options.compression)}"`);
  }
  const level = options.deflateLevel ?? 6;
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): number => {
    const at = offset;
    parts.push(b);
    offset += b.length;
    return at;
  };
  const align = (): void => {
    if (offset % 2 === 1) push(Buffer.alloc(1));
  };
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  push(header);
  // Offset field of the previous IFD's "next IFD" pointer (header's first).
  let linkPart = header;
  let linkPos = 4;

  list.forEach((page, pageIndex) => {
    const info = sampleInfo(page.data);
    const rowBytes = page.width * info.bytes;
    const rowsPerStrip = Math.max(1, Math.min(page.height, options.rowsPerStrip ?? Math.max(1, Math.floor(8192 / rowBytes))));
    const raw = pixelBytes(page.data);
    const stripOffsets: number[] = [];
    const stripCounts: number[] = [];
    for (let row = 0; row < page.height; row += rowsPerStrip) {
      const end = Math.min(page.height, row + rowsPerStrip);
      let strip = raw.subarray(row * rowBytes, end * rowBytes);
      if (compress) strip = deflateSync(strip, { level });
      align();
      stripOffsets.push(push(Buffer.from(strip)));
      stripCounts.push(strip.length);
    }
    const entries: Entry[] = [
      { tag: 256, type: TYPE_LONG, count: 1, bytes: longs([page.width]) },
      { tag: 257, type: TYPE_LONG, count: 1, bytes: longs([page.height]) },
      { tag: 258, type: TYPE_SHORT, count: 1, bytes: shorts(info.bits) },
      { tag: 259, type: TYPE_SHORT, count: 1, bytes: shorts(compress ? 8 : 1) },
      { tag: 262, type: TYPE_SHORT, count: 1, bytes: shorts(1) },
      { tag: 273, type: TYPE_LONG, count: stripOffsets.length, bytes: longs(stripOffsets) },
      { tag: 277, type: TYPE_SHORT, count: 1, bytes: shorts(1) },
      { tag: 278, type: TYPE_LONG, count: 1, bytes: longs([rowsPerStrip]) },
      { tag: 279, type: TYPE_LONG, count: stripCounts.length, bytes: longs(stripCounts) },
      { tag: 339, type: TYPE_SHORT, count: 1, bytes: shorts(info.format) },
    ];
    if (compress) entries.push({ tag: 317, type: TYPE_SHORT, count: 1, bytes: shorts(1) });
    if (pageIndex === 0 && options.description !== undefined) {
      const text = Buffer.concat([Buffer.from(options.description, 'utf8'), Buffer.alloc(1)]);
      entries.push({ tag: 270, type: TYPE_ASCII, count: text.length, bytes: text });
    }
    if (options.software !== undefined) {
      const text = Buffer.concat([Buffer.from(options.software, 'utf8'), Buffer.alloc(1)]);
      entries.push({ tag: 305, type: TYPE_ASCII, count: text.length, bytes: text });
    }
    if (options.pixelSizeUm !== undefined) {
      if (!(options.pixelSizeUm > 0)) throw new Error(`pixel size must be > 0 µm, got ${options.pixelSizeUm}`);
      const perCm = 1e4 / options.pixelSizeUm;
      entries.push({ tag: 282, type: TYPE_RATIONAL, count: 1, bytes: rational(perCm) });
      entries.push({ tag: 283, type: TYPE_RATIONAL, count: 1, bytes: rational(perCm) });
      entries.push({ tag: 296, type: TYPE_SHORT, count: 1, bytes: shorts(3) });
    }
    entries.sort((a, b) => a.tag - b.tag);
    // Values longer than 4 bytes go before the IFD.
    const valueOffsets = new Map<Entry, number>();
    for (const e of entries) {
      if (e.count * TYPE_SIZE[e.type]! > 4) {
        align();
        valueOffsets.set(e, push(e.bytes));
      }
    }
    align();
    const ifd = Buffer.alloc(2 + 12 * entries.length + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach((e, i) => {
      const p = 2 + 12 * i;
      ifd.writeUInt16LE(e.tag, p);
      ifd.writeUInt16LE(e.type, p + 2);
      ifd.writeUInt32LE(e.count, p + 4);
      const at = valueOffsets.get(e);
      if (at !== undefined) ifd.writeUInt32LE(at, p + 8);
      else e.bytes.copy(ifd, p + 8);
    });
    const ifdAt = push(ifd);
    linkPart.writeUInt32LE(ifdAt, linkPos);
    linkPart = ifd;
    linkPos = ifd.length - 4;
  });
  if (offset > 0xffffffff) throw new Error('TIFF larger than 4 GiB; use BigTIFF');
  return Buffer.concat(parts);
}

/**
 * Writes a file atomically: to `<path>.tmp`, fsync, then rename over `path`, so
 * readers never see a partial file.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Encodes and writes a TIFF; `atomic: true` writes via `<path>.tmp` + rename. */
export function writeTiff(path: string, pages: TiffPage | readonly TiffPage[], options: TiffWriteOptions & { atomic?: boolean } = {}): void {
  const bytes = encodeTiff(pages, options);
  if (options.atomic) {
    writeFileAtomic(path, bytes);
    return;
  }
  const fd = openSync(path, 'w');
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } finally {
    closeSync(fd);
  }
}
