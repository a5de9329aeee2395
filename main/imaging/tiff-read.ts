/**
 * TIFF reading for the station: a structural probe that never decodes pixels
 * (used by the watcher to decide whether a file is completely written), and
 * page decoding through the `geotiff` package.
 *
 * The type of a file is decided by its content (II*\0 / MM\0* magic), never by
 * its extension: a TIFF named `.png` is read as a TIFF.
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { fromArrayBuffer, fromFile } from 'geotiff';
import { effectiveFullScale, maxSample, samplesToUnit, type SampleBits } from './sample.js';
import type { TiffPage as PixelPage } from './tiff-write.js';

/** Why a file failed the probe. */
export type TiffProblem = 'empty' | 'not-tiff' | 'truncated' | 'corrupt';

export type SampleFormat = 'uint' | 'int' | 'float' | 'unknown';

/** Result of {@link probeTiff}: structure and first-page pixel format, no pixels. */
export interface TiffProbe {
  /** Header present, every IFD reachable, every strip/tile inside the file. */
  complete: boolean;
  /** Why `complete` is false (or why the pixels are unusable, see {@link unsupportedReason}). */
  reason?: string;
  problem?: TiffProblem;
  /** Number of pages (IFDs in the main chain) found; when incomplete, those parsed so far. */
  pages: number;
  width: number;
  height: number;
  /** Bits per sample of the first page. */
  bits: number;
  sampleFormat: SampleFormat;
  samplesPerPixel: number;
  /** TIFF compression code of the first page (1 none, 5 LZW, 8/32946 deflate, 32773 PackBits). */
  compression: number;
  photometric: number;
  littleEndian: boolean;
  bigTiff: boolean;
  fileSize: number;
  /** ImageDescription of the first page (OME-XML in OME-TIFF), at most 1 MiB. */
  description?: string;
}

/** Raw pixels of one decoded page: `(H, W)` row-major, one sample per pixel, and its bit depth. */
export interface TiffPage extends PixelPage {
  bits: SampleBits;
  /** The page's MaxSampleValue tag (the camera's declared maximum), when present. */
  maxSampleValue?: number;
}

/** A TIFF that cannot be read, with the file and the reason in the message. */
export class TiffError extends Error {
  constructor(
    readonly path: string,
    readonly problem: TiffProblem | 'unsupported' | 'io',
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'TiffError';
  }
}

/** Compression codes geotiff decodes and the station accepts. */
export const SUPPORTED_COMPRESSIONS: ReadonlyMap<number, string> = new Map([
  [1, 'none'],
  [5, 'LZW'],
  [8, 'deflate'],
  [32946, 'deflate'],
  [32773, 'PackBits'],
  [7, 'JPEG'],
]);

/** Photometric interpretations the station reads: 0 white is zero (inverted on reading), 1 black is zero, 2 RGB (read as its luminance). */
const PHOTOMETRIC = { minIsWhite: 0, minIsBlack: 1, rgb: 2, palette: 3 } as const;

/** ITU-R BT.601 luma weights: an RGB frame is read as Y' (a grey frame stored as RGB, R = G = B, reads back exactly). */
const LUMA = [0.299, 0.587, 0.114] as const;

const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

/** Byte size of each TIFF field type (0 = unknown type). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8];

const MAX_PAGES = 1_000_000;
const BLOCK = 64 * 1024;
const MAX_DESCRIPTION = 1 << 20;

class ProbeFailure extends Error {
  constructor(
    readonly problem: TiffProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Reads byte ranges of an open file through a small cache of 64 KiB blocks. */
class BlockReader {
  private readonly blocks = new Map<number, Buffer>();
  constructor(
    private readonly handle: import('node:fs/promises').FileHandle,
    readonly size: number,
  ) {}

  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ProbeFailure(
        'truncated',
        `${what} at bytes ${offset}..${offset + length} lies beyond the end of the file (${this.size} bytes)`,
      );
    }
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / BLOCK);
    if (first === last) {
      const block = await this.block(first);
      return block.subarray(offset - first * BLOCK, offset - first * BLOCK + length);
    }
    const parts: Buffer[] = [];
    for (let b = first; b <= last; b++) parts.push(await this.block(b));
    const joined = Buffer.concat(parts);
    return joined.subarray(offset - first * BLOCK, offset - first * BLOCK + length);
  }

  private async block(index: number): Promise<Buffer> {
    let block = this.blocks.get(index);
    if (block) return block;
    const start = index * BLOCK;
    const length = Math.min(BLOCK, this.size - start);
    block = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(block, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    // The file shrank under us (being rewritten): report it as truncated.
    if (got < length) throw new ProbeFailure('truncated', `file shrank while being read (${start + got} bytes)`);
    if (this.blocks.size > 256) this.blocks.clear();
    this.blocks.set(index, block);
    return block;
  }
}

interface Entry {
  type: number;
  count: number;
  /** Absolute offset of the value bytes (inline values point into the IFD entry). */
  valueOffset: number;
}

interface PageInfo {
  width: number;
  height: number;
  bits: number;
  sampleFormat: number;
  samplesPerPixel: number;
  compression: number;
  photometric: number;
  description?: string;
}

class Parser {
  constructor(
    private readonly r: BlockReader,
    readonly le: boolean,
    readonly big: boolean,
  ) {}

  private u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  private u64(b: Buffer, o: number): number {
    const v = this.le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProbeFailure('corrupt', `64-bit offset ${v} is too large`);
    return Number(v);
  }

  /** Reads one IFD: its entries by tag and the offset of the next IFD. */
  async readIfd(offset: number, page: number): Promise<{ entries: Map<number, Entry>; next: number }> {
    const countSize = this.big ? 8 : 2;
    const entrySize = this.big ? 20 : 12;
    const head = await this.r.read(offset, countSize, `IFD ${page} header`);
    const n = this.big ? this.u64(head, 0) : this.u16(head, 0);
    if (n === 0) throw new ProbeFailure('corrupt', `IFD ${page} at byte ${offset} has no entries`);
    if (n > 100_000) throw new ProbeFailure('corrupt', `IFD ${page} claims ${n} entries`);
    const body = await this.r.read(offset + countSize, n * entrySize + (this.big ? 8 : 4), `IFD ${page} (${n} entries)`);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < n; i++) {
      const o = i * entrySize;
      const tag = this.u16(body, o);
      const type = this.u16(body, o + 2);
      const count = this.big ? this.u64(body, o + 4) : this.u32(body, o + 4);
      const inlineSize = this.big ? 8 : 4;
      const valuePos = o + (this.big ? 12 : 8);
      const size = (TYPE_SIZE[type] ?? 0) * count;
      const valueOffset =
        size <= inlineSize ? offset + countSize + valuePos : this.big ? this.u64(body, valuePos) : this.u32(body, valuePos);
      entries.set(tag, { type, count, valueOffset });
    }
    const nextPos = n * entrySize;
    const next = this.big ? this.u64(body, nextPos) : this.u32(body, nextPos);
    return { entries, next };
  }

  /** Reads the integer values of an entry (BYTE, SHORT, LONG, LONG8 types). */
  async ints(e: Entry, what: string): Promise<number[]> {
    const size = TYPE_SIZE[e.type] ?? 0;
    if (![1, 3, 4, 13, 16, 18].includes(e.type)) {
      throw new ProbeFailure('corrupt', `${what} has field type ${e.type}, expected an integer type`);
    }
    const bytes = await this.r.read(e.valueOffset, size * e.count, what);
    const out = new Array<number>(e.count);
    for (let i = 0; i < e.count; i++) {
      const o = i * size;
      out[i] =
        size === 1 ? bytes[o]! : size === 2 ? this.u16(bytes, o) : size === 4 ? this.u32(bytes, o) : this.u64(bytes, o);
    }
    return out;
  }

  async int(entries: Map<number, Entry>, tag: number, fallback: number | undefined, what: string): Promise<number> {
    const e = entries.get(tag);
    if (!e || e.count === 0) {
      if (fallback === undefined) throw new ProbeFailure('corrupt', `${what} tag (${tag}) is missing`);
      return fallback;
    }
    return (await this.ints({ ...e, count: 1 }, what))[0]!;
  }

  async ascii(e: Entry, what: string): Promise<string> {
    const bytes = await this.r.read(e.valueOffset, Math.min(e.count, MAX_DESCRIPTION), what);
    const end = bytes.indexOf(0);
    return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
  }
}

async function parsePage(p: Parser, entries: Map<number, Entry>, page: number, fileSize: number): Promise<PageInfo> {
  const width = await p.int(entries, TAG.ImageWidth, undefined, `page ${page} ImageWidth`);
  const height = await p.int(entries, TAG.ImageLength, undefined, `page ${page} ImageLength`);
  if (width <= 0 || height <= 0) throw new ProbeFailure('corrupt', `page ${page} has size ${width}×${height}`);
  const samplesPerPixel = await p.int(entries, TAG.SamplesPerPixel, 1, `page ${page} SamplesPerPixel`);
  const bits = await p.int(entries, TAG.BitsPerSample, 1, `page ${page} BitsPerSample`);
  const compression = await p.int(entries, TAG.Compression, 1, `page ${page} Compression`);
  const photometric = await p.int(entries, TAG.Photometric, 1, `page ${page} PhotometricInterpretation`);
  const sampleFormat = await p.int(entries, TAG.SampleFormat, 1, `page ${page} SampleFormat`);
  const tiled = entries.has(TAG.TileOffsets);
  const offsetsTag = tiled ? TAG.TileOffsets : TAG.StripOffsets;
  const countsTag = tiled ? TAG.TileByteCounts : TAG.StripByteCounts;
  const kind = tiled ? 'tile' : 'strip';
  const offsetsEntry = entries.get(offsetsTag);
  const countsEntry = entries.get(countsTag);
  if (!offsetsEntry) throw new ProbeFailure('corrupt', `page ${page} has no ${kind} offsets`);
  if (!countsEntry) throw new ProbeFailure('corrupt', `page ${page} has no ${kind} byte counts`);
  const offsets = await p.ints(offsetsEntry, `page ${page} ${kind} offsets`);
  const counts = await p.ints(countsEntry, `page ${page} ${kind} byte counts`);
  if (offsets.length !== counts.length) {
    throw new ProbeFailure('corrupt', `page ${page} has ${offsets.length} ${kind} offsets but ${counts.length} byte counts`);
  }
  let expected: number;
  const planes = (await p.int(entries, TAG.PlanarConfiguration, 1, 'PlanarConfiguration')) === 2 ? samplesPerPixel : 1;
  if (tiled) {
    const tw = await p.int(entries, TAG.TileWidth, undefined, `page ${page} TileWidth`);
    const th = await p.int(entries, TAG.TileLength, undefined, `page ${page} TileLength`);
    if (tw <= 0 || th <= 0) throw new ProbeFailure('corrupt', `page ${page} has tile size ${tw}×${th}`);
    expected = Math.ceil(width / tw) * Math.ceil(height / th) * planes;
  } else {
    const rps = Math.min(await p.int(entries, TAG.RowsPerStrip, height, `page ${page} RowsPerStrip`), height);
    if (rps <= 0) throw new ProbeFailure('corrupt', `page ${page} has RowsPerStrip ${rps}`);
    expected = Math.ceil(height / rps) * planes;
  }
  if (offsets.length < expected) {
    throw new ProbeFailure('corrupt', `page ${page} has ${offsets.length} ${kind}s, its size needs ${expected}`);
  }
  for (let i = 0; i < offsets.length; i++) {
    const end = offsets[i]! + counts[i]!;
    if (counts[i] === 0) throw new ProbeFailure('truncated', `page ${page} ${kind} ${i} has a byte count of 0`);
    if (end > fileSize) {
      throw new ProbeFailure(
        'truncated',
        `page ${page} ${kind} ${i} ends at byte ${end}, beyond the end of the file (${fileSize} bytes)`,
      );
    }
  }
  const info: PageInfo = { width, height, bits, sampleFormat, samplesPerPixel, compression, photometric };
  const desc = entries.get(TAG.ImageDescription);
  if (page === 0 && desc && desc.type === 2) info.description = await p.ascii(desc, 'ImageDescription');
  return info;
}

function sampleFormatName(code: number): SampleFormat {
  return code === 1 ? 'uint' : code === 2 ? 'int' : code === 3 ? 'float' : 'unknown';
}

/**
 * Checks that a TIFF file is structurally complete without decoding pixels:
 * header, every IFD of the main chain reachable, every strip/tile offset +
 * byte count within the file. Never throws for bad content (see `complete`,
 * `problem`, `reason`); rejects only on I/O errors (ENOENT, EACCES, ...).
 */
export async function probeTiff(path: string): Promise<TiffProbe> {
  // Non-blocking: a FIFO put in place of a frame reads as empty instead of hanging the probe.
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const { size } = await handle.stat();
    const result: TiffProbe = {
      complete: false,
      pages: 0,
      width: 0,
      height: 0,
      bits: 0,
      sampleFormat: 'unknown',
      samplesPerPixel: 0,
      compression: 0,
      photometric: 0,
      littleEndian: true,
      bigTiff: false,
      fileSize: size,
    };
    if (size === 0) return { ...result, problem: 'empty', reason: 'file is empty' };
    const r = new BlockReader(handle, size);
    try {
      if (size < 8) throw new ProbeFailure('truncated', `file has only ${size} bytes, shorter than a TIFF header`);
      const head = await r.read(0, Math.min(16, size), 'header');
      const order = head.toString('latin1', 0, 2);
      if (order !== 'II' && order !== 'MM') {
        throw new ProbeFailure('not-tiff', 'not a TIFF file (no II*/MM* header)');
      }
      const le = order === 'II';
      const magic = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
      if (magic !== 42 && magic !== 43) throw new ProbeFailure('not-tiff', `not a TIFF file (magic number ${magic})`);
      const big = magic === 43;
      result.littleEndian = le;
      result.bigTiff = big;
      if (big && size < 16) throw new ProbeFailure('truncated', `file has only ${size} bytes, shorter than a BigTIFF header`);
      const p = new Parser(r, le, big);
      let offset = big
        ? Number(le ? head.readBigUInt64LE(8) : head.readBigUInt64BE(8))
        : le
          ? head.readUInt32LE(4)
          : head.readUInt32BE(4);
      if (offset === 0) throw new ProbeFailure('truncated', 'header points to no image (first IFD offset is 0)');
      const seen = new Set<number>();
      while (offset !== 0) {
        if (seen.has(offset)) throw new ProbeFailure('corrupt', `IFD chain loops back to byte ${offset}`);
        if (seen.size >= MAX_PAGES) throw new ProbeFailure('corrupt', `more than ${MAX_PAGES} pages`);
        seen.add(offset);
        const page = result.pages;
        const { entries, next } = await p.readIfd(offset, page);
        const info = await parsePage(p, entries, page, size);
        if (page === 0) {
          result.width = info.width;
          result.height = info.height;
          result.bits = info.bits;
          result.sampleFormat = sampleFormatName(info.sampleFormat);
          result.samplesPerPixel = info.samplesPerPixel;
          result.compression = info.compression;
          result.photometric = info.photometric;
          if (info.description !== undefined) result.description = info.description;
        }
        result.pages = page + 1;
        offset = next;
      }
      result.complete = true;
      return result;
    } catch (err) {
      if (err instanceof ProbeFailure) return { ...result, complete: false, problem: err.problem, reason: err.message };
      // Malformed numbers (RangeError from Buffer reads) mean a damaged structure.
      if (err instanceof RangeError) return { ...result, complete: false, problem: 'corrupt', reason: err.message };
      throw err;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Why the pixels of a complete probe cannot be used by the station (palette,
 * multi-channel, CMYK/YCbCr, an unsupported sample type or compression), or
 * null when they can: grayscale 8/16-bit unsigned, 16-bit signed, 32/64-bit
 * float, RGB(A) 8/16-bit; uncompressed, LZW, deflate, PackBits or JPEG.
 */
export function unsupportedReason(probe: TiffProbe): string | null {
  if (probe.photometric === PHOTOMETRIC.palette) return 'is a palette image; only grayscale and RGB are supported';
  const rgb = probe.photometric === PHOTOMETRIC.rgb;
  if (rgb ? probe.samplesPerPixel !== 3 && probe.samplesPerPixel !== 4 : probe.samplesPerPixel !== 1) {
    return `has ${probe.samplesPerPixel} samples per pixel (${rgb ? 'RGB with extra channels' : 'multi-channel'}); only single-channel grayscale and RGB(A) are supported`;
  }
  if (probe.photometric !== PHOTOMETRIC.minIsWhite && probe.photometric !== PHOTOMETRIC.minIsBlack && !rgb) {
    return `has photometric interpretation ${probe.photometric} (e.g. CMYK, YCbCr, CIELab); only grayscale and RGB are supported`;
  }
  const ok =
    ((probe.bits === 8 || probe.bits === 16) && probe.sampleFormat === 'uint') ||
    (probe.bits === 16 && probe.sampleFormat === 'int' && !rgb) ||
    ((probe.bits === 32 || probe.bits === 64) && probe.sampleFormat === 'float' && !rgb);
  if (!ok) {
    return `has ${probe.bits}-bit ${probe.sampleFormat} samples${rgb ? ' in RGB' : ''}; supported: 8- or 16-bit unsigned, 16-bit signed without negative values, 32- or 64-bit float (RGB: 8- or 16-bit unsigned)`;
  }
  if (!SUPPORTED_COMPRESSIONS.has(probe.compression)) {
    return `uses TIFF compression ${probe.compression}; supported: none, LZW, deflate, PackBits, JPEG`;
  }
  return null;
}

/** The bit depth a supported page is read as (what the station records and exports): floats as 32-bit, 16-bit signed as unsigned. */
export function stationBits(probe: Pick<TiffProbe, 'bits' | 'sampleFormat'>): SampleBits {
  return probe.sampleFormat === 'float' ? 32 : probe.bits === 8 ? 8 : 16;
}

type Raster = Uint8Array | Uint16Array | Int16Array | Float32Array | Float64Array;

/** One grey sample per pixel from `samples` interleaved ones (RGB or RGBA: BT.601 luma, alpha ignored), same type. */
function lumaOf(raster: Uint8Array | Uint16Array, samples: number, n: number): Uint8Array | Uint16Array {
  const out = raster instanceof Uint8Array ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0, j = 0; i < n; i++, j += samples) {
    out[i] = Math.round(LUMA[0] * raster[j]! + LUMA[1] * raster[j + 1]! + LUMA[2] * raster[j + 2]!);
  }
  return out;
}

/**
 * The page as one of the three sample kinds the station works with (8- or
 * 16-bit unsigned, 32-bit float), or a reason it cannot be: 16-bit signed
 * (some camera software writes its 12-bit counts so) becomes unsigned when no
 * sample is negative; 64-bit float becomes 32-bit; white-is-zero is inverted.
 */
function toStationSamples(raster: Raster, photometric: number): { bits: SampleBits; data: Uint8Array | Uint16Array | Float32Array } | string {
  if (raster instanceof Int16Array) {
    let min = 0;
    for (const v of raster) if (v < min) min = v;
    if (min < 0) return `has negative 16-bit signed samples (minimum ${min}); only non-negative counts are supported`;
    raster = new Uint16Array(raster.buffer, raster.byteOffset, raster.length);
  }
  if (raster instanceof Float64Array) raster = Float32Array.from(raster);
  if (photometric === PHOTOMETRIC.minIsWhite && !(raster instanceof Float32Array)) {
    const top = raster instanceof Uint8Array ? 0xff : 0xffff;
    for (let i = 0; i < raster.length; i++) raster[i] = top - raster[i]!;
  }
  if (raster instanceof Uint8Array) return { bits: 8, data: raster };
  if (raster instanceof Uint16Array) return { bits: 16, data: raster };
  return { bits: 32, data: raster };
}

/** Files above this size are decoded from the file handle instead of a whole-file buffer. */
const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;

/**
 * Decodes one page into `(H, W)` row-major grey samples: Uint8Array (8-bit),
 * Uint16Array (16-bit) or Float32Array (32-bit float), converted by
 * {@link toStationSamples} (RGB → luminance, signed → unsigned, 64 → 32-bit float).
 * Throws a {@link TiffError} naming the file for truncated, corrupt or
 * unsupported files, and for a page index out of range.
 */
export async function readTiffPage(path: string, page = 0): Promise<TiffPage> {
  let probe: TiffProbe;
  try {
    probe = await probeTiff(path);
  } catch (err) {
    throw new TiffError(path, 'io', `cannot read: ${(err as Error).message}`);
  }
  if (!probe.complete) throw new TiffError(path, probe.problem ?? 'corrupt', probe.reason ?? 'incomplete TIFF');
  const unsupported = unsupportedReason(probe);
  if (unsupported) throw new TiffError(path, 'unsupported', unsupported);
  if (!Number.isInteger(page) || page < 0 || page >= probe.pages) {
    throw new TiffError(path, 'corrupt', `page ${page} requested, the file has ${probe.pages} page(s)`);
  }
  try {
    let tiff;
    if (probe.fileSize > WHOLE_FILE_LIMIT) {
      tiff = await fromFile(path);
    } else {
      const buf = await readFile(path);
      tiff = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
    const image = await tiff.getImage(page);
    const width = image.getWidth();
    const height = image.getHeight();
    const samples = image.getSamplesPerPixel();
    const tag = async (name: 'PhotometricInterpretation' | 'Compression' | 'MaxSampleValue'): Promise<number | undefined> => {
      const v: unknown = await image.fileDirectory.loadValue(name);
      const first = Array.isArray(v) || ArrayBuffer.isView(v) ? Number((v as ArrayLike<number>)[0]) : typeof v === 'number' ? v : undefined;
      return first !== undefined && Number.isFinite(first) ? first : undefined;
    };
    const photometric = (await tag('PhotometricInterpretation')) ?? PHOTOMETRIC.minIsBlack;
    const expected = unsupportedReason({
      ...probe,
      bits: image.getBitsPerSample(0),
      sampleFormat: (['unknown', 'uint', 'int', 'float'] as const)[image.getSampleFormat(0)] ?? 'unknown',
      samplesPerPixel: samples,
      photometric,
      compression: (await tag('Compression')) ?? 1,
    });
    if (expected) throw new TiffError(path, 'unsupported', `page ${page} ${expected}`);
    let raster = (await image.readRasters({ interleave: true })) as unknown as Raster;
    const n = width * height;
    if (raster.length !== n * samples) {
      throw new TiffError(path, 'corrupt', `page ${page} decoded to ${raster.length} samples, expected ${n * samples}`);
    }
    if (samples > 1) raster = lumaOf(raster as Uint8Array | Uint16Array, samples, n);
    const converted = toStationSamples(raster, photometric);
    if (typeof converted === 'string') throw new TiffError(path, 'unsupported', `page ${page} ${converted}`);
    const tagMax = await tag('MaxSampleValue');
    const maxSampleValue = tagMax !== undefined && converted.bits !== 32 ? { maxSampleValue: tagMax } : {};
    return { width, height, ...converted, ...maxSampleValue };
  } catch (err) {
    if (err instanceof TiffError) throw err;
    throw new TiffError(path, 'corrupt', `page ${page} cannot be decoded: ${(err as Error).message}`);
  }
}

/**
 * Decodes one page as `(H, W)` float32, row-major, intensities in [0, 1]:
 * 8-bit / 255, 16-bit / 65535; 32-bit float pages are returned unscaled.
 */
export async function readTiffAsFloat(path: string, page = 0): Promise<Float32Array> {
  return (await readTiffFloatPage(path, page)).data;
}

/**
 * Like {@link readTiffAsFloat}, with the page's width and height: `(H, W)` float32, row-major, in [0, 1].
 * With `effectiveRange`, 16-bit samples are divided by the camera's effective full scale
 * (sample.ts effectiveFullScale: MaxSampleValue tag, else `runFullScale`, else the frame's
 * maximum rounded up to 8/10/12/14/16 bits) instead of 65,535; `fullScale` says which.
 */
export async function readTiffFloatPage(
  path: string,
  page = 0,
  options: { effectiveRange?: boolean; runFullScale?: number } = {},
): Promise<{ width: number; height: number; bits: 8 | 16 | 32; data: Float32Array; fullScale: number }> {
  const { width, height, bits, data, maxSampleValue } = await readTiffPage(path, page);
  // Every model and metric input is decoded here: a NaN or ±Inf sample never reaches them.
  if (data instanceof Float32Array) {
    const bad = countNonFinite(data);
    if (bad > 0) throw new TiffError(path, 'corrupt', `frame has ${bad} non-finite pixels (NaN or ±Inf) in page ${page}; it cannot be classified or restored`);
  }
  if (data instanceof Float32Array) return { width, height, bits, data, fullScale: 1 };
  const container = bits === 8 ? 255 : 65535;
  const fullScale = options.effectiveRange
    ? effectiveFullScale(bits === 8 ? 8 : 16, { maxSampleValue, observedMax: maxSample(data), runFullScale: options.runFullScale })
    : container;
  return { width, height, bits, data: samplesToUnit(data, fullScale), fullScale };
}

/** Number of NaN / ±Inf values in `(H, W)` float32 samples. */
export function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is NaN exactly for NaN and ±Inf.
    if (v - v !== 0) n++;
  }
  return n;
}
