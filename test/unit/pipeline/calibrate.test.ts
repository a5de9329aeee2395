import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_FEATURES,
  CALIBRATION_L2_GRID,
  calibrationFeatures,
  fitCalibration,
  judgeSeriesTemporal,
  LEGACY_CALIBRATION_FEATURES,
  TEMPORAL_RULE,
} from '../../../main/common/focus-judgement.js';
import {
  applyProfile,
  calibrateFromLabels,
  calibrationSummary,
  evaluateCalibration,
  PROFILE_VERSION,
  profileOf,
  readProfile,
  writeProfile,
} from '../../../main/pipeline/calibrate.js';
import { judgeAfterClassification } from '../../../main/pipeline/judge.js';
import type { Db } from '../../../main/store/database.js';
import { latestCalibration, recordFocusLabels } from '../../../main/store/queries/calibration.js';
import { classifiedSeries, iterateFrameJudgements } from '../../../main/store/queries/judgements.js';
import { insertFrames } from '../../../main/store/queries/frames.js';
import { createRun } from '../../../main/store/queries/runs.js';
import { recordClassification, startAttempts } from '../../../main/store/queries/work.js';
import { tempDbPerTest } from '../../helpers/workspace.js';

const newDb = tempDbPerTest();

const SHA = 'a'.repeat(64);

/** 6 wells × 12 frames the model calls OOF throughout (p ≥ 0.995); frames t ≡ 0 mod 4 are blurred (sharpness 0.35). */
function workspace(db: Db): { ids: number[]; truth: Map<number, boolean> } {
  const run = createRun(db, { root: '/acq', layout: 'timing' });
  const ids: number[] = [];
  const truth = new Map<number, boolean>();
  for (let w = 0; w < 6; w++) {
    const wellIds = insertFrames(
      db,
      Array.from({ length: 12 }, (_, t) => ({ runId: run.id, block: '1', well: `w${w}`, t: t + 1, channel: '0', path: `w${w}/t${t + 1}.tif`, page: 0, width: 8, height: 8, bits: 8, size: 1, mtimeMs: 1 })),
    ).map((o) => o.frameId);
    const attempts = startAttempts(db, wellIds, 'classify');
    wellIds.forEach((id, t) => {
      const blurred = (t + 1) % 4 === 0;
      truth.set(id, blurred);
      const jitter = 1 + 0.04 * (((id * 7) % 5) - 2);
      recordClassification(db, {
        attemptId: attempts[t]!, frameId: id, target: 'original', modelId: 'clf', modelSha256: SHA, pOof: 0.995 + 0.0004 * (id % 10), oof: true,
        metrics: { tenenbaum: 0.01 * (1 + w), laplacianVariance: 0.01 * (1 + w) * (blurred ? 0.35 : 1) * jitter, normalizedVariance: 0.002, vollathF4: null, vollathF5: null },
      });
    });
    ids.push(...wellIds);
  }
  judgeAfterClassification(db, ids);
  return { ids, truth };
}

describe('calibration', () => {
  it('fits on the labels in force, re-judges, and round-trips through a microscope profile', () => {
    const t = newDb();
    const { ids, truth } = workspace(t.db);
    const labelled = [...ids.filter((id) => truth.get(id)).slice(0, 6), ...ids.filter((id) => !truth.get(id)).slice(0, 6)];
    recordFocusLabels(t.db, labelled.map((frameId) => ({ frameId, label: truth.get(frameId) ? 'oof' : 'in_focus' })), 'ana', 'test');
    const outcome = calibrateFromLabels(t.db, 'ana', 'test labels');
    expect(outcome.calibration).toMatchObject({ who: 'ana', classifierId: 'clf', classifierSha256: SHA, nInFocus: 6, nOof: 6, cvAccuracy: 1 });
    expect(outcome.calibration.labels).toHaveLength(12);
    expect(outcome.rejudged.frames).toBe(72);
    expect(outcome.released).toEqual([1]);
    expect(calibrationSummary(outcome.calibration)).toBe('calibrated on 12 labels, cross-validated accuracy 1.00');

    const file = join(t.dir, 'profile.json');
    writeProfile(file, profileOf(outcome.calibration, '/ws'));
    const profile = readProfile(file);
    expect(profile).toMatchObject({ format: 'postfocus-microscope-profile', version: PROFILE_VERSION, classifier: { sha256: SHA }, labels: { inFocus: 6, oof: 6 } });
    expect(profile.fit.features).toEqual([...CALIBRATION_FEATURES]);
    expect(CALIBRATION_L2_GRID).toContain(profile.fit.l2);
    expect(applyProfile(t.db, profile, file, 'ben', SHA)).toBeNull(); // already in force: no new audit row
    expect(() => applyProfile(t.db, profile, file, 'ben', 'b'.repeat(64))).toThrow(/calibrated on classifier clf \(aaaaaaaaaaaa\), but this station runs bbbbbbbbbbbb/);
    writeFileSync(file, JSON.stringify({ ...profile, fit: { ...profile.fit, scale: profile.fit.scale.map(() => 0) } }));
    expect(() => readProfile(file)).toThrow(/fit.scale must be positive/);
    writeFileSync(file, JSON.stringify({ ...profile, version: 3 }));
    expect(() => readProfile(file)).toThrow(/unsupported version 3 \(this PostFocus reads versions 1 and 2; a newer PostFocus wrote it, or calibrate again\)/);
    writeFileSync(file, JSON.stringify({ ...profile, fit: { ...profile.fit, features: profile.fit.features.map((n, i) => (i === 2 ? 'log_magic' : n)) } }));
    expect(() => readProfile(file)).toThrow(/fit uses feature\(s\) this PostFocus does not compute: log_magic/);
    writeFileSync(file, '{"format":"something else"}');
    expect(() => readProfile(file)).toThrow(/not a usable microscope profile: "format" must be "postfocus-microscope-profile"/);
    expect(latestCalibration(t.db)!.id).toBe(outcome.calibration.id);
  });

  it('loads a version 1 profile (legacy features) and judges with it as its code did', () => {
    const t = newDb();
    const { ids, truth } = workspace(t.db);
    // What the version 1 code fitted: the six legacy features, relative sharpness from the temporal pass.
    const series = classifiedSeries(t.db, 1);
    const temporal = judgeSeriesTemporal(series);
    const xs = series.map((f, i) => calibrationFeatures(f.pOof, f.metrics, temporal[i]!.relativeSharpness));
    const fit = fitCalibration(xs, series.map((f) => truth.get(f.frameId)!));
    const v1 = {
      format: 'postfocus-microscope-profile', version: 1, createdAt: '2026-11-30T10:00:00.000Z', createdBy: 'ana', origin: '/old-ws',
      classifier: { id: 'clf', sha256: SHA }, labels: { inFocus: 9, oof: 3 }, crossValidation: { accuracy: 1, balancedAccuracy: 1 }, fit, temporalRule: { ...TEMPORAL_RULE },
    };
    const file = join(t.dir, 'v1.json');
    writeFileSync(file, JSON.stringify(v1));
    const profile = readProfile(file);
    expect(profile.fit.features).toEqual([...LEGACY_CALIBRATION_FEATURES]);
    expect(applyProfile(t.db, profile, file, 'ben', SHA)).not.toBeNull();
    const judged = classifiedSeries(t.db, 2).map((f) => f.frameId);
    const rows = [...iterateFrameJudgements(t.db)].filter((r) => judged.includes(r.frame_id));
    expect(rows.every((r) => r.basis === 'calibration')).toBe(true);
    expect(rows.map((r) => r.oof)).toEqual(judged.map((id) => truth.get(id)));
    expect(ids).toHaveLength(72);
  });

  it('refuses labels of unclassified frames and a single class, saying what is missing', () => {
    const t = newDb();
    const { ids } = workspace(t.db);
    recordFocusLabels(t.db, ids.slice(0, 5).map((frameId) => ({ frameId, label: 'in_focus' as const })), 'ana', 'test');
    expect(() => calibrateFromLabels(t.db, 'ana', 'x')).toThrow(/at least 3 labels of each class; the workspace has 5 in focus and 0 out of focus/);
    const run = createRun(t.db, { root: '/acq2', layout: 'timing' });
    const [o] = insertFrames(t.db, [{ runId: run.id, block: '1', well: 'x', t: 1, channel: '0', path: 'new.tif', page: 0, width: 8, height: 8, bits: 8, size: 1, mtimeMs: 1 }]);
    recordFocusLabels(t.db, [{ frameId: o!.frameId, label: 'oof' }], 'ana', 'test');
    expect(() => calibrateFromLabels(t.db, 'ana', 'x')).toThrow(/1 labelled frame\(s\) are not classified yet \(new\.tif\)/);
  });

  it('measures the acceptance protocol: a few labels per class, balanced accuracy on the rest', () => {
    const t = newDb();
    const { truth } = workspace(t.db);
    const e = evaluateCalibration(t.db, truth, 5, 10, 3);
    expect(e).toMatchObject({ frames: 72, oof: 18, perClass: 5, repeats: 10 });
    expect(e.modelBalancedAccuracy).toBe(0.5); // the model calls everything OOF
    // AUC by brute force over (OOF, in-focus) pairs of the fixture's p(OOF) = 0.995 + 0.0004 (id mod 10).
    const p = (id: number) => 0.995 + 0.0004 * (id % 10);
    const oofIds = [...truth].filter(([, y]) => y).map(([id]) => id);
    const inIds = [...truth].filter(([, y]) => !y).map(([id]) => id);
    let wins = 0;
    for (const a of oofIds) for (const b of inIds) wins += p(a) > p(b) ? 1 : p(a) === p(b) ? 0.5 : 0;
    expect(e.modelAuc).toBeCloseTo(wins / (oofIds.length * inIds.length), 10);
    expect(e.calibrated.min).toBeGreaterThanOrEqual(0.95);
    expect(e.calibrated.sd).toBeGreaterThanOrEqual(0);
    expect(e.calibrated.sd).toBeLessThanOrEqual(e.calibrated.max - e.calibrated.min);
    expect(() => evaluateCalibration(t.db, truth, 30, 1, 1)).toThrow(/need more than 30 classified frames of each class/);
  });
});
