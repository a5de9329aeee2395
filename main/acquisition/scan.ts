/**
 * Read-only walk of an acquisition tree. Lists files as paths relative to the
 * root with '/' separators; never writes anything under the root.
 *
 * A {@link DirectoryCache} makes rescans of a large, mostly unchanged tree
 * cheap: a folder whose modification time has not changed (and is old enough
 * that a same-tick change cannot hide) is not listed again, only stat'ed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScanProblem {
  /** Relative folder ('' for the root). */
  path: string;
  code: string;
  message: string;
}

export interface TreeListing {
  /** Every file, relative to the root, '/' separators. */
  files: string[];
  /** Every folder below the root, relative, '/' separators ('' not included). */
  dirs: string[];
  /** Folders that could not be listed (permission denied, vanished, ...). */
  problems: ScanProblem[];
  /** The root itself could not be listed (missing, unmounted, not a folder). */
  rootMissing: ScanProblem | null;
  /** Folders listed with readdir (the rest came from the cache). */
  listed: number;
}

interface CachedDir {
  mtimeMs: number;
  files: string[];
  dirs: string[];
}

/** Listings of folders from the previous scan, keyed by relative folder. */
export class DirectoryCache {
  readonly entries = new Map<string, CachedDir>();
  /**
   * A listing is reused only when the folder's mtime is older than the scan by
   * this much: file systems with coarse timestamps (FAT: 2 s, some network
   * shares: 1 s) could otherwise hide a file created in the same tick.
   */
  constructor(readonly trustAfterMs = 3000) {}
}

function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Lists the tree under `root` (files and folders, relative). Hidden entries
 * (names starting with '.') are skipped; symbolic links are not followed.
 */
export async function listTree(
  root: string,
  options: { cache?: DirectoryCache; concurrency?: number; maxDepth?: number; maxFiles?: number } = {},
): Promise<TreeListing> {
  const out: TreeListing = { files: [], dirs: [], problems: [], rootMissing: null, listed: 0 };
  const cache = options.cache;
  const scanStart = Date.now();
  const maxDepth = options.maxDepth ?? 32;
  const maxFiles = options.maxFiles ?? Infinity;
  let level: string[] = [''];
  for (let depth = 0; level.length > 0 && depth <= maxDepth && out.files.length < maxFiles; depth++) {
    const nextLevel: string[] = [];
    await forEachLimit(level, options.concurrency ?? 8, async (rel) => {
      if (out.files.length >= maxFiles) return;
      const abs = rel === '' ? root : join(root, rel);
      try {
        let listing: { files: string[]; dirs: string[] } | undefined;
        if (cache) {
          const st = await stat(abs);
          if (!st.isDirectory()) throw Object.assign(new Error(`${abs} is not a folder`), { code: 'ENOTDIR' });
          const hit = cache.entries.get(rel);
          if (hit && hit.mtimeMs === st.mtimeMs && st.mtimeMs < scanStart - cache.trustAfterMs) listing = hit;
          else {
            listing = await listDir(abs, rel);
            out.listed++;
            cache.entries.set(rel, { mtimeMs: st.mtimeMs, ...listing });
          }
        } else {
          listing = await listDir(abs, rel);
          out.listed++;
        }
        for (const f of listing.files) out.files.push(f);
        for (const d of listing.dirs) {
          out.dirs.push(d);
          nextLevel.push(d);
        }
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const problem = { path: rel, code: e.code ?? 'EIO', message: e.message };
        if (rel === '') out.rootMissing = problem;
        else out.problems.push(problem);
        cache?.entries.delete(rel);
      }
    });
    level = nextLevel.sort();
  }
  return out;
}

async function listDir(abs: string, rel: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const entry of await readdir(abs, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) dirs.push(joinRel(rel, entry.name));
    else if (entry.isFile()) files.push(joinRel(rel, entry.name));
    else if (entry.isSymbolicLink() || !(entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice())) {
      // Some network file systems report DT_UNKNOWN: ask stat (links are resolved here, once).
      try {
        const st = await stat(join(abs, entry.name));
        if (st.isFile()) files.push(joinRel(rel, entry.name));
      } catch {
        // A dangling link is not a frame.
      }
    }
  }
  return { files, dirs };
}
