/** Temporary folders and databases for tests: real files, removed afterwards. */
import { afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../main/store/database.js';

/** A fresh temporary folder; `cleanup()` removes it. */
export function tempDir(prefix = 'pf-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A migrated database in a temporary folder (WAL needs a real file). */
export function tempDb(): { db: Db; dir: string; file: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('pf-db-');
  const file = join(dir, 'test.sqlite');
  const db = openDb(file);
  return {
    db,
    dir,
    file,
    cleanup: () => {
      if (db.open) db.close();
      cleanup();
    },
  };
}

/**
 * Fresh workspace databases for the tests of a file: each call opens one, and
 * every database opened during a test is closed and removed after it.
 */
export function tempDbPerTest(): () => ReturnType<typeof tempDb> {
  const opened: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of opened.splice(0)) cleanup();
  });
  return () => {
    const t = tempDb();
    opened.push(t.cleanup);
    return t;
  };
}
