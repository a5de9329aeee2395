import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeDb,
  DATABASE_FILE,
  openDb,
  openWorkspaceDb,
  preparedOnce,
  WorkspaceError,
  type Db,
} from '../../../main/store/database.js';
import { latestSchemaVersion, migrations } from '../../../main/store/migrations/index.js';
import { tempDir } from '../../helpers/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function fresh(): { dir: string } {
  const t = tempDir('pf-store-');
  cleanups.push(t.cleanup);
  return t;
}

function tables(db: Db): string[] {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .all()
    .map((r) => r.name);
}

function seedFrame(db: Db): number {
  const run = db.prepare(`INSERT INTO run (root, layout, created_at) VALUES ('/acq', 'timing', 'now')`).run();
  const well = db
    .prepare(`INSERT INTO nanowell (run_id, block, well, position) VALUES (?, '1', 'w1', 1)`)
    .run(run.lastInsertRowid);
  const frame = db
    .prepare(
      `INSERT INTO frame (nanowell_id, t, path, width, height, bits, size, mtime_ms, ingested_at)
       VALUES (?, 1, 'a.tif', 8, 8, 8, 100, 1, 'now')`,
    )
    .run(well.lastInsertRowid);
  return Number(frame.lastInsertRowid);
}

describe('openWorkspaceDb / openDb', () => {
  it('migrates a fresh database to the latest schema with every table of the design', () => {
    const { dir } = fresh();
    const db = openWorkspaceDb(dir);
    try {
      expect(existsSync(join(dir, DATABASE_FILE))).toBe(true);
      expect(db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion);
      expect(latestSchemaVersion).toBe(migrations.length);
      for (const t of ['run', 'nanowell', 'frame', 'classification', 'restoration', 'attempt', 'decision', 'export', 'error_log']) {
        expect(tables(db), `table ${t} missing after migration`).toContain(t);
      }
    } finally {
      closeDb(db);
    }
  });

  it('applies each migration once: reopening an up-to-date database changes nothing', () => {
    const { dir } = fresh();
    closeDb(openWorkspaceDb(dir));
    const db = openWorkspaceDb(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion);
    closeDb(db);
  });

  it('runs in WAL mode with foreign keys on', () => {
    const { dir } = fresh();
    const db = openWorkspaceDb(dir);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(() =>
        db.prepare(`INSERT INTO nanowell (run_id, block, well, position) VALUES (999, '1', 'w', 0)`).run(),
      ).toThrow(/FOREIGN KEY/);
    } finally {
      closeDb(db);
    }
  });

  it('refuses a database written by a newer app with a clear error', () => {
    const { dir } = fresh();
    const file = join(dir, 'future.sqlite');
    const db = openDb(file);
    db.pragma(`user_version = ${latestSchemaVersion + 1}`);
    db.close();
    expect(() => openDb(file)).toThrow(WorkspaceError);
    expect(() => openDb(file)).toThrow(/newer PostFocus Station .*schema \d+.*update the app/);
  });

  it('refuses to migrate a database opened read-only', () => {
    const { dir } = fresh();
    const file = join(dir, 'old.sqlite');
    writeFileSync(file, '');
    expect(() => openDb(file, { readonly: true })).toThrow(/needs migration but was opened read-only/);
  });

  it('keeps decisions append-only (no UPDATE, no DELETE)', () => {
    const { dir } = fresh();
    const db = openWorkspaceDb(dir);
    try {
      const frameId = seedFrame(db);
      const id = db
        .prepare(`INSERT INTO decision (frame_id, verdict, reviewer, at) VALUES (?, 'accept', 'ana', 'now')`)
        .run(frameId).lastInsertRowid;
      expect(() => db.prepare(`UPDATE decision SET verdict = 'reject' WHERE id = ?`).run(id)).toThrow(/append-only/);
      expect(() => db.prepare(`DELETE FROM decision WHERE id = ?`).run(id)).toThrow(/append-only/);
      expect(db.prepare(`SELECT verdict FROM decision WHERE id = ?`).get(id)).toEqual({ verdict: 'accept' });
    } finally {
      closeDb(db);
    }
  });

  it('reports a workspace on a disk it cannot write to', () => {
    // Root ignores permission bits, so use a file system that refuses folders (sysfs) there.
    let target: string;
    if (process.getuid?.() === 0) {
      target = '/sys/postfocus-test-workspace';
    } else {
      const { dir } = fresh();
      chmodSync(dir, 0o555);
      cleanups.push(() => chmodSync(dir, 0o755));
      target = join(dir, 'ws');
    }
    expect(() => openWorkspaceDb(target)).toThrow(WorkspaceError);
    expect(() => openWorkspaceDb(target)).toThrow(/is not writable .*choose a workspace folder on a writable disk/);
  });

  it('closeDb closes once and tolerates a second call', () => {
    const { dir } = fresh();
    const db = openWorkspaceDb(dir);
    closeDb(db);
    expect(db.open).toBe(false);
    expect(() => closeDb(db)).not.toThrow();
  });
});

describe('preparedOnce', () => {
  it('prepares once per connection and separately for each connection', () => {
    const { dir } = fresh();
    let prepared = 0;
    const stmts = preparedOnce((db) => {
      prepared++;
      return { one: db.prepare<[], { v: number }>('SELECT 1 AS v') };
    });
    const a = openDb(join(dir, 'a.sqlite'));
    const b = openDb(join(dir, 'b.sqlite'));
    try {
      expect(stmts(a).one.get()).toEqual({ v: 1 });
      expect(stmts(a)).toBe(stmts(a));
      stmts(b);
      expect(prepared).toBe(2);
    } finally {
      closeDb(a);
      closeDb(b);
    }
  });
});
