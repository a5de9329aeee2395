/**
 * One processing station per workspace. A process that ingests, classifies or
 * restores holds `postfocus.lock` in the workspace folder (created with O_EXCL,
 * JSON owner inside). A second station on the same workspace would otherwise
 * close the first one's in-flight attempts and restore the same frames twice.
 * Reviewing needs no lock (SQLite WAL serialises the decision writes).
 *
 * A lock whose process is gone (same host, pid not alive) or whose file stayed
 * unreadable past STALE_UNREADABLE_MS is taken over; a lock held from another
 * host (a network share) is never broken automatically.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WorkspaceError } from './database.js';

export const LOCK_FILE = 'postfocus.lock';

/** An unreadable lock file (a writer died between create and write) older than this is stale. */
const STALE_UNREADABLE_MS = 5000;

export interface LockOwner {
  pid: number;
  host: string;
  /** What holds it, e.g. "station", "process", "watch". */
  role: string;
  startedAt: string;
  token: string;
}

export class WorkspaceBusyError extends WorkspaceError {
  constructor(
    readonly workspace: string,
    readonly owner: LockOwner,
  ) {
    super(
      `workspace ${workspace} is in use by another PostFocus ${owner.role} (pid ${owner.pid} on ${owner.host}, ` +
        `since ${owner.startedAt}): stop that one first, or use another workspace`,
    );
    this.name = 'WorkspaceBusyError';
  }
}

export class WorkspaceLock {
  private held = true;
  private readonly onExit = () => this.release();

  constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {
    process.once('exit', this.onExit);
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    const current = readOwner(this.path);
    if (current && current.token !== this.owner.token) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** Takes the workspace's processing lock or throws WorkspaceBusyError naming the holder. */
export function acquireWorkspaceLock(workspace: string, role: string): WorkspaceLock {
  const path = join(workspace, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    role,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, owner)) return new WorkspaceLock(path, owner);
    const holder = readOwner(path);
    if (holder === undefined) continue; // vanished between create and read: try again
    if (holder && !isStale(holder, owner.host)) throw new WorkspaceBusyError(workspace, holder);
    if (!holder && !unreadableIsStale(path)) {
      throw new WorkspaceBusyError(workspace, { pid: 0, host: 'unknown', role: 'station', startedAt: 'just now', token: '' });
    }
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first
    }
  }
  throw new WorkspaceError(`cannot take the workspace lock ${path}: it keeps changing (another station starting?)`);
}

/** The current holder, or null when the lock file exists but cannot be parsed, undefined when absent. */
export function readOwner(path: string): LockOwner | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') {
      return { pid: o.pid, host: o.host, role: String(o.role ?? 'station'), startedAt: String(o.startedAt ?? '?'), token: o.token };
    }
  } catch {
    // partial write
  }
  return null;
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WorkspaceError(`cannot create the workspace lock ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function isStale(holder: LockOwner, host: string): boolean {
  if (holder.host !== host) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function unreadableIsStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_UNREADABLE_MS;
  } catch {
    return true;
  }
}
