/**
 * Focus labels (operator ground truth), calibrations and the domain guard's
 * state per run. Labels, calibrations and guard events are append-only audit
 * rows (who, when); the latest label per frame and the latest calibration are
 * in force.
 */
import type { CalibrationFit } from '../../common/focus-judgement.js';
import { nowIso, preparedOnce, type Db } from '../database.js';

export type FocusLabel = 'in_focus' | 'oof';
export type GuardStateName = 'pending' | 'clear' | 'tripped' | 'released';

export interface LabelInForce {
  frameId: number;
  wellId: number;
  label: FocusLabel;
  who: string;
  source: string;
  at: string;
  path: string;
  page: number;
}

export interface CalibrationRow {
  id: number;
  who: string;
  source: string;
  classifierId: string;
  classifierSha256: string;
  nInFocus: number;
  nOof: number;
  cvAccuracy: number | null;
  cvBalancedAccuracy: number | null;
  fit: CalibrationFit;
  labels: { path: string; page: number; label: FocusLabel }[];
  at: string;
}

export interface NewCalibration extends Omit<CalibrationRow, 'id' | 'at'> {}

export interface GuardRow {
  runId: number;
  root: string;
  state: GuardStateName;
  judged: number;
  oof: number;
  reason: string | null;
  updatedAt: string;
}

const stmts = preparedOnce((db) => ({
  frameExists: db.prepare<[number], { id: number }>(`SELECT id FROM frame WHERE id = ?`),
  label: db.prepare<[number, string, string, string, string]>(
    `INSERT INTO focus_label (frame_id, label, who, source, at) VALUES (?, ?, ?, ?, ?)`,
  ),
  labelsInForce: db.prepare<[], LabelInForce>(
    `SELECT l.frame_id AS frameId, f.nanowell_id AS wellId, l.label, l.who, l.source, l.at, f.path, f.page
       FROM focus_label l JOIN frame f ON f.id = l.frame_id
      WHERE l.id = (SELECT max(id) FROM focus_label x WHERE x.frame_id = l.frame_id) AND l.label != 'clear'
      ORDER BY l.id`,
  ),
  labelOf: db.prepare<[number], { label: string }>(
    `SELECT label FROM focus_label WHERE frame_id = ? ORDER BY id DESC LIMIT 1`,
  ),
  insertCalibration: db.prepare(
    `INSERT INTO calibration (who, source, classifier_id, classifier_sha256, n_in_focus, n_oof, cv_accuracy,
       cv_balanced_accuracy, fit, labels, at)
     VALUES (@who, @source, @classifierId, @classifierSha256, @nInFocus, @nOof, @cvAccuracy, @cvBalancedAccuracy,
       @fit, @labels, @at)`,
  ),
  latest: db.prepare<[], Record<string, unknown>>(`SELECT * FROM calibration ORDER BY id DESC LIMIT 1`),
  guards: db.prepare<[], GuardRow>(
    `SELECT g.run_id AS runId, r.root, g.state, g.judged, g.oof, g.reason, g.updated_at AS updatedAt
       FROM guard_state g JOIN run r ON r.id = g.run_id ORDER BY g.run_id`,
  ),
  guardOf: db.prepare<[number], { state: GuardStateName }>(`SELECT state FROM guard_state WHERE run_id = ?`),
  upsertGuard: db.prepare<[number, string, number, number, string | null, string]>(
    `INSERT INTO guard_state (run_id, state, judged, oof, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, judged = excluded.judged, oof = excluded.oof,
       reason = excluded.reason, updated_at = excluded.updated_at`,
  ),
  release: db.prepare<[string, number]>(`UPDATE guard_state SET state = 'released', updated_at = ? WHERE run_id = ? AND state = 'tripped'`),
  event: db.prepare<[number, string, string, string | null, string]>(
    `INSERT INTO guard_event (run_id, kind, reason, who, at) VALUES (?, ?, ?, ?, ?)`,
  ),
  tripped: db.prepare<[], { runId: number }>(`SELECT run_id AS runId FROM guard_state WHERE state = 'tripped'`),
  byPath: db.prepare<[string], { frameId: number; page: number; root: string }>(
    `SELECT f.id AS frameId, f.page, r.root FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id
      WHERE f.path = ? ORDER BY f.id`,
  ),
  labelledFiles: db.prepare<[], LabelledFrameFile>(
    `SELECT f.id AS frameId, f.nanowell_id AS wellId, f.t, r.root, f.path, f.page, f.width, f.height, l.label
       FROM focus_label l JOIN frame f ON f.id = l.frame_id JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id
      WHERE l.id = (SELECT max(id) FROM focus_label x WHERE x.frame_id = l.frame_id) AND l.label != 'clear'
      ORDER BY f.nanowell_id, f.t`,
  ),
  events: db.prepare<[], { id: number; runId: number; kind: string; reason: string; who: string | null; at: string }>(
    `SELECT id, run_id AS runId, kind, reason, who, at FROM guard_event ORDER BY id`,
  ),
}));

/** A labelled frame with what it takes to read its file. */
export interface LabelledFrameFile {
  frameId: number;
  wellId: number;
  t: number;
  /** Acquisition root (absolute) and the path relative to it. */
  root: string;
  path: string;
  page: number;
  width: number;
  height: number;
  label: FocusLabel;
}

/** Frames with a focus label in force, with their files, by nanowell and time. */
export function labelledFrameFiles(db: Db): LabelledFrameFile[] {
  return stmts(db).labelledFiles.all();
}

/** Frames recorded with this source path (relative to their run's root), in every run; one page or all. */
export function framesByPath(db: Db, path: string, page?: number): { frameId: number; page: number; root: string }[] {
  return stmts(db).byPath.all(path).filter((f) => page === undefined || f.page === page);
}

/** The guard's audit: every trip and release, oldest first. */
export function guardEvents(db: Db): { id: number; runId: number; kind: string; reason: string; who: string | null; at: string }[] {
  return stmts(db).events.all();
}

/** Records operator labels (append-only; 'clear' withdraws a frame's label). One transaction. */
export function recordFocusLabels(
  db: Db,
  labels: readonly { frameId: number; label: FocusLabel | 'clear' }[],
  who: string,
  source: string,
): number {
  if (!who.trim()) throw new Error('a focus label needs who gave it');
  const s = stmts(db);
  const at = nowIso();
  db.transaction(() => {
    for (const l of labels) {
      if (!s.frameExists.get(l.frameId)) throw new Error(`cannot label frame ${l.frameId}: no such frame in this workspace`);
      s.label.run(l.frameId, l.label, who, source, at);
    }
  })();
  return labels.length;
}

/** Labels in force (latest per frame, withdrawn ones left out), oldest first. */
export function focusLabelsInForce(db: Db): LabelInForce[] {
  return stmts(db).labelsInForce.all();
}

/** The label in force of one frame, or null. */
export function focusLabelOf(db: Db, frameId: number): FocusLabel | null {
  const l = stmts(db).labelOf.get(frameId)?.label;
  return l === 'in_focus' || l === 'oof' ? l : null;
}

/** Appends a calibration (it is in force from now on); returns its id. */
export function insertCalibration(db: Db, c: NewCalibration): number {
  return Number(
    stmts(db).insertCalibration.run({
      ...c,
      fit: JSON.stringify(c.fit),
      labels: JSON.stringify(c.labels),
      at: nowIso(),
    }).lastInsertRowid,
  );
}

/** The calibration in force (the latest), or null when the station is not calibrated. */
export function latestCalibration(db: Db): CalibrationRow | null {
  const r = stmts(db).latest.get();
  if (!r) return null;
  return {
    id: r.id as number,
    who: r.who as string,
    source: r.source as string,
    classifierId: r.classifier_id as string,
    classifierSha256: r.classifier_sha256 as string,
    nInFocus: r.n_in_focus as number,
    nOof: r.n_oof as number,
    cvAccuracy: r.cv_accuracy as number | null,
    cvBalancedAccuracy: r.cv_balanced_accuracy as number | null,
    fit: JSON.parse(r.fit as string) as CalibrationFit,
    labels: JSON.parse(r.labels as string) as CalibrationRow['labels'],
    at: r.at as string,
  };
}

/** Guard state of every evaluated run. */
export function listGuards(db: Db): GuardRow[] {
  return stmts(db).guards.all();
}

export function guardStateOf(db: Db, runId: number): GuardStateName | null {
  return stmts(db).guardOf.get(runId)?.state ?? null;
}

/** Sets a run's guard state; a trip is also appended to the audit. */
export function setGuardState(db: Db, runId: number, state: GuardStateName, judged: number, oof: number, reason: string | null): void {
  const s = stmts(db);
  const at = nowIso();
  db.transaction(() => {
    s.upsertGuard.run(runId, state, judged, oof, reason, at);
    if (state === 'tripped') s.event.run(runId, 'trip', reason ?? 'tripped', null, at);
  })();
}

/**
 * Releases tripped guards (one run, or all): automatic restoration resumes.
 * Audited with who and why (a calibration, or "restore anyway"). Returns the runs released.
 */
export function releaseGuards(db: Db, who: string, reason: string, runId?: number): number[] {
  const s = stmts(db);
  const at = nowIso();
  return db.transaction(() => {
    const runs = s.tripped.all().map((r) => r.runId).filter((id) => runId === undefined || id === runId);
    for (const id of runs) {
      s.release.run(at, id);
      s.event.run(id, 'release', reason, who, at);
    }
    return runs;
  })();
}
