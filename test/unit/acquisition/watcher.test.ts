import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationEvent } from '../../../preload/api.js';
import { AcquisitionWatcher, type WatcherOptions } from '../../../main/acquisition/watcher.js';
import { EventBus } from '../../../main/common/event-bus.js';
import { closeDb, openWorkspaceDb, type Db } from '../../../main/store/database.js';
import { countErrors } from '../../../main/store/queries/errors.js';
import { getRunByRoot } from '../../../main/store/queries/runs.js';
import { frameTiff, put, timingPath } from '../../helpers/acquisition.js';
import { brokenTiff, writeSlowly } from '../../helpers/tiff-fixtures.mjs';
import { tempDir } from '../../helpers/workspace.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Polls `check` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(options: WatcherOptions = {}): { acq: string; db: Db; events: StationEvent[]; watcher: AcquisitionWatcher } {
  const t = tempDir('pf-watch-');
  const acq = join(t.dir, 'acq');
  mkdirSync(acq);
  const db = openWorkspaceDb(join(t.dir, 'ws'));
  const bus = new EventBus();
  const events: StationEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const watcher = new AcquisitionWatcher(db, acq, { stableMs: 150, settleMs: 800, rescanMs: 1000, bus, ...options });
  cleanups.push(async () => {
    await watcher.stop();
    closeDb(db);
    t.cleanup();
  });
  return { acq, db, events, watcher };
}

function frames(db: Db): { path: string; size: number; mtimeMs: number }[] {
  return db.prepare<[], { path: string; size: number; mtimeMs: number }>('SELECT path, size, mtime_ms AS mtimeMs FROM frame ORDER BY path').all();
}

describe.each([
  { mode: 'change notifications', poll: false },
  { mode: 'polling', poll: true },
])('AcquisitionWatcher ($mode)', ({ poll }) => {
  it('ingests frames written while it runs, each once and only when complete', async () => {
    const { acq, db, events, watcher } = start({ poll, rescanMs: poll ? 200 : 1000 });
    await watcher.start();
    expect(watcher.status().layout).toBeNull(); // empty folder: waiting for frames
    const written: string[] = [];
    for (let t = 1; t <= 4; t++) {
      for (let w = 1; w <= 3; w++) {
        const rel = timingPath(1, w, t);
        written.push(rel);
        const bytes = frameTiff(w * 10 + t, { width: 64, height: 64, order: (w + t) % 2 ? 'ifd-first' : 'data-first' });
        // Slow writers: chunks faster than the stability window, and a stall longer than it
        // (size stable across two checks, TIFF still incomplete: only the probe can tell).
        if (w === 2) await writeSlowly(join(acq, rel), bytes, 4, 60);
        else if (w === 3 && t % 2 === 0) await writeSlowly(join(acq, rel), bytes, 2, 500);
        else put(acq, rel, bytes);
      }
    }
    put(acq, 'B1/images/crops_8bit_s/session.log', 'log');
    await until('12 frames', () => frames(db).length === 12);
    await until('ignored file counted', () => getRunByRoot(db, acq)?.ignoredFiles === 1);
    const rows = frames(db);
    expect(rows.map((r) => r.path).sort()).toEqual(written.sort());
    for (const r of rows) {
      const st = statSync(join(acq, r.path));
      expect({ path: r.path, size: r.size, mtimeMs: r.mtimeMs }, 'ingested before it was complete').toEqual({
        path: r.path,
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
    }
    expect(events.filter((e) => e.type === 'frame-ingested')).toHaveLength(12);
    const status = watcher.status();
    expect(status).toMatchObject({ layout: 'timing', state: 'watching', notifications: !poll });
    expect(status.counters).toMatchObject({ ingested: 12, ignored: 1, errors: 0 });
    expect(status.progress).toMatchObject({ done: 12, total: 12, etaSeconds: 0 });
  });

  it('records a corrupt frame once and keeps going; reports a vanished folder once and recovers', async () => {
    const { acq, db, events, watcher } = start({ poll, rescanMs: 200 });
    put(acq, timingPath(1, 1, 1), frameTiff(1));
    await watcher.start();
    put(acq, timingPath(1, 1, 2), brokenTiff('truncated', 2));
    put(acq, timingPath(1, 1, 3), frameTiff(3));
    await until('2 frames and 1 error', () => frames(db).length === 2 && countErrors(db) === 1);
    await new Promise((r) => setTimeout(r, 600)); // several rescans over the corrupt file
    expect(countErrors(db)).toBe(1);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);

    renameSync(acq, `${acq}.unmounted`);
    await until('waiting-for-root', () => watcher.status().state === 'waiting-for-root');
    await new Promise((r) => setTimeout(r, 600));
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[1]!.type === 'error' && errors[1]!.entry.message).toMatch(/acquisition folder .* is not reachable/);

    renameSync(`${acq}.unmounted`, acq);
    put(acq, timingPath(1, 2, 1), frameTiff(4));
    await until('frame written after the folder came back', () => frames(db).length === 3);
    expect(watcher.status().state).toBe('watching');
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });
});

describe('AcquisitionWatcher restart', () => {
  it('skips what a previous watcher ingested and picks up what arrived in between', async () => {
    const t = tempDir('pf-watch-restart-');
    cleanups.push(t.cleanup);
    const acq = join(t.dir, 'acq');
    const ws = join(t.dir, 'ws');
    for (let k = 1; k <= 5; k++) put(acq, timingPath(1, 1, k), frameTiff(k));
    let db = openWorkspaceDb(ws);
    let watcher = new AcquisitionWatcher(db, acq, { stableMs: 100 });
    await watcher.start();
    await until('5 frames', () => frames(db).length === 5);
    await watcher.stop();
    closeDb(db);

    for (let k = 6; k <= 8; k++) put(acq, timingPath(1, 1, k), frameTiff(k));
    db = openWorkspaceDb(ws);
    const events: StationEvent[] = [];
    const bus = new EventBus();
    bus.subscribe((e) => events.push(e));
    watcher = new AcquisitionWatcher(db, acq, { stableMs: 100, bus });
    await watcher.start();
    await until('8 frames', () => frames(db).length === 8);
    await watcher.stop();
    expect(events.filter((e) => e.type === 'frame-ingested').map((e) => e.type === 'frame-ingested' && e.t).sort()).toEqual([6, 7, 8]);
    closeDb(db);
  });
});
