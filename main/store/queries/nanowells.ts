/**
 * Nanowells of a run, identified by (block, well) as the acquisition layout
 * names them; `position` is the display order within the run.
 */
import { preparedOnce, type Db } from '../database.js';

export interface NanowellRow {
  id: number;
  runId: number;
  block: string;
  well: string;
  position: number;
}

export interface NanowellKey {
  block: string;
  well: string;
}

const COLUMNS = `id, run_id AS runId, block, well, position`;

const stmts = preparedOnce((db) => ({
  byId: db.prepare<[number], NanowellRow>(`SELECT ${COLUMNS} FROM nanowell WHERE id = ?`),
  byKey: db.prepare<[number, string, string], { id: number }>(
    `SELECT id FROM nanowell WHERE run_id = ? AND block = ? AND well = ?`,
  ),
  insert: db.prepare<[number, string, string, number]>(
    `INSERT INTO nanowell (run_id, block, well, position) VALUES (?, ?, ?, ?)`,
  ),
  count: db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM nanowell WHERE run_id = ?`),
}));

/**
 * Display position of a well: the last number in its name (`imgNo012` → 12,
 * Micro-Manager position 7 → 7), so positions do not depend on the order in
 * which wells were first seen; 0 when the name has no digits.
 */
export function wellPosition(well: string): number {
  const digits = /(\d+)(?!.*\d)/.exec(well);
  return digits ? Math.min(Number(digits[1]), 2 ** 31 - 1) : 0;
}

/** Id of the nanowell (block, well) of a run, creating it when absent. */
export function ensureNanowell(db: Db, runId: number, key: NanowellKey): number {
  const s = stmts(db);
  const found = s.byKey.get(runId, key.block, key.well);
  if (found) return found.id;
  return Number(s.insert.run(runId, key.block, key.well, wellPosition(key.well)).lastInsertRowid);
}

export function getNanowell(db: Db, id: number): NanowellRow | undefined {
  return stmts(db).byId.get(id);
}

export function countNanowells(db: Db, runId: number): number {
  return stmts(db).count.get(runId)!.n;
}

/** Nanowell label shown to users and used in `data-well`: `B<block>-<well>`. */
export function wellLabel(block: string, well: string): string {
  return `B${block}-${well}`;
}
