/**
 * Frames: one row per (file, page) ingested from an acquisition, keyed in its
 * nanowell by (t, channel). Inserts come in batches, one transaction each.
 */
import type { FrameState } from '../../common/domain.js';
import { nowIso, preparedOnce, type Db } from '../database.js';
import { ensureNanowell } from './nanowells.js';

export const FRAME_STATES: readonly FrameState[] = ['pending', 'in_focus', 'oof', 'restored', 'failed'];

/** A frame's time point and channel, and its source: file, page and pixel format. */
export interface FrameFile {
  t: number;
  channel: string;
  /** Relative to the run's root, '/' separators. */
  path: string;
  page: number;
  width: number;
  height: number;
  bits: number;
}

export interface FrameRow extends FrameFile {
  id: number;
  nanowellId: number;
  size: number;
  mtimeMs: number;
  state: FrameState;
  ingestedAt: string;
}

/** A frame to ingest; its nanowell (block, well) is created on demand. */
export interface NewFrame extends FrameFile {
  runId: number;
  block: string;
  well: string;
  size: number;
  mtimeMs: number;
}

export type InsertOutcome =
  | { status: 'inserted'; frameId: number; wellId: number }
  /** This (path, page) is already a frame of the nanowell. */
  | { status: 'known'; frameId: number; wellId: number }
  /** Another file already holds this nanowell's (t, channel). */
  | { status: 'duplicate'; frameId: number; wellId: number; existingPath: string };

/** What the database knows of one source file: its pages and the file state when ingested. */
export interface KnownFile {
  pages: Set<number>;
  size: number;
  mtimeMs: number;
}

const COLUMNS = `id, nanowell_id AS nanowellId, t, channel, path, page, width, height, bits, size,
  mtime_ms AS mtimeMs, state, ingested_at AS ingestedAt`;

const stmts = preparedOnce((db) => ({
  insert: db.prepare<[number, number, string, string, number, number, number, number, number, number, string]>(
    `INSERT INTO frame (nanowell_id, t, channel, path, page, width, height, bits, size, mtime_ms, ingested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  ),
  bySlot: db.prepare<[number, number, string], { id: number; path: string; page: number }>(
    `SELECT id, path, page FROM frame WHERE nanowell_id = ? AND t = ? AND channel = ?`,
  ),
  byPath: db.prepare<[string, number, number], { id: number }>(
    `SELECT id FROM frame WHERE path = ? AND page = ? AND nanowell_id = ?`,
  ),
  byId: db.prepare<[number], FrameRow>(`SELECT ${COLUMNS} FROM frame WHERE id = ?`),
  known: db.prepare<[number], { path: string; page: number; size: number; mtimeMs: number }>(
    `SELECT f.path, f.page, f.size, f.mtime_ms AS mtimeMs
       FROM frame f JOIN nanowell n ON n.id = f.nanowell_id WHERE n.run_id = ?`,
  ),
  statesOfRun: db.prepare<[number], { state: FrameState; n: number }>(
    `SELECT f.state, count(*) AS n FROM frame f JOIN nanowell n ON n.id = f.nanowell_id
      WHERE n.run_id = ? GROUP BY f.state`,
  ),
  statesAll: db.prepare<[], { state: FrameState; n: number }>(`SELECT state, count(*) AS n FROM frame GROUP BY state`),
  countOfRun: db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM frame f JOIN nanowell n ON n.id = f.nanowell_id WHERE n.run_id = ?`,
  ),
  countAll: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM frame`),
}));

/**
 * Inserts frames in one transaction, creating their nanowells as needed.
 * Returns one outcome per input, in order; re-inserting a known (path, page)
 * is a no-op ('known'), so ingest stays idempotent across restarts.
 */
export function insertFrames(db: Db, frames: readonly NewFrame[]): InsertOutcome[] {
  const s = stmts(db);
  const at = nowIso();
  return db.transaction(() =>
    frames.map((f): InsertOutcome => {
      const wellId = ensureNanowell(db, f.runId, { block: f.block, well: f.well });
      const info = s.insert.run(wellId, f.t, f.channel, f.path, f.page, f.width, f.height, f.bits, f.size, f.mtimeMs, at);
      if (info.changes === 1) return { status: 'inserted', frameId: Number(info.lastInsertRowid), wellId };
      const same = s.byPath.get(f.path, f.page, wellId);
      if (same) return { status: 'known', frameId: same.id, wellId };
      const slot = s.bySlot.get(wellId, f.t, f.channel)!;
      return { status: 'duplicate', frameId: slot.id, wellId, existingPath: slot.path };
    }),
  )();
}

/** Every source file of a run the database holds frames of: path → pages, size, mtime. */
export function knownFiles(db: Db, runId: number): Map<string, KnownFile> {
  const out = new Map<string, KnownFile>();
  for (const row of stmts(db).known.iterate(runId)) {
    const entry = out.get(row.path);
    if (entry) {
      entry.pages.add(row.page);
      // A stack grows: keep the state of the file when its latest page was ingested.
      if (row.size > entry.size) {
        entry.size = row.size;
        entry.mtimeMs = row.mtimeMs;
      }
    } else {
      out.set(row.path, { pages: new Set([row.page]), size: row.size, mtimeMs: row.mtimeMs });
    }
  }
  return out;
}

export function getFrame(db: Db, id: number): FrameRow | undefined {
  return stmts(db).byId.get(id);
}

/** Frame count per state (every state present, zeros included), for one run or all. */
export function countFramesByState(db: Db, runId?: number): Record<FrameState, number> {
  const s = stmts(db);
  const rows = runId === undefined ? s.statesAll.all() : s.statesOfRun.all(runId);
  const out = Object.fromEntries(FRAME_STATES.map((k) => [k, 0])) as Record<FrameState, number>;
  for (const r of rows) out[r.state] = r.n;
  return out;
}

/** Number of frames of a run, or of the whole workspace. */
export function countFrames(db: Db, runId?: number): number {
  return runId === undefined ? stmts(db).countAll.get()!.n : stmts(db).countOfRun.get(runId)!.n;
}
