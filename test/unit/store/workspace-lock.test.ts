import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, WorkspaceBusyError, acquireWorkspaceLock, readOwner } from '../../../main/store/workspace-lock.js';

const workspace = () => mkdtempSync(join(tmpdir(), 'pf-lock-'));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('workspace lock', () => {
  it('writes its owner, refuses a second holder naming the first, and frees the workspace on release', () => {
    const ws = workspace();
    const lock = acquireWorkspaceLock(ws, 'station');
    const owner = readOwner(join(ws, LOCK_FILE));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), role: 'station' });
    let busy: unknown;
    try {
      acquireWorkspaceLock(ws, 'process');
    } catch (err) {
      busy = err;
    }
    expect(busy).toBeInstanceOf(WorkspaceBusyError);
    expect((busy as Error).message).toContain(`in use by another PostFocus station (pid ${process.pid} on ${hostname()}`);
    lock.release();
    lock.release();
    expect(existsSync(join(ws, LOCK_FILE))).toBe(false);
    acquireWorkspaceLock(ws, 'process').release();
  });

  it('takes over the lock of a process that died without releasing it', () => {
    const ws = workspace();
    const pid = deadPid();
    writeFileSync(join(ws, LOCK_FILE), JSON.stringify({ pid, host: hostname(), role: 'watch', startedAt: 'x', token: 'dead' }));
    const lock = acquireWorkspaceLock(ws, 'station');
    expect(readOwner(join(ws, LOCK_FILE))?.pid).toBe(process.pid);
    lock.release();
  });

  it('never breaks a lock held from another host (a shared workspace on a network disk)', () => {
    const ws = workspace();
    writeFileSync(join(ws, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'other-station', role: 'station', startedAt: 'x', token: 't' }));
    expect(() => acquireWorkspaceLock(ws, 'station')).toThrow(/on other-station/);
  });

  it('treats a fresh unreadable lock as busy and an old one as stale', () => {
    const ws = workspace();
    const path = join(ws, LOCK_FILE);
    writeFileSync(path, '{"pid":');
    expect(() => acquireWorkspaceLock(ws, 'station')).toThrow(WorkspaceBusyError);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    acquireWorkspaceLock(ws, 'station').release();
  });

  it('leaves a lock that another holder took over in place on release', () => {
    const ws = workspace();
    const path = join(ws, LOCK_FILE);
    const lock = acquireWorkspaceLock(ws, 'station');
    const other = JSON.stringify({ pid: process.pid, host: hostname(), role: 'process', startedAt: 'y', token: 'someone-else' });
    writeFileSync(path, other);
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe(other);
  });
});
