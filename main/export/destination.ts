/**
 * Destination handling of the export: refusals (inside an acquisition folder or
 * the workspace, already existing without merge), the temporary
 * `<dest>.partial-<pid>` folder next to the destination, and its atomic
 * publication (one rename) or, with merge, file-by-file placement into the
 * existing destination.
 *
 * An export never deletes or overwrites a file it did not write: every export
 * leaves `export-files.json` (each file it wrote, with its sha256), and a merge
 * replaces only files listed there and unchanged since; anything else in the
 * way is a conflict that refuses the merge, naming the files, before any file
 * of the destination is touched.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isSameOrInside, realPathOf } from '../acquisition/location.js';
import { MANIFEST_CSV, MANIFEST_JSON, readManifestRows } from './manifest.js';

export class ExportRefusedError extends Error {
  override name = 'ExportRefusedError';
}

/** The destination exists and merging was not asked for (the UI then offers to merge). */
export const DESTINATION_EXISTS = 'already exists';

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
  // The workspace is the station's own (its database, derived images, caches): an export there would be mixed with them.
  if (isSameOrInside(dest, ws)) {
    throw new ExportRefusedError(
      `export destination ${destination} is inside the workspace ${opts.workspace}; choose a folder outside the workspace`,
    );
  }
  if (existsSync(dest)) {
    if (!statSync(dest).isDirectory()) {
      throw new ExportRefusedError(`export destination ${destination} exists and is not a folder`);
    }
    if (!opts.merge) {
      throw new ExportRefusedError(
        `export destination ${destination} ${DESTINATION_EXISTS}; choose a new folder, or merge into it ` +
          `(a merge adds and replaces only files an export wrote; anything else in the way refuses it)`,
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

/** File (at the destination root) listing every file an export wrote, with its sha256. */
export const WRITTEN_FILES = 'export-files.json';

interface WrittenFilesDoc {
  version: 1;
  /** POSIX path relative to the destination → sha256 (hex) of the bytes written. */
  files: Record<string, string>;
}

function sha256OfFile(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every file under `dir` (POSIX paths relative to it), sorted; symlinks are listed as files (never followed). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), rel);
      else out.push(rel);
    }
  };
  walk(dir, '');
  return out.sort();
}

/**
 * Files of an earlier export into `destination` that a merge may replace:
 * those listed in its `export-files.json` (with their sha256). An export made
 * before that list existed is recognised by its manifest (rows with sha256, and
 * the manifest files themselves).
 */
export function filesWrittenBefore(destination: string): Map<string, string | null> {
  const owned = new Map<string, string | null>();
  const listFile = join(destination, WRITTEN_FILES);
  if (existsSync(listFile)) {
    let doc: Partial<WrittenFilesDoc>;
    try {
      doc = JSON.parse(readFileSync(listFile, 'utf8')) as Partial<WrittenFilesDoc>;
    } catch (err) {
      throw new ExportRefusedError(`cannot merge: ${listFile} is not valid JSON (${(err as Error).message})`);
    }
    for (const [rel, sha] of Object.entries(doc.files ?? {})) if (typeof sha === 'string') owned.set(rel, sha);
    owned.set(WRITTEN_FILES, null);
    return owned;
  }
  if (!existsSync(join(destination, MANIFEST_JSON))) return owned;
  for (const row of readManifestRows(destination)) {
    if (typeof row.outputPath === 'string' && typeof row.outputSha256 === 'string') owned.set(row.outputPath, row.outputSha256);
  }
  for (const name of [MANIFEST_JSON, MANIFEST_CSV, 'summary.json', 'report.html']) owned.set(name, null);
  return owned;
}

/**
 * Writes `export-files.json` into the finished temporary folder: every file in
 * it (sha256 from `known` where the export already computed it), plus — when
 * merging — the earlier export's files that are still in the destination
 * unchanged and not replaced now.
 */
export function writeWrittenFiles(partial: string, known: ReadonlyMap<string, string>, mergeFrom?: string): void {
  const files: Record<string, string> = {};
  if (mergeFrom) {
    for (const [rel, sha] of filesWrittenBefore(mergeFrom)) {
      if (sha === null || rel === WRITTEN_FILES) continue;
      const file = join(mergeFrom, ...rel.split('/'));
      if (existsSync(file) && lstatSync(file).isFile() && sha256OfFile(file) === sha) files[rel] = sha;
    }
  }
  for (const rel of filesUnder(partial)) files[rel] = known.get(rel) ?? sha256OfFile(join(partial, ...rel.split('/')));
  const doc: WrittenFilesDoc = { version: 1, files };
  writeFileSync(join(partial, WRITTEN_FILES), JSON.stringify(doc, null, 1) + '\n');
}

/**
 * What a merge of `partial` into `destination` would overwrite or delete that
 * an export did not write (or that changed since): one line per conflict.
 */
export function mergeConflicts(partial: string, destination: string): string[] {
  const owned = filesWrittenBefore(destination);
  const conflicts: string[] = [];
  const blockedFolders = new Set<string>();
  for (const rel of filesUnder(partial)) {
    const parts = rel.split('/');
    // A file (or link) of the destination where the export needs a folder.
    let blocked = false;
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      const p = join(destination, ...parts.slice(0, i));
      const info = lstatSafe(p);
      if (info && !info.isDirectory()) {
        if (!blockedFolders.has(folder)) conflicts.push(`${folder} (a file where the export puts a folder)`);
        blockedFolders.add(folder);
        blocked = true;
        break;
      }
      if (!info) break;
    }
    if (blocked) continue;
    const dst = join(destination, ...parts);
    const info = lstatSafe(dst);
    if (!info) continue;
    if (!info.isFile()) {
      conflicts.push(`${rel} (${info.isDirectory() ? 'a folder' : 'not a regular file'} where the export puts a file)`);
      continue;
    }
    if (!owned.has(rel)) {
      conflicts.push(`${rel} (not written by an export)`);
      continue;
    }
    const sha = owned.get(rel);
    if (sha && sha256OfFile(dst) !== sha) conflicts.push(`${rel} (changed since the export wrote it)`);
  }
  return conflicts;
}

function lstatSafe(p: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** The refusal of a merge with conflicts, naming the first few. */
export function conflictError(destination: string, conflicts: readonly string[]): ExportRefusedError {
  const shown = conflicts.slice(0, 10).map((c) => `  ${c}`).join('\n');
  const more = conflicts.length > 10 ? `\n  … and ${conflicts.length - 10} more` : '';
  return new ExportRefusedError(
    `cannot merge into ${destination}: ${conflicts.length} file${conflicts.length === 1 ? '' : 's'} in the way that no export wrote ` +
      `(or that changed since); nothing was written. Move them away or choose a new folder:\n${shown}${more}`,
  );
}

/**
 * Moves every file of `from` into `to` (same disk), replacing only files an
 * earlier export wrote; removes `from`. Refuses (touching nothing) on any conflict.
 */
export function mergeInto(from: string, to: string): void {
  const conflicts = mergeConflicts(from, to);
  if (conflicts.length) throw conflictError(to, conflicts);
  moveFiles(from, to);
  rmSync(from, { recursive: true, force: true });
}

function moveFiles(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      if (!existsSync(dst)) {
        renameSync(src, dst);
        continue;
      }
      moveFiles(src, dst);
    } else {
      renameSync(src, dst);
    }
  }
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
