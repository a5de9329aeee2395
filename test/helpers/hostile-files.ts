/**
 * Hostile files a station meets on a real acquisition share, written for the
 * reliability tests and the soak benchmark: a float32 frame with NaN/Inf, a
 * tiny file whose header claims a huge frame, a truncated TIFF, a file of the
 * wrong type, links leaving the acquisition, a FIFO.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeTiff } from '../../main/imaging/tiff-write.js';

export type HostileKind = 'nan' | 'huge' | 'truncated' | 'wrong-type' | 'symlink-out' | 'fifo';
export const HOSTILE_KINDS: readonly HostileKind[] = ['nan', 'huge', 'truncated', 'wrong-type', 'symlink-out', 'fifo'];

/** A float32 frame (`(H, W)`, values in [0, 1]) with `bad` NaN / ±Inf pixels. */
export function nanTiff(width: number, height: number, bad = 3, seed = 1): Buffer {
  const data = new Float32Array(width * height);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32;
  }
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let k = 0; k < bad; k++) data[(k * 7919) % data.length] = specials[k % 3]!;
  return encodeTiff({ width, height, data });
}

/**
 * A structurally complete 8-bit deflate TIFF of a few hundred bytes whose header
 * says `width` × `height` (e.g. 30000²): decoding it would allocate width·height
 * bytes before failing, so it must be refused from the header.
 */
export function hugeHeaderTiff(width: number, height: number): Buffer {
  const strip = deflateSync(Buffer.alloc(4096));
  const ifdOffset = 8 + strip.length + (strip.length % 2);
  const entries: [number, number, number][] = [
    // tag, type (3 SHORT, 4 LONG), value
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 8],
    [262, 3, 1],
    [273, 4, 8],
    [277, 3, 1],
    [278, 4, height],
    [279, 4, strip.length],
  ];
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, value], i) => {
    const o = 2 + i * 12;
    ifd.writeUInt16LE(tag, o);
    ifd.writeUInt16LE(type, o + 2);
    ifd.writeUInt32LE(1, o + 4);
    if (type === 3) ifd.writeUInt16LE(value, o + 8);
    else ifd.writeUInt32LE(value, o + 8);
  });
  const head = Buffer.alloc(8);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifdOffset, 4);
  return Buffer.concat([head, strip, Buffer.alloc(ifdOffset - 8 - strip.length), ifd]);
}

/** The message fragment each kind's error row (or ignored row) must carry. */
export const HOSTILE_REASON: Record<HostileKind, RegExp> = {
  nan: /frame has \d+ non-finite pixels/,
  huge: /frame too large: \d+×\d+ = \d+ pixels, above the maximum/,
  truncated: /truncated TIFF|beyond the end of the file/,
  'wrong-type': /not a TIFF file/,
  'symlink-out': /ignored, not read: symbolic link to .*outside the acquisition folder/,
  fifo: /ignored, not read: named pipe \(FIFO\)/,
};

/**
 * Writes a hostile file of `kind` at `path` (its folder is created).
 * `outside`: a file outside the acquisition for 'symlink-out' (default /etc/passwd).
 */
export function writeHostile(kind: HostileKind, path: string, options: { seed?: number; size?: number; outside?: string } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const size = options.size ?? 32;
  switch (kind) {
    case 'nan':
      writeFileSync(path, nanTiff(size, size, 3, options.seed));
      return;
    case 'huge':
      writeFileSync(path, hugeHeaderTiff(30000, 30000));
      return;
    case 'truncated': {
      const whole = encodeTiff({ width: size, height: size, data: new Uint8Array(size * size).fill(90) });
      writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
      return;
    }
    case 'wrong-type':
      writeFileSync(path, 'this is a text file with a .tif name\n');
      return;
    case 'symlink-out':
      symlinkSync(options.outside ?? '/etc/passwd', path);
      return;
    case 'fifo': {
      const r = spawnSync('mkfifo', [path]);
      if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr.toString()}`);
      return;
    }
  }
}
