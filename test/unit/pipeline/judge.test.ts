import { describe, expect, it } from 'vitest';
import { evaluateGuards, judgeAfterClassification, judgeLeftovers, rejudgeWells } from '../../../main/pipeline/judge.js';
import { listErrors } from '../../../main/store/queries/errors.js';
import { insertFrames } from '../../../main/store/queries/frames.js';
import { guardStateOf, insertCalibration, listGuards, releaseGuards } from '../../../main/store/queries/calibration.js';
import { iterateFrameJudgements } from '../../../main/store/queries/judgements.js';
import { createRun } from '../../../main/store/queries/runs.js';
import { recordClassification, restoreWork, startAttempts } from '../../../main/store/queries/work.js';
import { fitCalibration, calibrationFeatures } from '../../../main/common/focus-judgement.js';
import type { Db } from '../../../main/store/database.js';
import { tempDbPerTest } from '../../helpers/workspace.js';

const newDb = tempDbPerTest();

/** Ingests and classifies one well's frames: p(OOF) and content sharpness (laplacian / tenenbaum) per t. */
function classifiedWell(db: Db, runId: number, well: string, frames: { p: number; sharp: number }[]): number[] {
  const ids = insertFrames(
    db,
    frames.map((_, i) => ({ runId, block: '1', well, t: i + 1, channel: '0', path: `${well}_t${i + 1}.tif`, page: 0, width: 8, height: 8, bits: 8, size: 1, mtimeMs: 1 })),
  ).map((o) => o.frameId);
  const attempts = startAttempts(db, ids, 'classify');
  frames.forEach((f, i) =>
    recordClassification(db, {
      attemptId: attempts[i]!, frameId: ids[i]!, target: 'original', modelId: 'clf', modelSha256: 'sha-clf', pOof: f.p, oof: f.p >= 0.5,
      metrics: { tenenbaum: 0.01, laplacianVariance: 0.01 * f.sharp, normalizedVariance: 0.001, vollathF4: null, vollathF5: null },
    }),
  );
  return ids;
}

describe('judging classified frames in the store', () => {
  it('keeps a sparse well in focus by the temporal rule and moves its frames out of the restoration queue', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const sparse = classifiedWell(t.db, run.id, 'w1', Array.from({ length: 10 }, () => ({ p: 0.9, sharp: 1 })));
    expect(restoreWork(t.db, 100)).toHaveLength(10);
    const r = judgeAfterClassification(t.db, sparse);
    expect(r).toMatchObject({ wells: 1, frames: 10, moved: 10, tripped: [] });
    const rows = [...iterateFrameJudgements(t.db)];
    expect(rows.every((f) => f.oof === false && f.basis === 'temporal' && f.state === 'in_focus' && f.p_oof === 0.9)).toBe(true);
    expect(rows[4]!.relative_sharpness).toBeCloseTo(1, 6);
    expect(restoreWork(t.db, 100)).toHaveLength(0);
    expect(guardStateOf(t.db, run.id)).toBe('clear');
  });

  it('trips the domain guard on a run judged mostly OOF, holds its restoration until released, and logs why', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const ids = [0, 1, 2].flatMap((w) => classifiedWell(t.db, run.id, `w${w}`, Array.from({ length: 10 }, () => ({ p: 0.999, sharp: 0.3 }))));
    const r = judgeAfterClassification(t.db, ids);
    expect(r.tripped).toHaveLength(1);
    expect(r.tripped[0]!.reason).toMatch(/30 of the first 30 frames \(100%\) judged out of focus/);
    expect(listGuards(t.db)).toMatchObject([{ runId: run.id, state: 'tripped', judged: 30, oof: 30 }]);
    expect(restoreWork(t.db, 100)).toHaveLength(0);
    expect(listErrors(t.db, { limit: 5 })[0]).toMatchObject({ source: 'guard', message: expect.stringMatching(/^domain guard: 30 of/) });
    // Evaluated once: a later batch does not re-trip or clear it.
    expect(evaluateGuards(t.db, [run.id])).toEqual([]);
    expect(releaseGuards(t.db, 'ana', 'restore anyway')).toEqual([run.id]);
    expect(guardStateOf(t.db, run.id)).toBe('released');
    expect(restoreWork(t.db, 100)).toHaveLength(30);
    expect(t.db.prepare(`SELECT kind, who, reason FROM guard_event ORDER BY id`).all()).toMatchObject([
      { kind: 'trip', who: null }, { kind: 'release', who: 'ana', reason: 'restore anyway' },
    ]);
  });

  it('judges at start the wells a previous stop classified but left unjudged, and only those', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const judged = classifiedWell(t.db, run.id, 'w1', Array.from({ length: 5 }, () => ({ p: 0.9, sharp: 1 })));
    judgeAfterClassification(t.db, judged);
    classifiedWell(t.db, run.id, 'w2', Array.from({ length: 6 }, () => ({ p: 0.9, sharp: 1 }))); // stopped before judging
    const r = judgeLeftovers(t.db, [run.id]);
    expect(r).toMatchObject({ wells: 1, frames: 6, moved: 6 });
    expect([...iterateFrameJudgements(t.db)].every((f) => f.basis === 'temporal' && f.state === 'in_focus')).toBe(true);
    expect(judgeLeftovers(t.db, [run.id])).toMatchObject({ wells: 0, frames: 0 });
  });

  it('holds restoration while the guard is pending (fewer than 200 frames judged and frames still pending)', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const ids = classifiedWell(t.db, run.id, 'w1', Array.from({ length: 30 }, (_, i) => ({ p: i === 3 ? 0.999 : 0.05, sharp: i === 3 ? 0.2 : 1 })));
    insertFrames(t.db, [{ runId: run.id, block: '1', well: 'w2', t: 1, channel: '0', path: 'w2.tif', page: 0, width: 8, height: 8, bits: 8, size: 1, mtimeMs: 1 }]);
    judgeAfterClassification(t.db, ids);
    expect(guardStateOf(t.db, run.id)).toBe('pending');
    expect(restoreWork(t.db, 10)).toHaveLength(0);
  });

  it('judges through a calibration fitted on the same classifier, and keeps the temporal rule for another classifier', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    // Brightfield-like: the model says OOF everywhere (p 0.97), sharpness tells the classes apart.
    const frames = Array.from({ length: 20 }, (_, i) => ({ p: 0.97, sharp: i % 5 === 4 ? 0.3 : 1 }));
    const ids = classifiedWell(t.db, run.id, 'w1', frames);
    const xs = frames.map((f) => calibrationFeatures(f.p, { tenenbaum: 0.01, laplacianVariance: 0.01 * f.sharp, normalizedVariance: 0.001 }, f.sharp));
    const fit = fitCalibration(xs, frames.map((f) => f.sharp < 0.5));
    const base = { who: 'ana', source: 'test', classifierId: 'clf', nInFocus: 16, nOof: 4, cvAccuracy: 1, cvBalancedAccuracy: 1, fit, labels: [] };
    insertCalibration(t.db, { ...base, classifierSha256: 'another-classifier' });
    rejudgeWells(t.db);
    expect([...iterateFrameJudgements(t.db)].every((f) => f.basis !== 'calibration')).toBe(true);
    const calId = insertCalibration(t.db, { ...base, classifierSha256: 'sha-clf' });
    rejudgeWells(t.db);
    const rows = [...iterateFrameJudgements(t.db)];
    expect(rows.map((f) => f.oof)).toEqual(frames.map((f) => f.sharp < 0.5));
    expect(rows.every((f) => f.basis === 'calibration' && f.calibration_id === calId)).toBe(true);
    expect(rows.filter((f) => f.state === 'oof').map((f) => f.frame_id)).toEqual(ids.filter((_, i) => i % 5 === 4));
  });
});
