/**
 * Runs: one acquisition root each, with the layout its files are read with
 * and the count of files seen that match no frame of the layout.
 */
import type { RunInfo } from '../../common/domain.js';
import { nowIso, preparedOnce, type Db } from '../database.js';

export interface RunRow {
  id: number;
  /** Absolute acquisition root (read-only to the station). */
  root: string;
  layout: string;
  pattern: string | null;
  /** JSON text. */
  settings: string;
  ignoredFiles: number;
  createdAt: string;
}

export interface NewRun {
  root: string;
  layout: string;
  pattern?: string | null;
  settings?: Record<string, unknown>;
}

const COLUMNS = `id, root, layout, pattern, settings, ignored_files AS ignoredFiles, created_at AS createdAt`;

const stmts = preparedOnce((db) => ({
  byId: db.prepare<[number], RunRow>(`SELECT ${COLUMNS} FROM run WHERE id = ?`),
  byRoot: db.prepare<[string], RunRow>(`SELECT ${COLUMNS} FROM run WHERE root = ?`),
  all: db.prepare<[], RunRow>(`SELECT ${COLUMNS} FROM run ORDER BY id`),
  insert: db.prepare<[string, string, string | null, string, string]>(
    `INSERT INTO run (root, layout, pattern, settings, created_at) VALUES (?, ?, ?, ?, ?)`,
  ),
  setLayout: db.prepare<[string, string | null, number]>(`UPDATE run SET layout = ?, pattern = ? WHERE id = ?`),
  setIgnored: db.prepare<[number, number]>(`UPDATE run SET ignored_files = ? WHERE id = ?`),
}));

/** The run of this absolute acquisition root, or undefined. */
export function getRunByRoot(db: Db, root: string): RunRow | undefined {
  return stmts(db).byRoot.get(root);
}

/** All runs, oldest first. */
export function listRuns(db: Db): RunRow[] {
  return stmts(db).all.all();
}

/** Creates a run; throws when a run of the same root exists. */
export function createRun(db: Db, run: NewRun): RunRow {
  const s = stmts(db);
  const info = s.insert.run(run.root, run.layout, run.pattern ?? null, JSON.stringify(run.settings ?? {}), nowIso());
  return s.byId.get(Number(info.lastInsertRowid))!;
}

/** Records the layout a run's files are read with (set once auto-detection has decided). */
export function setRunLayout(db: Db, id: number, layout: string, pattern: string | null): void {
  stmts(db).setLayout.run(layout, pattern, id);
}

/** Sets the run's ignored-file counter (a full rescan knows the exact number). */
export function setIgnoredFiles(db: Db, id: number, count: number): void {
  stmts(db).setIgnored.run(count, id);
}

/** The DTO of the StationApi contract. */
export function toRunInfo(row: RunRow): RunInfo {
  return { id: row.id, root: row.root, layout: row.layout, createdAt: row.createdAt, ignoredFiles: row.ignoredFiles };
}
