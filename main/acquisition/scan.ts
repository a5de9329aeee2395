/**
 * Read-only walk of an acquisition tree. Lists files as paths relative to the
 * root with '/' separators; never writes anything under the root.
 *
 * A {@link DirectoryCache} makes rescans of a large, mostly unchanged tree
 * cheap: a folder whose modification time has not changed (and is old enough
 * that a same-tick change cannot hide) is not listed again, only stat'ed.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSameOrInside, realPathOf } from './location.js';

export interface ScanProblem {
  /** Relative folder ('' for the root). */
  path: string;
  code: string;
  message: string;
}

/** An entry that is listed but never read, with the reason. */
export interface IgnoredEntry {
  /** Relative path, '/' separators. */
  path: string;
  reason: string;
}

export interface TreeListing {
  /** Every file, relative to the root, '/' separators (links to files inside the root included). */
  files: string[];
  /**
   * Entries never read: symbolic links leaving the root, links to folders,
   * dangling links, FIFOs, sockets, devices.
   */
  ignored: IgnoredEntry[];
  /** Every folder below the root, relative, '/' separators ('' not included). */
  dirs: string[];
  /** Folders that could not be listed (permission denied, vanished, ...). */
  problems: ScanProblem[];
  /** The root itself could not be listed (missing, unmounted, not a folder). */
  rootMissing: ScanProblem | null;
  /** Folders listed with readdir (the rest came from the cache). */
  listed: number;
}

interface CachedDir extends DirListing {
  mtimeMs: number;
}

interface DirListing {
  files: string[];
  dirs: string[];
  ignored: IgnoredEntry[];
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
 * (names starting with '.') are skipped. A symbolic link is read only when it
 * points to a file inside the root; other links and special files are listed in
 * `ignored` with the reason, and never opened.
 */
export async function listTree(
  root: string,
  options: {
    cache?: DirectoryCache;
    concurrency?: number;
    maxDepth?: number;
    maxFiles?: number;
    /** Links must stay inside this folder (default `root`; a sub-tree listing passes the acquisition's root). */
    linkRoot?: string;
  } = {},
): Promise<TreeListing> {
  const out: TreeListing = { files: [], dirs: [], ignored: [], problems: [], rootMissing: null, listed: 0 };
  const realRoot = realPathOf(options.linkRoot ?? root);
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
        let listing: DirListing | undefined;
        if (cache) {
          const st = await stat(abs);
          if (!st.isDirectory()) throw Object.assign(new Error(`${abs} is not a folder`), { code: 'ENOTDIR' });
          const hit = cache.entries.get(rel);
          if (hit && hit.mtimeMs === st.mtimeMs && st.mtimeMs < scanStart - cache.trustAfterMs) listing = hit;
          else {
            listing = await listDir(abs, rel, realRoot);
            out.listed++;
            cache.entries.set(rel, { mtimeMs: st.mtimeMs, ...listing });
          }
        } else {
          listing = await listDir(abs, rel, realRoot);
          out.listed++;
        }
        for (const f of listing.files) out.files.push(f);
        for (const x of listing.ignored) out.ignored.push(x);
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

/** Entry types as readdir (d_type) or lstat report them. */
interface EntryKind {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/** Why a FIFO, socket or device is not read; null for files, folders and links. */
export function specialReason(e: EntryKind): string | null {
  if (e.isFIFO()) return 'named pipe (FIFO), not a regular file';
  if (e.isSocket()) return 'socket, not a regular file';
  if (e.isCharacterDevice() || e.isBlockDevice()) return 'device file, not a regular file';
  return null;
}

async function listDir(abs: string, rel: string, realRoot: string): Promise<DirListing> {
  const out: DirListing = { files: [], dirs: [], ignored: [] };
  for (const entry of await readdir(abs, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const relPath = joinRel(rel, entry.name);
    let kind: EntryKind = entry;
    if (!entry.isDirectory() && !entry.isFile() && !entry.isSymbolicLink() && !specialReason(entry)) {
      // Some network file systems report DT_UNKNOWN: ask lstat (never following a link).
      try {
        kind = await lstat(join(abs, entry.name));
      } catch {
        continue; // removed meanwhile
      }
    }
    if (kind.isDirectory()) out.dirs.push(relPath);
    else if (kind.isFile()) out.files.push(relPath);
    else if (kind.isSymbolicLink()) {
      const reason = await linkReason(join(abs, entry.name), realRoot);
      if (reason) out.ignored.push({ path: relPath, reason });
      else out.files.push(relPath);
    } else out.ignored.push({ path: relPath, reason: specialReason(kind) ?? 'not a regular file' });
  }
  return out;
}

/**
 * Why a symbolic link is not followed, or null for a link to a regular file
 * inside the root (a microscope program may link frames within its own tree).
 */
export async function linkReason(link: string, realRoot: string): Promise<string | null> {
  let target: string;
  try {
    target = await realpath(link);
  } catch {
    return 'dangling symbolic link (its target does not exist)';
  }
  if (!isSameOrInside(target, realRoot)) return `symbolic link to ${target}, outside the acquisition folder`;
  let st;
  try {
    st = await stat(target);
  } catch {
    return 'dangling symbolic link (its target does not exist)';
  }
  if (st.isDirectory()) return 'symbolic link to a folder (links to folders are not followed)';
  if (!st.isFile()) return `symbolic link to a special file (${specialReason(st) ?? 'not a regular file'})`;
  return null;
}
