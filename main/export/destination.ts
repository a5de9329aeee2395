/**
 * Destination handling of the export: refusals (inside an acquisition folder,
 * already existing without merge), the temporary `<dest>.partial-<pid>` folder
 * next to the destination, and its atomic publication (one rename) or, with
 * merge, file-by-file replacement into the existing destination.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export class ExportRefusedError extends Error {
  override name = 'ExportRefusedError';
}

/** Real path of `p`, resolving symlinks of its longest existing ancestor (p itself may not exist yet). */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  let existing = abs;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(basename(existing));
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    real = existing;
  }
  return rest.length ? join(real, ...rest) : real;
}

/** Whether `child` is `parent` or lies inside it (real paths). */
export function isSameOrInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Throws {@link ExportRefusedError} when the destination may not be written:
 * inside (or containing) an acquisition folder — the acquisition is never
 * written —, the workspace itself or a folder containing it, an existing file,
 * or an existing folder without `merge`.
 */
export function checkDestination(
  destination: string,
  opts: { acquisitionRoots: readonly string[]; workspace: string; merge: boolean },
): string {
  if (!destination || destination.trim() === '') throw new ExportRefusedError('export destination is empty');
  const dest = realPathOf(destination);
  for (const root of opts.acquisitionRoots) {
    const acq = realPathOf(root);
    if (isSameOrInside(dest, acq)) {
      throw new ExportRefusedError(
        `export destination ${destination} is inside the acquisition folder ${root}; the acquisition is never written — choose a folder outside it`,
      );
    }
    if (isSameOrInside(acq, dest)) {
      throw new ExportRefusedError(
        `export destination ${destination} contains the acquisition folder ${root}; choose a folder that does not hold the acquisition`,
      );
    }
  }
  const ws = realPathOf(opts.workspace);
  if (isSameOrInside(ws, dest)) {
    throw new ExportRefusedError(`export destination ${destination} is (or contains) the workspace ${opts.workspace}`);
  }
  if (existsSync(dest)) {
    if (!statSync(dest).isDirectory()) {
      throw new ExportRefusedError(`export destination ${destination} exists and is not a folder`);
    }
    if (!opts.merge) {
      throw new ExportRefusedError(
        `export destination ${destination} already exists; choose a new folder, or merge into it (--merge)`,
      );
    }
  }
  return dest;
}

/** `<dest>.partial-<pid>`: next to the destination, so publishing is a rename on the same disk. */
export function partialPathFor(destination: string, pid = process.pid): string {
  return `${destination}.partial-${pid}`;
}

/** Creates the temporary folder (replacing a stale one left by a crash of this same pid). */
export function createPartialDir(partial: string): void {
  mkdirSync(dirname(partial), { recursive: true });
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
}

/** Removes the temporary folder; never throws (used on the failure path). */
export function removePartialDir(partial: string): string | null {
  try {
    rmSync(partial, { recursive: true, force: true, maxRetries: 3 });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Moves every file of `from` into `to` (same disk), replacing files of the same name; removes `from`. */
export function mergeInto(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      if (existsSync(dst) && !statSync(dst).isDirectory()) rmSync(dst, { force: true });
      if (!existsSync(dst)) {
        renameSync(src, dst);
        continue;
      }
      mergeInto(src, dst);
    } else {
      if (existsSync(dst) && statSync(dst).isDirectory()) {
        throw new Error(`cannot merge: ${dst} is a folder in the destination but a file in the export`);
      }
      renameSync(src, dst);
    }
  }
  rmSync(from, { recursive: true, force: true });
}

/**
 * Publishes the finished temporary folder: a single rename when the destination
 * does not exist (atomic: readers see nothing or everything), else a merge.
 */
export function publishPartial(partial: string, destination: string, merge: boolean): void {
  if (!existsSync(destination)) {
    renameSync(partial, destination);
    return;
  }
  if (!merge) throw new ExportRefusedError(`export destination ${destination} appeared during the export; not overwritten`);
  mergeInto(partial, destination);
}
