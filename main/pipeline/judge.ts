/**
 * Applies the focus judgement rules to the store: after a classification batch
 * (the batch's nanowells are re-judged over their whole series, since frames
 * are classified newest first and a well's history fills in later), after a
 * calibration (every well), and the domain guard of the runs concerned.
 */
import { guardVerdict, GUARD_RULE } from '../common/domain-guard.js';
import { judgeSeriesCalibrated, judgeSeriesTemporal, type FrameJudgement } from '../common/focus-judgement.js';
import type { Db } from '../store/database.js';
import { recordError } from '../store/queries/errors.js';
import { guardStateOf, latestCalibration, setGuardState, type CalibrationRow } from '../store/queries/calibration.js';
import {
  allWellIds,
  classifiedSeries,
  runsOfWells,
  guardSample,
  wellsOfFrames,
  writeJudgements,
  unjudgedWellIds,
  type ClassifiedFrame,
  type JudgementWrite,
} from '../store/queries/judgements.js';

export interface RejudgeResult {
  wells: number;
  frames: number;
  /** Frames that moved between in focus and OOF. */
  moved: number;
}

export interface TrippedGuard {
  runId: number;
  reason: string;
}

function judgeChannel(frames: ClassifiedFrame[], calibration: CalibrationRow | null): JudgementWrite[] {
  // A calibration is fitted on one classifier's p(OOF); frames judged by another keep the temporal rule,
  // as do all frames when the fit was no better than that rule on the operator's labels.
  const calibrated =
    calibration !== null && !calibration.fit.keepUncalibrated && frames.every((f) => f.modelSha256 === calibration.classifierSha256);
  const judged: FrameJudgement[] = calibrated ? judgeSeriesCalibrated(frames, calibration.fit) : judgeSeriesTemporal(frames);
  return frames.map((f, i) => ({ ...judged[i]!, frameId: f.frameId, calibrationId: calibrated ? calibration.id : null }));
}

/** Re-judges nanowells (all when `wellIds` is omitted) under the calibration in force — one transaction per well. */
export function rejudgeWells(db: Db, wellIds?: readonly number[]): RejudgeResult {
  const calibration = latestCalibration(db);
  const wells = wellIds ?? allWellIds(db);
  let frames = 0;
  let moved = 0;
  for (const wellId of wells) {
    const series = classifiedSeries(db, wellId);
    const byChannel = new Map<string, ClassifiedFrame[]>();
    for (const f of series) {
      const list = byChannel.get(f.channel) ?? [];
      list.push(f);
      byChannel.set(f.channel, list);
    }
    const rows = [...byChannel.values()].flatMap((c) => judgeChannel(c, calibration));
    moved += writeJudgements(db, rows);
    frames += rows.length;
  }
  return { wells: wells.length, frames, moved };
}

/**
 * Evaluates the domain guard of runs still pending; returns the runs that
 * tripped now (each also logged in the errors panel).
 */
export function evaluateGuards(db: Db, runIds: readonly number[]): TrippedGuard[] {
  const tripped: TrippedGuard[] = [];
  for (const runId of runIds) {
    const current = guardStateOf(db, runId);
    if (current !== null && current !== 'pending') continue;
    const s = guardSample(db, runId, GUARD_RULE.sample);
    const v = guardVerdict(s.judged, s.oof, s.pending);
    if (v.state === 'pending') {
      if (current === null) setGuardState(db, runId, 'pending', s.judged, s.oof, null);
      continue;
    }
    setGuardState(db, runId, v.state, v.judged, v.oof, v.reason);
    if (v.state === 'tripped') {
      recordError(db, { runId, source: 'guard', path: null, message: `domain guard: ${v.reason}` });
      tripped.push({ runId, reason: v.reason });
    }
  }
  return tripped;
}

/** After a batch of originals was classified: re-judge their wells, then the guard of their runs. */
export function judgeAfterClassification(db: Db, frameIds: readonly number[]): RejudgeResult & { tripped: TrippedGuard[] } {
  const wells = wellsOfFrames(db, frameIds);
  const result = rejudgeWells(db, wells);
  return { ...result, tripped: evaluateGuards(db, runsOfWells(db, wells)) };
}

/**
 * At start: judges the wells a previous process classified but did not judge
 * (stopped between the two writes, or a workspace from before judgements
 * existed), then the guard of every run still pending.
 */
export function judgeLeftovers(db: Db, runIds: readonly number[]): RejudgeResult & { tripped: TrippedGuard[] } {
  const result = rejudgeWells(db, unjudgedWellIds(db));
  return { ...result, tripped: evaluateGuards(db, runIds) };
}
