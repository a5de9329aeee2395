/**
 * Every frame with the focus judgement in force and what it rests on: the
 * model's classification of the original, the station's calibration, or the
 * nanowell's temporal rule. Read by `postfocus frames --json` and calibration.
 */
import type { FrameState } from '../../common/domain.js';
import type { FrameJudgement, JudgementBasis, MetricsLike } from '../../common/focus-judgement.js';
import { nowIso, preparedOnce, type Db } from '../database.js';

export type { JudgementBasis };

/** One frame as scripts see it (snake_case keys, ready for pandas). */
export interface FrameJudgementRow {
  frame_id: number;
  run_id: number;
  /** Acquisition root of the run (absolute, as recorded at ingest). */
  root: string;
  /** Source file relative to the acquisition root, '/' separators. */
  path: string;
  page: number;
  block: string;
  well: string;
  position: number;
  t: number;
  channel: string;
  state: FrameState;
  /** The classifier's p(OOF) of the original; null while not classified. */
  p_oof: number | null;
  /** The judgement in force; null while not classified. */
  oof: boolean | null;
  basis: JudgementBasis | null;
  /** p(OOF) the judgement used: calibrated under a calibration, else the model's. */
  p_used: number | null;
  /** Content sharpness relative to the well's recent in-focus frames (temporal rule); null without a reference. */
  relative_sharpness: number | null;
  /** Calibration the judgement rests on, when basis = calibration. */
  calibration_id: number | null;
  /** Operator's ground-truth label, when given (in_focus / oof). */
  label: 'in_focus' | 'oof' | null;
  /** Classifier that produced p_oof. */
  model_id: string | null;
  model_sha256: string | null;
  tenenbaum: number | null;
  vollath_f4: number | null;
  vollath_f5: number | null;
  norm_variance: number | null;
  laplacian_var: number | null;
}

interface RawRow extends Omit<FrameJudgementRow, 'oof' | 'basis' | 'p_used' | 'label'> {
  model_oof: number | null;
  judged_oof: number | null;
  judged_basis: JudgementBasis | null;
  judged_p: number | null;
  label: string | null;
}

const SELECT = `SELECT f.id AS frame_id, n.run_id AS run_id, r.root, f.path, f.page, n.block, n.well, n.position,
    f.t, f.channel, f.state, c.p_oof, c.oof AS model_oof, c.model_id, c.model_sha256, c.tenenbaum,
    c.vollath_f4, c.vollath_f5, c.norm_variance, c.laplacian_var,
    j.oof AS judged_oof, j.basis AS judged_basis, j.p_used AS judged_p, j.relative_sharpness, j.calibration_id,
    (SELECT l.label FROM focus_label l WHERE l.frame_id = f.id ORDER BY l.id DESC LIMIT 1) AS label
  FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id
  LEFT JOIN classification c ON c.frame_id = f.id AND c.target = 'original'
  LEFT JOIN judgement j ON j.frame_id = f.id`;

const stmts = preparedOnce((db) => ({
  all: db.prepare<[], RawRow>(`${SELECT} ORDER BY n.run_id, n.block, n.position, n.well, f.t, f.channel`),
  ofRun: db.prepare<[number], RawRow>(
    `${SELECT} WHERE n.run_id = ? ORDER BY n.block, n.position, n.well, f.t, f.channel`,
  ),
}));

function toRow(raw: RawRow): FrameJudgementRow {
  const { model_oof, judged_oof, judged_basis, judged_p, label, ...rest } = raw;
  const tag = label === 'in_focus' || label === 'oof' ? label : null;
  // A workspace classified before judgements existed: the model's decision is in force.
  if (judged_oof === null) {
    const classified = model_oof !== null;
    return { ...rest, oof: classified ? model_oof === 1 : null, basis: classified ? 'model' : null, p_used: rest.p_oof, label: tag };
  }
  return { ...rest, oof: judged_oof === 1, basis: judged_basis, p_used: judged_p, label: tag };
}

/**
 * Every frame (of one run, or all) ordered by run, nanowell and time, with the
 * judgement in force. Streamed: a plate of 100k frames is not held in memory.
 */
export function* iterateFrameJudgements(db: Db, runId?: number): Generator<FrameJudgementRow> {
  const s = stmts(db);
  const rows = runId === undefined ? s.all.iterate() : s.ofRun.iterate(runId);
  for (const raw of rows) yield toRow(raw);
}

// ------------------------------------------------------------ judging writes

/** A classified frame of a nanowell, as the focus rule reads it. */
export interface ClassifiedFrame {
  frameId: number;
  t: number;
  channel: string;
  state: FrameState;
  pOof: number;
  modelOof: boolean;
  modelId: string;
  modelSha256: string;
  metrics: MetricsLike;
}

export interface JudgementWrite extends FrameJudgement {
  frameId: number;
  calibrationId: number | null;
}

const writes = preparedOnce((db) => ({
  series: db.prepare<[number], Omit<ClassifiedFrame, 'modelOof' | 'metrics'> & { modelOof: number } & MetricsLike>(
    `SELECT f.id AS frameId, f.t, f.channel, f.state, c.p_oof AS pOof, c.oof AS modelOof, c.model_id AS modelId, c.model_sha256 AS modelSha256,
            c.tenenbaum, c.laplacian_var AS laplacianVariance, c.norm_variance AS normalizedVariance,
            c.vollath_f4 AS vollathF4, c.vollath_f5 AS vollathF5
       FROM frame f JOIN classification c ON c.frame_id = f.id AND c.target = 'original'
      WHERE f.nanowell_id = ? ORDER BY f.channel, f.t`,
  ),
  upsert: db.prepare(
    `INSERT INTO judgement (frame_id, oof, basis, p_used, relative_sharpness, calibration_id, at)
     VALUES (@frameId, @oof, @basis, @pUsed, @rel, @calibrationId, @at)
     ON CONFLICT (frame_id) DO UPDATE SET oof = excluded.oof, basis = excluded.basis, p_used = excluded.p_used,
       relative_sharpness = excluded.relative_sharpness, calibration_id = excluded.calibration_id, at = excluded.at
     WHERE judgement.oof IS NOT excluded.oof OR judgement.basis IS NOT excluded.basis
       OR judgement.p_used IS NOT excluded.p_used OR judgement.relative_sharpness IS NOT excluded.relative_sharpness
       OR judgement.calibration_id IS NOT excluded.calibration_id`,
  ),
  // Only a frame awaiting restoration or in focus moves; one with work in flight waits for the next pass.
  state: db.prepare<[string, number, string]>(
    `UPDATE frame SET state = ? WHERE id = ? AND state IN ('in_focus', 'oof') AND state != ?
       AND NOT EXISTS (SELECT 1 FROM attempt a WHERE a.frame_id = frame.id AND a.finished_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM restoration x WHERE x.frame_id = frame.id)`,
  ),
  wellsOfFrames: db.prepare<[string], { wellId: number }>(
    `SELECT DISTINCT nanowell_id AS wellId FROM frame WHERE id IN (SELECT value FROM json_each(?))`,
  ),
  allWells: db.prepare<[], { wellId: number }>(`SELECT id AS wellId FROM nanowell ORDER BY id`),
  unjudgedWells: db.prepare<[], { wellId: number }>(
    `SELECT DISTINCT f.nanowell_id AS wellId FROM classification c JOIN frame f ON f.id = c.frame_id
      WHERE c.target = 'original' AND NOT EXISTS (SELECT 1 FROM judgement j WHERE j.frame_id = c.frame_id)
      ORDER BY f.nanowell_id`,
  ),
  runsOfWells: db.prepare<[string], { runId: number }>(
    `SELECT DISTINCT run_id AS runId FROM nanowell WHERE id IN (SELECT value FROM json_each(?))`,
  ),
  sample: db.prepare<[number, number], { judged: number; oof: number | null }>(
    `SELECT count(*) AS judged, sum(coalesce(j.oof, s.oof)) AS oof FROM (
       SELECT c.frame_id, c.oof FROM classification c JOIN frame f ON f.id = c.frame_id
         JOIN nanowell n ON n.id = f.nanowell_id
        WHERE n.run_id = ? AND c.target = 'original' ORDER BY c.id LIMIT ?) s
     LEFT JOIN judgement j ON j.frame_id = s.frame_id`,
  ),
  pendingOfRun: db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM frame f JOIN nanowell n ON n.id = f.nanowell_id WHERE n.run_id = ? AND f.state = 'pending'`,
  ),
  allRuns: db.prepare<[], { runId: number }>(`SELECT id AS runId FROM run ORDER BY id`),
}));

/** Classified frames of a nanowell, per channel in time order. */
export function classifiedSeries(db: Db, wellId: number): ClassifiedFrame[] {
  return writes(db).series.all(wellId).map((r) => ({
    frameId: r.frameId,
    t: r.t,
    channel: r.channel,
    state: r.state,
    pOof: r.pOof,
    modelOof: r.modelOof === 1,
    modelId: r.modelId,
    modelSha256: r.modelSha256,
    metrics: {
      tenenbaum: r.tenenbaum,
      laplacianVariance: r.laplacianVariance,
      normalizedVariance: r.normalizedVariance,
      vollathF4: r.vollathF4 ?? null,
      vollathF5: r.vollathF5 ?? null,
    },
  }));
}

/**
 * Writes judgements and moves frames between in_focus and oof to match (not a
 * frame already restored or with work in flight) — one transaction. Returns
 * how many frames changed state.
 */
export function writeJudgements(db: Db, rows: readonly JudgementWrite[]): number {
  const s = writes(db);
  const at = nowIso();
  return db.transaction(() => {
    let moved = 0;
    for (const r of rows) {
      s.upsert.run({ frameId: r.frameId, oof: r.oof ? 1 : 0, basis: r.basis, pUsed: r.pUsed, rel: r.relativeSharpness, calibrationId: r.calibrationId, at });
      const state = r.oof ? 'oof' : 'in_focus';
      moved += s.state.run(state, r.frameId, state).changes;
    }
    return moved;
  })();
}

/** Nanowells of the given frames. */
export function wellsOfFrames(db: Db, frameIds: readonly number[]): number[] {
  return writes(db).wellsOfFrames.all(JSON.stringify(frameIds)).map((r) => r.wellId);
}

/** Nanowells with a classified frame that has no judgement yet (a stop between the two, or a workspace from before judgements). */
export function unjudgedWellIds(db: Db): number[] {
  return writes(db).unjudgedWells.all().map((r) => r.wellId);
}

export function allWellIds(db: Db): number[] {
  return writes(db).allWells.all().map((r) => r.wellId);
}

export function runsOfWells(db: Db, wellIds: readonly number[]): number[] {
  return writes(db).runsOfWells.all(JSON.stringify(wellIds)).map((r) => r.runId);
}

export function allRunIds(db: Db): number[] {
  return writes(db).allRuns.all().map((r) => r.runId);
}

/**
 * The guard's sample of a run: its first `size` classified frames (in the
 * order they were classified) and how many of them are judged OOF, plus the
 * frames of the run still waiting for classification.
 */
export function guardSample(db: Db, runId: number, size: number): { judged: number; oof: number; pending: number } {
  const s = writes(db);
  const r = s.sample.get(runId, size)!;
  return { judged: r.judged, oof: r.oof ?? 0, pending: s.pendingOfRun.get(runId)!.n };
}
