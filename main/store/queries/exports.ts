/**
 * Queries of the curated export: the frames of a nanowell with everything the
 * manifest records (classification before/after, restoration, decision in
 * force), a light pass over all frames for preview counts, and the `export`
 * table's lifecycle (running → done | failed).
 */
import type { FrameState, Verdict } from '../../common/domain.js';
import { nowIso, preparedOnce, type Db } from '../database.js';
import type { FrameFile } from './frames.js';

export interface ExportRunRow {
  id: number;
  root: string;
  layout: string;
  /** JSON text. */
  settings: string;
}

export interface ExportWellRow {
  id: number;
  runId: number;
  block: string;
  well: string;
  position: number;
}

/** One frame with its classification, restoration and decision in force (nulls when absent). */
/** Which model and sampler restored a frame (nulls when it was not restored), as exported rows carry it. */
export interface RestorationProvenance {
  restorationModelId: string | null;
  restorationModelSha256: string | null;
  sampler: string | null;
  steps: number | null;
  eta: number | null;
  ensemble: number | null;
}

export interface ExportFrameRow extends FrameFile, RestorationProvenance {
  frameId: number;
  wellId: number;
  bits: 8 | 16 | 32;
  state: FrameState;
  pOof: number | null;
  oof: 0 | 1 | null;
  classifierModelId: string | null;
  classifierModelSha256: string | null;
  tenenbaum: number | null;
  pOofAfter: number | null;
  restorationId: number | null;
  /** JSON text of an integer array. */
  seeds: string | null;
  /** Relative to the workspace. */
  meanPath: string | null;
  spreadMean: number | null;
  tenenbaumBefore: number | null;
  tenenbaumAfter: number | null;
  verdict: Verdict | null;
  reviewer: string | null;
  note: string | null;
  decidedAt: string | null;
}

/** The few columns the export policy needs, for a pass over every frame. */
export interface FrameFactsRow {
  frameId: number;
  wellId: number;
  t: number;
  channel: string;
  state: FrameState;
  oof: 0 | 1 | null;
  hasRestoration: 0 | 1;
  verdict: Verdict | null;
}

export type ExportStatus = 'running' | 'done' | 'failed';

export interface ExportRow {
  id: number;
  runId: number | null;
  destination: string;
  /** JSON text. */
  policy: string;
  status: ExportStatus;
  framesExported: number;
  framesExcluded: number;
  manifestSha256: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

// The decision in force is the row with the highest id of the frame (append-only
// table, index decision_frame (frame_id, id)).
const LATEST_DECISION = `LEFT JOIN decision d ON d.id = (SELECT MAX(id) FROM decision WHERE frame_id = f.id)`;

const FRAME_COLUMNS = `
  f.id AS frameId, f.nanowell_id AS wellId, f.t, f.channel, f.path, f.page, f.width, f.height, f.bits, f.state,
  co.p_oof AS pOof, co.oof, co.model_id AS classifierModelId, co.model_sha256 AS classifierModelSha256,
  co.tenenbaum, cr.p_oof AS pOofAfter,
  r.id AS restorationId, r.model_id AS restorationModelId, r.model_sha256 AS restorationModelSha256,
  r.sampler, r.steps, r.eta, r.ensemble, r.seeds, r.mean_path AS meanPath, r.spread_mean AS spreadMean,
  r.tenenbaum_before AS tenenbaumBefore, r.tenenbaum_after AS tenenbaumAfter,
  d.verdict, d.reviewer, d.note, d.at AS decidedAt`;

const EXPORT_COLUMNS = `id, run_id AS runId, destination, policy, status, frames_exported AS framesExported,
  frames_excluded AS framesExcluded, manifest_sha256 AS manifestSha256, error, started_at AS startedAt,
  finished_at AS finishedAt`;

const stmts = preparedOnce((db) => ({
  runs: db.prepare<[], ExportRunRow>(`SELECT id, root, layout, settings FROM run ORDER BY id`),
  wells: db.prepare<[], ExportWellRow>(
    `SELECT id, run_id AS runId, block, well, position FROM nanowell ORDER BY run_id, block, position, well, id`,
  ),
  wellFrames: db.prepare<[number], ExportFrameRow>(
    `SELECT ${FRAME_COLUMNS}
       FROM frame f
       LEFT JOIN classification co ON co.frame_id = f.id AND co.target = 'original'
       LEFT JOIN classification cr ON cr.frame_id = f.id AND cr.target = 'restored'
       LEFT JOIN restoration r ON r.frame_id = f.id
       ${LATEST_DECISION}
      WHERE f.nanowell_id = ?
      ORDER BY f.t, f.channel, f.id`,
  ),
  facts: db.prepare<[], FrameFactsRow>(
    `SELECT f.id AS frameId, f.nanowell_id AS wellId, f.t, f.channel, f.state, co.oof,
            (r.id IS NOT NULL) AS hasRestoration, d.verdict
       FROM frame f
       LEFT JOIN classification co ON co.frame_id = f.id AND co.target = 'original'
       LEFT JOIN restoration r ON r.frame_id = f.id
       ${LATEST_DECISION}
      ORDER BY f.nanowell_id, f.t, f.channel, f.id`,
  ),
  insert: db.prepare<[number | null, string, string, string]>(
    `INSERT INTO export (run_id, destination, policy, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
  ),
  done: db.prepare<[number, number, string, string, number]>(
    `UPDATE export SET status = 'done', frames_exported = ?, frames_excluded = ?, manifest_sha256 = ?,
            finished_at = ?, error = NULL
      WHERE id = ? AND status = 'running'`,
  ),
  failed: db.prepare<[number, number, string, string, number]>(
    `UPDATE export SET status = 'failed', frames_exported = ?, frames_excluded = ?, error = ?, finished_at = ?
      WHERE id = ? AND status = 'running'`,
  ),
  byId: db.prepare<[number], ExportRow>(`SELECT ${EXPORT_COLUMNS} FROM export WHERE id = ?`),
  all: db.prepare<[], ExportRow>(`SELECT ${EXPORT_COLUMNS} FROM export ORDER BY id`),
}));

/** Runs (acquisition roots and settings), oldest first. */
export function listExportRuns(db: Db): ExportRunRow[] {
  return stmts(db).runs.all();
}

/** Every nanowell, in run and display order. */
export function listExportWells(db: Db): ExportWellRow[] {
  return stmts(db).wells.all();
}

/** Frames of one nanowell in time order, with classification, restoration and decision in force. */
export function listWellExportFrames(db: Db, wellId: number): ExportFrameRow[] {
  return stmts(db).wellFrames.all(wellId);
}

/** Iterates over every frame's policy facts, grouped by nanowell then time (one row in memory at a time). */
export function iterateFrameFacts(db: Db): IterableIterator<FrameFactsRow> {
  return stmts(db).facts.iterate();
}

/** Records the start of an export; returns its id. */
export function insertExport(
  db: Db,
  input: { runId: number | null; destination: string; policy: unknown; startedAt?: string },
): number {
  const info = stmts(db).insert.run(input.runId, input.destination, JSON.stringify(input.policy), input.startedAt ?? nowIso());
  return Number(info.lastInsertRowid);
}

/** Marks a running export done with its counts and the manifest checksum. */
export function markExportDone(
  db: Db,
  id: number,
  result: { framesExported: number; framesExcluded: number; manifestSha256: string },
): void {
  const info = stmts(db).done.run(result.framesExported, result.framesExcluded, result.manifestSha256, nowIso(), id);
  if (info.changes !== 1) throw new Error(`export ${id} is not running; cannot mark it done`);
}

/** Marks a running export failed with the error message (counts so far kept for the record). */
export function markExportFailed(
  db: Db,
  id: number,
  failure: { error: string; framesExported?: number; framesExcluded?: number },
): void {
  stmts(db).failed.run(failure.framesExported ?? 0, failure.framesExcluded ?? 0, failure.error, nowIso(), id);
}

/** One export record, or undefined. */
export function getExport(db: Db, id: number): ExportRow | undefined {
  return stmts(db).byId.get(id);
}

/** All export records, oldest first. */
export function listExports(db: Db): ExportRow[] {
  return stmts(db).all.all();
}
