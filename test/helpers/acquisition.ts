/** Builders of acquisition trees on disk for ingest and watcher tests (real files). */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeTestTiff, testImage, type TestTiffOptions } from './tiff-fixtures.mjs';

/** Relative path of a TIMING frame, as the simulator writes it. */
export function timingPath(block: number, well: number, t: number): string {
  const w = `imgNo${String(well).padStart(3, '0')}CH0`;
  return `B${block}/images/crops_8bit_s/${w}/${w}_t${t}.tif`;
}

/** Writes `bytes` at root/rel, creating folders. Returns the absolute path. */
export function put(root: string, rel: string, bytes: Uint8Array | string): string {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, bytes);
  return abs;
}

/** A small 8-bit frame TIFF, seeded. */
export function frameTiff(seed: number, options: TestTiffOptions & { width?: number; height?: number; bits?: 8 | 16 } = {}): Buffer {
  const width = options.width ?? 24;
  const height = options.height ?? 16;
  return encodeTestTiff({ width, height, data: testImage(width, height, options.bits ?? 8, seed) }, options);
}

/** Writes a TIMING tree of blocks × wells × time points; returns the relative paths. */
export function writeTimingTree(root: string, blocks: number, wells: number, times: number): string[] {
  const paths: string[] = [];
  for (let b = 1; b <= blocks; b++) {
    for (let w = 1; w <= wells; w++) {
      for (let t = 1; t <= times; t++) {
        const rel = timingPath(b, w, t);
        put(root, rel, frameTiff(b * 100000 + w * 100 + t));
        paths.push(rel);
      }
    }
  }
  return paths;
}

/** Every file under root with its size and mtime, for "never written" checks. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = statSync(join(dir, e.name));
      if (e.isDirectory()) {
        out[`${r}/`] = String(st.mtimeMs);
        walk(join(dir, e.name), r);
      } else out[r] = `${st.size}:${st.mtimeMs}`;
    }
  };
  walk(root, '');
  return out;
}
