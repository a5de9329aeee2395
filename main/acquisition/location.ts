/**
 * Where a workspace may live relative to the acquisition folder: never equal to
 * it, inside it (the acquisition is never written) or containing it (a
 * workspace's files mixed with the microscope's, and a watcher that would see
 * its own derived TIFFs). One check, used by every command that pairs a
 * workspace with an acquisition and by the station.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DATABASE_FILE } from '../store/database.js';

/** A workspace placed where it must not be, relative to an acquisition folder. */
export class WorkspaceLocationError extends Error {
  override name = 'WorkspaceLocationError';
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

/** Whether `child` is `parent` or lies inside it (compare real paths). */
export function isSameOrInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Throws {@link WorkspaceLocationError} when `workspace` is the acquisition
 * folder, lies inside it or contains it (real paths, so a symlink or `..` does
 * not hide it). Neither folder has to exist yet.
 */
export function checkWorkspaceLocation(workspace: string, acquisition: string): void {
  const ws = realPathOf(workspace);
  const acq = realPathOf(acquisition);
  if (ws === acq) {
    throw new WorkspaceLocationError(
      `workspace ${workspace} is the acquisition folder ${acquisition}; the acquisition is never written — choose a workspace folder outside it`,
    );
  }
  if (isSameOrInside(ws, acq)) {
    throw new WorkspaceLocationError(
      `workspace ${workspace} is inside the acquisition folder ${acquisition}; the acquisition is never written — choose a workspace folder outside it`,
    );
  }
  if (isSameOrInside(acq, ws)) {
    throw new WorkspaceLocationError(
      `workspace ${workspace} contains the acquisition folder ${acquisition}; choose a workspace folder that does not hold the acquisition`,
    );
  }
}

/**
 * The workspace folder `dir` is or lies in (a folder holding the workspace
 * database), or null. An acquisition written there (e.g. by `simulate`) would
 * put the microscope's files into a workspace.
 */
export function enclosingWorkspace(dir: string): string | null {
  let d = realPathOf(dir);
  for (;;) {
    if (existsSync(join(d, DATABASE_FILE))) return d;
    const parent = dirname(d);
    if (parent === d) return null;
    d = parent;
  }
}

/** Refuses an acquisition folder to be written inside a workspace (the `simulate` target). */
export function checkAcquisitionTarget(acquisition: string): void {
  const ws = enclosingWorkspace(acquisition);
  if (ws) {
    throw new WorkspaceLocationError(
      `acquisition folder ${acquisition} is inside the workspace ${ws}; write the acquisition outside every workspace`,
    );
  }
}
