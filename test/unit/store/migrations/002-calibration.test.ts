import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../../../main/store/database.js';
import * as m001 from '../../../../main/store/migrations/001-initial.js';
import { tempDir } from '../../../helpers/workspace.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('migration 002-calibration', () => {
  it('upgrades a schema-1 workspace with frames, keeping them; labels, calibrations and guard events are append-only', () => {
    const tmp = tempDir('pf-m002-');
    cleanup = tmp.cleanup;
    const file = join(tmp.dir, 'old.sqlite');
    const old = new Database(file);
    old.exec(m001.up);
    old.pragma('user_version = 1');
    old.exec(`INSERT INTO run (id, root, layout, created_at) VALUES (1, '/acq', 'timing', 'x');
      INSERT INTO nanowell (id, run_id, block, well, position) VALUES (1, 1, '1', 'w', 1);
      INSERT INTO frame (id, nanowell_id, t, path, width, height, bits, size, mtime_ms, ingested_at)
        VALUES (1, 1, 1, 'a.tif', 8, 8, 8, 100, 1, 'x');`);
    old.close();

    const db = openDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
      expect(db.prepare('SELECT count(*) AS n FROM frame').get()).toEqual({ n: 1 });
      db.prepare(`INSERT INTO focus_label (frame_id, label, who, at) VALUES (1, 'oof', 'ana', 'now')`).run();
      expect(() => db.prepare(`UPDATE focus_label SET label = 'in_focus'`).run()).toThrow(/append-only/);
      expect(() => db.prepare(`DELETE FROM focus_label`).run()).toThrow(/append-only/);
      expect(() => db.prepare(`INSERT INTO focus_label (frame_id, label, who, at) VALUES (1, 'maybe', 'ana', 'now')`).run()).toThrow(/CHECK/);
      db.prepare(`INSERT INTO calibration (who, source, classifier_id, classifier_sha256, n_in_focus, n_oof, fit, labels, at)
        VALUES ('ana', 'app', 'clf', 'abc', 1, 1, '{}', '[]', 'now')`).run();
      expect(() => db.prepare(`DELETE FROM calibration`).run()).toThrow(/append-only/);
      db.prepare(`INSERT INTO guard_event (run_id, kind, reason, at) VALUES (1, 'trip', 'r', 'now')`).run();
      expect(() => db.prepare(`UPDATE guard_event SET who = 'x'`).run()).toThrow(/append-only/);
      db.prepare(`INSERT INTO guard_state (run_id, state, updated_at) VALUES (1, 'tripped', 'now')`).run();
      expect(db.prepare('SELECT run_id FROM restore_held_run').all()).toEqual([{ run_id: 1 }]);
      db.prepare(`UPDATE guard_state SET state = 'released'`).run();
      expect(db.prepare('SELECT run_id FROM restore_held_run').all()).toEqual([]);
      migrate(db); // idempotent
    } finally {
      db.close();
    }
  });
});
