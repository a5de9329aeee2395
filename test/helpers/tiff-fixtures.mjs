// TIFF files for tests, in plain JavaScript so that a separate writer process
// (`node test/helpers/acquisition-writer.mjs`) can use it without a build.
// Independent of main/imaging (the code under test): little- or big-endian,
// 8/16-bit (or RGB), one or many pages, uncompressed / deflate / LZW, IFDs
// before or after the pixel data, and broken variants (truncated, looping,
// strips beyond the end, not a TIFF).
import { deflateSync } from 'node:zlib';
import { closeSync, openSync, writeSync, fsyncSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A (H, W) test image: smooth gradient plus seeded noise; Uint8Array or Uint16Array. */
export function testImage(width, height, bits, seed) {
  const next = rng(seed);
  const max = bits === 8 ? 255 : 65535;
  const data = bits === 8 ? new Uint8Array(width * height) : new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = ((x + y) / (width + height)) * 0.7 * max;
      data[y * width + x] = Math.min(max, Math.round(base + next() * 0.3 * max));
    }
  }
  return data;
}

/** TIFF LZW (MSB-first codes, 9..12 bits, early change), as libtiff writes it. */
export function lzwEncode(input) {
  const out = [];
  let acc = 0;
  let accBits = 0;
  let nbits = 9;
  const put = (code) => {
    acc = (acc << nbits) | code;
    accBits += nbits;
    while (accBits >= 8) {
      out.push((acc >>> (accBits - 8)) & 0xff);
      accBits -= 8;
    }
    acc &= (1 << accBits) - 1;
  };
  let dict = new Map();
  let free = 258;
  let maxcode = 511;
  const reset = () => {
    dict = new Map();
    free = 258;
    nbits = 9;
    maxcode = 511;
  };
  put(256);
  if (input.length === 0) {
    put(257);
  } else {
    let w = input[0];
    for (let i = 1; i < input.length; i++) {
      const c = input[i];
      const key = w * 256 + c;
      const hit = dict.get(key);
      if (hit !== undefined) {
        w = hit;
        continue;
      }
      put(w);
      dict.set(key, free++);
      if (free === 4094) {
        put(256);
        reset();
      } else if (free > maxcode) {
        nbits++;
        maxcode = (1 << nbits) - 1;
      }
      w = c;
    }
    put(w);
    free++;
    if (free === 4094) {
      put(256);
      nbits = 9;
    } else if (free > maxcode) {
      nbits++;
    }
    put(257);
  }
  if (accBits > 0) out.push((acc << (8 - accBits)) & 0xff);
  return Buffer.from(out);
}

function sampleBytes(page, littleEndian) {
  const { data } = page;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Float64Array) {
    const buf = Buffer.alloc(data.length * 8);
    for (let i = 0; i < data.length; i++) (littleEndian ? buf.writeDoubleLE(data[i], i * 8) : buf.writeDoubleBE(data[i], i * 8));
    return buf;
  }
  const buf = Buffer.alloc(data.length * 2);
  const signed = data instanceof Int16Array;
  for (let i = 0; i < data.length; i++) {
    if (signed) (littleEndian ? buf.writeInt16LE(data[i], i * 2) : buf.writeInt16BE(data[i], i * 2));
    else if (littleEndian) buf.writeUInt16LE(data[i], i * 2);
    else buf.writeUInt16BE(data[i], i * 2);
  }
  return buf;
}

/**
 * Encodes pages {width, height, data, samples?} into a TIFF buffer; data is
 * Uint8Array, Uint16Array, Int16Array (signed) or Float64Array.
 * options: compression 'none'|'deflate'|'lzw', littleEndian (true), rowsPerStrip,
 * order 'ifd-first'|'data-first', description (first page), photometric (default
 * 1, RGB for 3 samples), maxSampleValue (tag 281).
 */
export function encodeTestTiff(pages, options = {}) {
  const le = options.littleEndian ?? true;
  const compression = options.compression ?? 'none';
  const order = options.order ?? 'ifd-first';
  const list = Array.isArray(pages) ? pages : [pages];
  const prepared = list.map((page) => {
    const samples = page.samples ?? 1;
    const bits = page.data instanceof Uint8Array ? 8 : page.data instanceof Float64Array ? 64 : 16;
    const sampleFormat = page.data instanceof Float64Array ? 3 : page.data instanceof Int16Array ? 2 : 1;
    const bytes = sampleBytes(page, le);
    const rowBytes = page.width * samples * (bits / 8);
    const rps = Math.min(options.rowsPerStrip ?? page.height, page.height);
    const strips = [];
    for (let y = 0; y < page.height; y += rps) {
      const raw = bytes.subarray(y * rowBytes, Math.min(page.height, y + rps) * rowBytes);
      strips.push(compression === 'deflate' ? deflateSync(raw) : compression === 'lzw' ? lzwEncode(raw) : Buffer.from(raw));
    }
    return { ...page, samples, bits, sampleFormat, rps, strips };
  });
  const code = { none: 1, lzw: 5, deflate: 8 }[compression];

  // Entries per page: [tag, type, values]; types 3 SHORT, 4 LONG, 2 ASCII.
  const ifdSize = (n) => 2 + n * 12 + 4;
  const buildEntries = (p, index, stripOffsets) => {
    const e = [
      [256, 4, [p.width]],
      [257, 4, [p.height]],
      [258, 3, new Array(p.samples).fill(p.bits)],
      [259, 3, [code]],
      [262, 3, [options.photometric ?? (p.samples === 3 ? 2 : 1)]],
    ];
    if (index === 0 && options.description) e.push([270, 2, Buffer.from(`${options.description}\0`, 'utf8')]);
    e.push(
      [273, 4, stripOffsets],
      [277, 3, [p.samples]],
      [278, 4, [p.rps]],
      [279, 4, p.strips.map((s) => s.length)],
    );
    if (options.maxSampleValue !== undefined) e.push([281, 3, new Array(p.samples).fill(options.maxSampleValue)]);
    e.push([284, 3, [1]]);
    if (p.sampleFormat !== 1) e.push([339, 3, new Array(p.samples).fill(p.sampleFormat)]);
    return e;
  };
  const extraSize = (entries) =>
    entries.reduce((sum, [, type, values]) => {
      const size = type === 2 ? values.length : values.length * (type === 3 ? 2 : 4);
      return sum + (size > 4 ? size + (size % 2) : 0);
    }, 0);

  // First pass: sizes, then offsets.
  const dataSizes = prepared.map((p) => p.strips.reduce((s, b) => s + b.length + (b.length % 2), 0));
  const dummy = prepared.map((p, i) => buildEntries(p, i, new Array(p.strips.length).fill(0)));
  const metaSizes = dummy.map((e) => ifdSize(e.length) + extraSize(e));
  const header = 8;
  const ifdOffsets = [];
  const dataOffsets = [];
  let pos = header;
  if (order === 'ifd-first') {
    for (const m of metaSizes) (ifdOffsets.push(pos), (pos += m));
    for (const d of dataSizes) (dataOffsets.push(pos), (pos += d));
  } else {
    for (const d of dataSizes) (dataOffsets.push(pos), (pos += d));
    for (const m of metaSizes) (ifdOffsets.push(pos), (pos += m));
  }
  const out = Buffer.alloc(pos);
  out.write(le ? 'II' : 'MM', 0, 'latin1');
  const w16 = (v, o) => (le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o));
  const w32 = (v, o) => (le ? out.writeUInt32LE(v >>> 0, o) : out.writeUInt32BE(v >>> 0, o));
  w16(42, 2);
  w32(ifdOffsets[0], 4);
  prepared.forEach((p, i) => {
    let d = dataOffsets[i];
    const offsets = [];
    for (const s of p.strips) {
      offsets.push(d);
      s.copy(out, d);
      d += s.length + (s.length % 2);
    }
    const entries = buildEntries(p, i, offsets);
    const start = ifdOffsets[i];
    let extra = start + ifdSize(entries.length);
    w16(entries.length, start);
    entries.forEach(([tag, type, values], k) => {
      const o = start + 2 + k * 12;
      w16(tag, o);
      w16(type, o + 2);
      w32(type === 2 ? values.length : values.length, o + 4);
      const size = type === 2 ? values.length : values.length * (type === 3 ? 2 : 4);
      let at = o + 8;
      if (size > 4) {
        w32(extra, o + 8);
        at = extra;
        extra += size + (size % 2);
      }
      if (type === 2) values.copy(out, at);
      else values.forEach((v, j) => (type === 3 ? w16(v, at + j * 2) : w32(v, at + j * 4)));
    });
    w32(i + 1 < prepared.length ? ifdOffsets[i + 1] : 0, start + 2 + entries.length * 12);
  });
  return out;
}

/** Kinds of broken files {@link brokenTiff} makes. */
export const BROKEN_KINDS = ['truncated', 'not-tiff', 'empty', 'ifd-beyond-end', 'ifd-loop', 'strip-beyond-end', 'header-only'];

/** A broken TIFF of the given kind, derived from a valid 8-bit file (seeded). */
export function brokenTiff(kind, seed, width = 32, height = 32) {
  const good = encodeTestTiff({ width, height, data: testImage(width, height, 8, seed) }, { order: 'ifd-first' });
  const r = rng(seed ^ 0x5eed);
  switch (kind) {
    case 'truncated': {
      // Cut inside the pixel data: header and IFD intact, last strip beyond the end.
      const dataStart = good.length - width * height;
      return good.subarray(0, dataStart + 1 + Math.floor(r() * (width * height - 2)));
    }
    case 'not-tiff': {
      const b = Buffer.alloc(200);
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
      b.write('GARBAGE!', 0, 'latin1');
      return b;
    }
    case 'empty':
      return Buffer.alloc(0);
    case 'ifd-beyond-end': {
      const b = Buffer.from(good);
      b.writeUInt32LE(b.length + 1000, 4);
      return b;
    }
    case 'ifd-loop': {
      // Two pages whose second IFD points back to the first.
      const two = encodeTestTiff(
        [0, 1].map((k) => ({ width, height, data: testImage(width, height, 8, seed + k) })),
        { order: 'ifd-first' },
      );
      const first = two.readUInt32LE(4);
      const n = two.readUInt16LE(first);
      const second = two.readUInt32LE(first + 2 + n * 12);
      const n2 = two.readUInt16LE(second);
      two.writeUInt32LE(first, second + 2 + n2 * 12);
      return two;
    }
    case 'strip-beyond-end': {
      const b = Buffer.from(good);
      const ifd = b.readUInt32LE(4);
      const n = b.readUInt16LE(ifd);
      for (let k = 0; k < n; k++) {
        const o = ifd + 2 + k * 12;
        if (b.readUInt16LE(o) === 273) b.writeUInt32LE(b.length * 3, o + 8);
      }
      return b;
    }
    case 'header-only':
      return good.subarray(0, 8);
    default:
      throw new Error(`unknown broken kind ${kind}`);
  }
}

/**
 * Writes `data` to `path` in `chunks` pieces with `delayMs` between them
 * (a slow writer, folders created), fsync'ing each piece so another process sees it grow.
 */
export async function writeSlowly(path, data, chunks, delayMs) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    const size = Math.ceil(data.length / chunks);
    for (let off = 0; off < data.length; off += size) {
      writeSync(fd, data, off, Math.min(size, data.length - off), off);
      fsyncSync(fd);
      if (off + size < data.length) await new Promise((r) => setTimeout(r, delayMs));
    }
  } finally {
    closeSync(fd);
  }
}
