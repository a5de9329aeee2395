/**
 * Error log: problems met while ingesting, processing or exporting. A file's
 * error is recorded once per (run, source, path) by the `error_log_path_once`
 * unique index, so a watcher rescanning a corrupt file does not flood the log.
 */
import type { ErrorEntry } from '../../common/domain.js';
import { nowIso, preparedOnce, type Db } from '../database.js';

export interface NewError {
  runId?: number | null;
  frameId?: number | null;
  /** ingest | watcher | classify | restore | model | export | ipc */
  source: string;
  /** File concerned, relative to the run root when inside it. */
  path?: string | null;
  message: string;
}

export interface ErrorRow extends ErrorEntry {
  runId: number | null;
  frameId: number | null;
}

const COLUMNS = `id, run_id AS runId, frame_id AS frameId, source, path, message, at`;

const stmts = preparedOnce((db) => ({
  insert: db.prepare<[number | null, number | null, string, string | null, string, string]>(
    `INSERT INTO error_log (run_id, frame_id, source, path, message, at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ),
  byId: db.prepare<[number], ErrorRow>(`SELECT ${COLUMNS} FROM error_log WHERE id = ?`),
  page: db.prepare<[number, number], ErrorRow>(`SELECT ${COLUMNS} FROM error_log WHERE id < ? ORDER BY id DESC LIMIT ?`),
  pageOfRun: db.prepare<[number, number, number], ErrorRow>(
    `SELECT ${COLUMNS} FROM error_log WHERE run_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  ),
  paths: db.prepare<[number, string], { path: string }>(
    `SELECT path FROM error_log WHERE run_id = ? AND source = ? AND path IS NOT NULL`,
  ),
  count: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM error_log`),
  ofSource: db.prepare<[string, number], ErrorRow>(`SELECT ${COLUMNS} FROM error_log WHERE source = ? ORDER BY id DESC LIMIT ?`),
  countOfRun: db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM error_log WHERE run_id = ?`),
}));

/**
 * Records an error; returns the new entry, or null when this (run, source,
 * path) was already recorded (a file's error is logged once).
 */
export function recordError(db: Db, error: NewError): ErrorRow | null {
  const s = stmts(db);
  const info = s.insert.run(
    error.runId ?? null,
    error.frameId ?? null,
    error.source,
    error.path ?? null,
    error.message,
    nowIso(),
  );
  return info.changes === 1 ? s.byId.get(Number(info.lastInsertRowid))! : null;
}

/** Latest errors first; page with `beforeId` (the smallest id of the previous page). */
export function listErrors(db: Db, options: { limit: number; beforeId?: number; runId?: number }): ErrorRow[] {
  const s = stmts(db);
  const before = options.beforeId ?? Number.MAX_SAFE_INTEGER;
  return options.runId === undefined
    ? s.page.all(before, options.limit)
    : s.pageOfRun.all(options.runId, before, options.limit);
}

/** Latest rows of one source (e.g. 'ignored': entries never read, with the reason). */
export function listErrorsOfSource(db: Db, source: string, limit: number): ErrorRow[] {
  return stmts(db).ofSource.all(source, limit);
}

/** Paths of a run that already have an error of this source. */
export function erroredPaths(db: Db, runId: number, source: string): Set<string> {
  return new Set(stmts(db).paths.all(runId, source).map((r) => r.path));
}

/** Number of errors, of one run or of the whole workspace. */
export function countErrors(db: Db, runId?: number): number {
  const s = stmts(db);
  return (runId === undefined ? s.count.get() : s.countOfRun.get(runId))!.n;
}

/** The DTO of the StationApi contract. */
export function toErrorEntry(row: ErrorRow): ErrorEntry {
  return { id: row.id, source: row.source, path: row.path, message: row.message, at: row.at };
}
