/**
 * Pipeline work derived from the database: which frames still need
 * classification, restoration or re-classification, and the attempt rows that
 * count retries. Work is never held only in memory, so a restarted station
 * resumes exactly: a result and the end of its attempt are written in one
 * transaction, and an attempt left open by a crash is closed as 'crash' at start.
 */
import type { FocusMetrics } from '../../common/domain.js';
import { MIN_RESTORE_SIDE, restorationSizeProblem, type RestorationOutcome } from '../../common/restoration.js';
import { nowIso, preparedOnce, type Db } from '../database.js';
import { recordError } from './errors.js';

export type AttemptKind = 'classify' | 'restore' | 'reclassify';
export type AttemptOutcome = 'ok' | 'error' | 'crash';

/** Attempts cancelled by the operator do not count as failures. */
export const CANCELLED_PREFIX = 'cancelled';
/**
 * A batch that failed as a whole says nothing about which frame was bad: its
 * attempts do not count, and each of its frames is retried alone.
 */
export const BATCH_FAILED_PREFIX = 'batch failed';
/**
 * A job stopped because another process of the worker pool ended (its own was
 * healthy) says nothing about its frame: it does not count either.
 */
export const COLLATERAL_PREFIX = 'collateral';
const COUNTED = (a: string) =>
  `(${a}.error IS NULL OR (${a}.error NOT LIKE '${CANCELLED_PREFIX}%' AND ${a}.error NOT LIKE '${BATCH_FAILED_PREFIX}%' AND ${a}.error NOT LIKE '${COLLATERAL_PREFIX}%'))`;
export const INTERRUPTED_MESSAGE = 'interrupted: the station stopped before the result was stored';

/** A frame waiting for one kind of work, with what the worker needs to read it. */
export interface WorkItem {
  frameId: number;
  wellId: number;
  runId: number;
  /** Acquisition root (absolute) and the frame's path relative to it. */
  root: string;
  path: string;
  page: number;
  bits: number;
  /** Failed attempts of this kind so far (errors and crashes). */
  failures: number;
  /** Re-classification only: the restored mean, relative to the workspace. */
  derivedPath?: string | null;
}

export interface ClassificationRecord {
  attemptId: number;
  frameId: number;
  target: 'original' | 'restored';
  modelId: string;
  modelSha256: string;
  pOof: number;
  oof: boolean;
  metrics: FocusMetrics;
}

export interface RestorationRecord extends RestorationOutcome {
  attemptId: number;
  frameId: number;
}

/** OOF flags of one frame, for the usability rule. */
export interface FrameFlags {
  wellId: number;
  t: number;
  channel: string;
  state: string;
  /** Classification of the original: 1 OOF, 0 in focus, null not classified yet. */
  oofBefore: number | null;
  /** Classification of the restored frame, null when not restored / re-classified. */
  oofRestored: number | null;
}

const FAILURES = (kind: AttemptKind) => `(SELECT count(*) FROM attempt a WHERE a.frame_id = f.id AND a.kind = '${kind}'
    AND a.outcome IN ('error', 'crash') AND ${COUNTED('a')})`;
const ITEM = (kind: AttemptKind) => `f.id AS frameId, f.nanowell_id AS wellId, n.run_id AS runId, r.root, f.path, f.page, f.bits,
    ${FAILURES(kind)} AS failures
  FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id`;
const NOT_IN_FLIGHT = `NOT EXISTS (SELECT 1 FROM attempt o WHERE o.frame_id = f.id AND o.finished_at IS NULL)`;

const stmts = preparedOnce((db) => ({
  closeOpen: db.prepare<[string, string]>(
    `UPDATE attempt SET finished_at = ?, outcome = 'crash', error = ? WHERE finished_at IS NULL`,
  ),
  classify: db.prepare<[number], WorkItem>(
    `SELECT ${ITEM('classify')} WHERE f.state = 'pending' AND ${NOT_IN_FLIGHT} ORDER BY f.id DESC LIMIT ?`,
  ),
  reclassify: db.prepare<[number], WorkItem>(
    `SELECT (SELECT x.mean_path FROM restoration x WHERE x.frame_id = f.id) AS derivedPath, ${ITEM('reclassify')}
      WHERE f.state = 'restored'
       AND NOT EXISTS (SELECT 1 FROM classification c WHERE c.frame_id = f.id AND c.target = 'restored')
       AND ${NOT_IN_FLIGHT} ORDER BY f.id DESC LIMIT ?`,
  ),
  restore: db.prepare<[number], WorkItem>(
    `SELECT ${ITEM('restore')} WHERE f.state = 'oof'
       AND NOT EXISTS (SELECT 1 FROM restoration x WHERE x.frame_id = f.id)
       AND n.run_id NOT IN (SELECT run_id FROM restore_held_run)
       AND ${NOT_IN_FLIGHT} ORDER BY f.id LIMIT ?`,
  ),
  startAttempt: db.prepare<[number, AttemptKind, string]>(`INSERT INTO attempt (frame_id, kind, started_at) VALUES (?, ?, ?)`),
  finishAttempt: db.prepare<[string, AttemptOutcome, string | null, number]>(
    `UPDATE attempt SET finished_at = ?, outcome = ?, error = ? WHERE id = ? AND finished_at IS NULL`,
  ),
  failures: db.prepare<[number, AttemptKind], { n: number }>(
    `SELECT count(*) AS n FROM attempt a WHERE a.frame_id = ? AND a.kind = ? AND a.outcome IN ('error', 'crash')
       AND ${COUNTED('a')}`,
  ),
  insertClassification: db.prepare(
    `INSERT INTO classification (frame_id, target, model_id, model_sha256, p_oof, oof, tenenbaum, vollath_f4,
       vollath_f5, norm_variance, laplacian_var, created_at)
     VALUES (@frameId, @target, @modelId, @modelSha256, @pOof, @oof, @tenenbaum, @vollathF4, @vollathF5,
       @normalizedVariance, @laplacianVariance, @at) ON CONFLICT (frame_id, target) DO NOTHING`,
  ),
  classifiedState: db.prepare<[string, number]>(`UPDATE frame SET state = ? WHERE id = ? AND state = 'pending'`),
  insertRestoration: db.prepare(
    `INSERT INTO restoration (frame_id, model_id, model_sha256, sampler, steps, eta, ensemble, seeds, mean_path,
       spread_path, members_path, spread_mean, tenenbaum_before, tenenbaum_after, duration_ms, created_at)
     VALUES (@frameId, @modelId, @modelSha256, @sampler, @steps, @eta, @ensemble, @seeds, @meanPath, @spreadPath,
       @membersPath, @spreadMean, @tenenbaumBefore, @tenenbaumAfter, @durationMs, @at)
     ON CONFLICT (frame_id) DO NOTHING`,
  ),
  tooSmallToRestore: db.prepare<[number, number], { id: number; width: number; height: number }>(
    `SELECT f.id, f.width, f.height FROM frame f WHERE f.state = 'oof' AND (f.width < ? OR f.height < ?)
       AND NOT EXISTS (SELECT 1 FROM restoration x WHERE x.frame_id = f.id)`,
  ),
  restoredState: db.prepare<[number]>(`UPDATE frame SET state = 'restored' WHERE id = ? AND state = 'oof'`),
  failFrame: db.prepare<[number]>(`UPDATE frame SET state = 'failed' WHERE id = ?`),
  frameOf: db.prepare<[number], { runId: number; path: string }>(
    `SELECT n.run_id AS runId, f.path FROM frame f JOIN nanowell n ON n.id = f.nanowell_id WHERE f.id = ?`,
  ),
  states: db.prepare<[], { state: string; n: number }>(`SELECT state, count(*) AS n FROM frame GROUP BY state`),
  // OOF by the judgement in force (temporal rule / calibration), the model's where none was written.
  oofOriginal: db.prepare<[], { n: number }>(
    `SELECT count(*) AS n FROM classification c LEFT JOIN judgement j ON j.frame_id = c.frame_id
      WHERE c.target = 'original' AND coalesce(j.oof, c.oof) = 1`,
  ),
  reclassified: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM classification WHERE target = 'restored'`),
  flags: db.prepare<[], FrameFlags>(
    `SELECT f.nanowell_id AS wellId, f.t, f.channel, f.state, coalesce(j.oof, co.oof) AS oofBefore, cr.oof AS oofRestored
       FROM frame f
       LEFT JOIN classification co ON co.frame_id = f.id AND co.target = 'original'
       LEFT JOIN judgement j ON j.frame_id = f.id
       LEFT JOIN classification cr ON cr.frame_id = f.id AND cr.target = 'restored'
      ORDER BY f.nanowell_id, f.t, f.channel`,
  ),
  attemptCounts: db.prepare<[], { kind: AttemptKind; outcome: string | null; n: number }>(
    `SELECT kind, outcome, count(*) AS n FROM attempt GROUP BY kind, outcome`,
  ),
}));

/**
 * Closes attempts a previous process left open (it died mid-job) as 'crash', so
 * their frames become work again. Call once at pipeline start; returns how many.
 */
export function closeInterruptedAttempts(db: Db): number {
  return stmts(db).closeOpen.run(nowIso(), INTERRUPTED_MESSAGE).changes;
}

/** Frames awaiting classification of the original, newest first, none in flight. */
export function classifyWork(db: Db, limit: number): WorkItem[] {
  return stmts(db).classify.all(limit);
}

/** Restored frames awaiting re-classification, newest first, none in flight. */
export function reclassifyWork(db: Db, limit: number): WorkItem[] {
  return stmts(db).reclassify.all(limit);
}

/** OOF frames awaiting restoration, oldest first, none in flight. */
export function restoreWork(db: Db, limit: number): WorkItem[] {
  failFramesTooSmallToRestore(db);
  return stmts(db).restore.all(limit);
}

/** Opens one attempt row per frame (one transaction); returns their ids in order. */
export function startAttempts(db: Db, frameIds: readonly number[], kind: AttemptKind): number[] {
  const s = stmts(db);
  const at = nowIso();
  return db.transaction(() => frameIds.map((id) => Number(s.startAttempt.run(id, kind, at).lastInsertRowid)))();
}

/** Closes an attempt as failed ('error' from the worker, 'crash' when the worker died). */
export function failAttempt(db: Db, attemptId: number, outcome: 'error' | 'crash', error: string): void {
  stmts(db).finishAttempt.run(nowIso(), outcome, error, attemptId);
}

/** Failed attempts (errors + crashes, cancellations excluded) of a frame for one kind of work. */
export function failureCount(db: Db, frameId: number, kind: AttemptKind): number {
  return stmts(db).failures.get(frameId, kind)!.n;
}

/**
 * Stores a classification, moves a pending frame to in_focus / oof (original
 * target) and closes the attempt as 'ok' — one transaction.
 */
export function recordClassification(db: Db, r: ClassificationRecord): void {
  const s = stmts(db);
  const at = nowIso();
  db.transaction(() => {
    s.insertClassification.run({
      frameId: r.frameId,
      target: r.target,
      modelId: r.modelId,
      modelSha256: r.modelSha256,
      pOof: r.pOof,
      oof: r.oof ? 1 : 0,
      tenenbaum: finiteOrNull(r.metrics.tenenbaum),
      vollathF4: finiteOrNull(r.metrics.vollathF4),
      vollathF5: finiteOrNull(r.metrics.vollathF5),
      normalizedVariance: finiteOrNull(r.metrics.normalizedVariance),
      laplacianVariance: finiteOrNull(r.metrics.laplacianVariance),
      at,
    });
    if (r.target === 'original') s.classifiedState.run(r.oof ? 'oof' : 'in_focus', r.frameId);
    s.finishAttempt.run(at, 'ok', null, r.attemptId);
  })();
}

/** Stores a restoration, moves the frame to 'restored' and closes the attempt — one transaction. */
export function recordRestoration(db: Db, r: RestorationRecord): void {
  const s = stmts(db);
  const at = nowIso();
  db.transaction(() => {
    // The record's fields bind by name (extra ones are ignored); seeds are stored as JSON text.
    s.insertRestoration.run({
      ...r,
      seeds: JSON.stringify(r.seeds),
      tenenbaumBefore: finiteOrNull(r.tenenbaumBefore),
      tenenbaumAfter: finiteOrNull(r.tenenbaumAfter),
      at,
    });
    s.restoredState.run(r.frameId);
    s.finishAttempt.run(at, 'ok', null, r.attemptId);
  })();
}

/**
 * OOF frames below the minimum size for restoration (main/common/restoration.ts)
 * are failed with that reason instead of restored: they never reach the
 * restorer and are never offered for review. Returns how many.
 */
export function failFramesTooSmallToRestore(db: Db): number {
  const tiny = stmts(db).tooSmallToRestore.all(MIN_RESTORE_SIDE, MIN_RESTORE_SIDE);
  for (const f of tiny) markFrameFailed(db, f.id, 'restore', restorationSizeProblem(f.width, f.height)!);
  return tiny.length;
}

/** Gives up on a frame: state 'failed' and an error_log entry naming its file — one transaction. */
export function markFrameFailed(db: Db, frameId: number, source: AttemptKind, message: string): void {
  const s = stmts(db);
  db.transaction(() => {
    s.failFrame.run(frameId);
    const f = s.frameOf.get(frameId);
    recordError(db, { runId: f?.runId ?? null, frameId, source, path: f?.path ?? null, message });
  })();
}

export interface WorkCounts {
  frames: number;
  pending: number;
  inFocus: number;
  oof: number;
  restored: number;
  failed: number;
  /** Frames whose original was classified OOF (restoration's total). */
  oofOriginal: number;
  reclassified: number;
}

/** Whole-workspace counts for progress reporting. */
export function workCounts(db: Db): WorkCounts {
  const s = stmts(db);
  const by: Record<string, number> = {};
  let frames = 0;
  for (const r of s.states.all()) {
    by[r.state] = r.n;
    frames += r.n;
  }
  return {
    frames,
    pending: by.pending ?? 0,
    inFocus: by.in_focus ?? 0,
    oof: by.oof ?? 0,
    restored: by.restored ?? 0,
    failed: by.failed ?? 0,
    oofOriginal: s.oofOriginal.get()!.n,
    reclassified: s.reclassified.get()!.n,
  };
}

/** Every frame's OOF flags, ordered by nanowell then time (streamed). */
export function iterateFrameFlags(db: Db): IterableIterator<FrameFlags> {
  return stmts(db).flags.iterate();
}

/** Attempt rows per (kind, outcome) — used by tests and reports to prove nothing ran twice. */
export function attemptCounts(db: Db): { kind: AttemptKind; outcome: string | null; n: number }[] {
  return stmts(db).attemptCounts.all();
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const modelStmts = preparedOnce((db) => ({
  find: db.prepare<[string, string], { id: number }>(
    `SELECT id FROM error_log WHERE source = 'model' AND path = ? AND message = ? LIMIT 1`,
  ),
}));

/**
 * Logs a model problem (missing / corrupt / hash mismatch) once: the same
 * message for the same file is not repeated at every start. Returns whether it was new.
 */
export function recordModelProblem(db: Db, file: string, message: string): boolean {
  if (modelStmts(db).find.get(file, message)) return false;
  return recordError(db, { runId: null, source: 'model', path: file, message }) !== null;
}
