/**
 * Size cap of the display-image cache (<workspace>/thumbs/). Entries are
 * removed oldest first (by modification time, i.e. when they were rendered)
 * until the cache is below LOW_WATER of the cap; leftover temporary files of
 * interrupted writes older than an hour go too. Only files inside the cache
 * folder are ever removed.
 */
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_THUMB_CACHE_BYTES = 1024 ** 3;
const LOW_WATER = 0.8;
const STALE_TMP_MS = 3600_000;

export interface PruneResult {
  files: number;
  bytesBefore: number;
  bytesAfter: number;
  removed: number;
}

interface Entry {
  path: string;
  bytes: number;
  mtimeMs: number;
}

/** Walks the cache's bucket folders (one level: thumbs/<bucket>/<files>). */
async function entries(root: string): Promise<{ files: Entry[]; stale: string[]; dirs: string[] }> {
  const files: Entry[] = [];
  const stale: string[] = [];
  const dirs: string[] = [];
  let buckets: string[];
  try {
    buckets = await readdir(root);
  } catch {
    return { files, stale, dirs };
  }
  const now = Date.now();
  for (const bucket of buckets) {
    const dir = join(root, bucket);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    dirs.push(dir);
    for (const name of names) {
      const path = join(dir, name);
      try {
        const s = await stat(path);
        if (!s.isFile()) continue;
        if (name.endsWith('.tmp')) {
          if (now - s.mtimeMs > STALE_TMP_MS) stale.push(path);
          continue;
        }
        files.push({ path, bytes: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
  }
  return { files, stale, dirs };
}

/** Keeps the cache under `maxBytes` (PNG and its .json metadata are removed together). */
export async function pruneThumbCache(root: string, maxBytes: number): Promise<PruneResult> {
  const { files, stale, dirs } = await entries(root);
  for (const path of stale) await unlink(path).catch(() => undefined);
  const bytesBefore = files.reduce((n, f) => n + f.bytes, 0);
  let bytes = bytesBefore;
  let removed = 0;
  if (bytes > maxBytes) {
    const pngs = files.filter((f) => f.path.endsWith('.png')).sort((a, b) => a.mtimeMs - b.mtimeMs);
    const metaBytes = new Map(files.filter((f) => f.path.endsWith('.png.json')).map((f) => [f.path, f.bytes]));
    for (const f of pngs) {
      if (bytes <= maxBytes * LOW_WATER) break;
      // Metadata first: an entry without its .json is a cache miss, never a wrong image.
      await unlink(`${f.path}.json`).catch(() => undefined);
      await unlink(f.path).catch(() => undefined);
      bytes -= f.bytes + (metaBytes.get(`${f.path}.json`) ?? 0);
      removed++;
    }
    for (const dir of dirs) await rmdir(dir).catch(() => undefined); // only empty ones go
  }
  return { files: files.length, bytesBefore, bytesAfter: bytes, removed };
}
