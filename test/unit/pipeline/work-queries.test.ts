/** Work derived from the database (main/store/queries/work.ts), on a real SQLite file. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../main/store/database.js';
import { insertFrames } from '../../../main/store/queries/frames.js';
import { createRun } from '../../../main/store/queries/runs.js';
import {
  classifyWork, closeInterruptedAttempts, failAttempt, failureCount, INTERRUPTED_MESSAGE, markFrameFailed, recordClassification,
  recordRestoration, reclassifyWork, restoreWork, startAttempts, workCounts,
} from '../../../main/store/queries/work.js';
import { wellUsability } from '../../../main/pipeline/usability-report.js';
import { tempDir } from '../inference/helpers.js';

const metrics = { tenenbaum: 1, vollathF4: 2, vollathF5: 3, normalizedVariance: 4, laplacianVariance: 5 };

function setup(frames = 6) {
  const db = openDb(join(tempDir('work'), 'w.sqlite'));
  const run = createRun(db, { root: '/acq', layout: 'timing' });
  const ids = insertFrames(db, Array.from({ length: frames }, (_, i) => ({
    runId: run.id, block: '1', well: 'w1', t: i + 1, channel: '0', path: `f${i + 1}.tif`, page: 0, width: 8, height: 8, bits: 8, size: 100, mtimeMs: 1,
  }))).map((o) => o.frameId);
  return { db, ids };
}

const classify = (db: ReturnType<typeof setup>['db'], frameId: number, oof: boolean, target: 'original' | 'restored' = 'original') => {
  const [attemptId] = startAttempts(db, [frameId], target === 'original' ? 'classify' : 'reclassify');
  recordClassification(db, { attemptId: attemptId!, frameId, target, modelId: 'm', modelSha256: 's', pOof: oof ? 0.9 : 0.1, oof, metrics });
};

describe('work queries', () => {
  it('offers pending frames newest first and never a frame in flight', () => {
    const { db, ids } = setup();
    expect(classifyWork(db, 3).map((w) => w.frameId)).toEqual([ids[5], ids[4], ids[3]]);
    startAttempts(db, [ids[5]!, ids[4]!], 'classify');
    expect(classifyWork(db, 3).map((w) => w.frameId)).toEqual([ids[3], ids[2], ids[1]]);
    expect(classifyWork(db, 1)[0]).toMatchObject({ root: '/acq', path: 'f4.tif', failures: 0 });
    closeDb(db);
  });

  it('moves a frame through classify → restore → reclassify, each offered exactly once', () => {
    const { db, ids } = setup(2);
    classify(db, ids[0]!, true);
    classify(db, ids[1]!, false);
    expect(classifyWork(db, 10)).toEqual([]);
    expect(restoreWork(db, 10).map((w) => w.frameId)).toEqual([ids[0]]);
    const [a] = startAttempts(db, [ids[0]!], 'restore');
    expect(restoreWork(db, 10)).toEqual([]);
    recordRestoration(db, {
      attemptId: a!, frameId: ids[0]!, modelId: 'd', modelSha256: 's', sampler: 'ddim', steps: 10, eta: 0, ensemble: 2, seeds: [1, 2],
      meanPath: 'derived/1-mean.tif', spreadPath: 'derived/1-spread.tif', membersPath: null, spreadMean: 0.01, tenenbaumBefore: 1, tenenbaumAfter: 2, durationMs: 5,
    });
    expect(restoreWork(db, 10)).toEqual([]);
    expect(reclassifyWork(db, 10).map((w) => [w.frameId, w.derivedPath])).toEqual([[ids[0], 'derived/1-mean.tif']]);
    classify(db, ids[0]!, false, 'restored');
    expect(reclassifyWork(db, 10)).toEqual([]);
    expect(workCounts(db)).toMatchObject({ frames: 2, pending: 0, inFocus: 1, restored: 1, oofOriginal: 1, reclassified: 1 });
    closeDb(db);
  });

  it('closes attempts left open by a killed process as interrupted crashes, making the frames work again', () => {
    const { db, ids } = setup(3);
    startAttempts(db, [ids[2]!, ids[1]!], 'classify');
    expect(classifyWork(db, 10).map((w) => w.frameId)).toEqual([ids[0]]);
    expect(closeInterruptedAttempts(db)).toBe(2);
    const items = classifyWork(db, 10);
    expect(items.map((w) => [w.frameId, w.failures])).toEqual([[ids[2], 1], [ids[1], 1], [ids[0], 0]]);
    const rows = db.prepare('SELECT outcome, error FROM attempt').all();
    expect(rows).toEqual([{ outcome: 'crash', error: INTERRUPTED_MESSAGE }, { outcome: 'crash', error: INTERRUPTED_MESSAGE }]);
    closeDb(db);
  });

  it('counts failures per kind (cancellations and collateral stops excluded) and records a failed frame with an error_log row', () => {
    const { db, ids } = setup(1);
    const id = ids[0]!;
    for (const [outcome, error] of [
      ['error', 'bad'],
      ['crash', 'killed'],
      ['error', 'cancelled by the operator'],
      ['crash', 'collateral: stopped because another inference worker process exited (code 70); not counted, retried'],
    ] as const) {
      const [a] = startAttempts(db, [id], 'classify');
      failAttempt(db, a!, outcome, error);
    }
    expect(failureCount(db, id, 'classify')).toBe(2);
    expect(failureCount(db, id, 'restore')).toBe(0);
    markFrameFailed(db, id, 'classify', 'classify failed 3 times; last error: bad');
    expect(db.prepare('SELECT state FROM frame WHERE id = ?').get(id)).toEqual({ state: 'failed' });
    expect(db.prepare('SELECT source, path, message FROM error_log').all()).toEqual([{ source: 'classify', path: 'f1.tif', message: 'classify failed 3 times; last error: bad' }]);
    expect(classifyWork(db, 10)).toEqual([]);
    closeDb(db);
  });
});

describe('usability per nanowell before / after restoration', () => {
  it('applies the PostFocus rule to the stored flags', () => {
    const { db, ids } = setup(6);
    // t2 and t3 OOF (two in a row): unusable before; t2 restored in focus, t3 restored still OOF.
    ids.forEach((id, i) => classify(db, id, i === 1 || i === 2));
    expect(wellUsability(db)[0]).toMatchObject({ frames: 6, classified: 6, oofBefore: 2, usability: { before: false, after: null } });
    for (const [k, oofAfter] of [[1, false], [2, true]] as const) {
      const [a] = startAttempts(db, [ids[k]!], 'restore');
      recordRestoration(db, {
        attemptId: a!, frameId: ids[k]!, modelId: 'd', modelSha256: 's', sampler: 'ddim', steps: 1, eta: 0, ensemble: 1, seeds: [1],
        meanPath: `m${k}`, spreadPath: `s${k}`, membersPath: null, spreadMean: 0, tenenbaumBefore: null, tenenbaumAfter: null, durationMs: 1,
      });
      classify(db, ids[k]!, oofAfter, 'restored');
    }
    // 1 OOF frame of 6 (16.7% > 5%): still unusable after; with a looser rule it becomes usable.
    expect(wellUsability(db)[0]).toMatchObject({ oofAfterRecheck: 1, usability: { before: false, after: false } });
    expect(wellUsability(db, { maxOofFraction: 0.2, maxConsecutiveOof: 2 })[0]).toMatchObject({ usability: { before: false, after: true } });
    closeDb(db);
  });
});

describe('minimum frame size for restoration', () => {
  it('fails an OOF frame too small to restore with the reason, never offers it to the restorer or the review', () => {
    const db = openDb(join(tempDir('work-tiny'), 'w.sqlite'));
    const run = createRun(db, { root: '/acq', layout: 'timing' });
    const [tiny, thin, ok] = insertFrames(db, [
      { runId: run.id, block: '1', well: 'w1', t: 1, channel: '0', path: 'tiny.tif', page: 0, width: 1, height: 1, bits: 8, size: 9, mtimeMs: 1 },
      { runId: run.id, block: '1', well: 'w1', t: 2, channel: '0', path: 'thin.tif', page: 0, width: 64, height: 4, bits: 8, size: 9, mtimeMs: 1 },
      { runId: run.id, block: '1', well: 'w1', t: 3, channel: '0', path: 'ok.tif', page: 0, width: 8, height: 8, bits: 8, size: 9, mtimeMs: 1 },
    ]).map((o) => o.frameId);
    for (const id of [tiny!, thin!, ok!]) classify(db, id, true);
    expect(restoreWork(db, 10).map((w) => w.frameId)).toEqual([ok]);
    const states = db.prepare('SELECT id, state FROM frame ORDER BY id').all();
    expect(states).toEqual([{ id: tiny, state: 'failed' }, { id: thin, state: 'failed' }, { id: ok, state: 'oof' }]);
    const errors = db.prepare('SELECT source, path, message FROM error_log ORDER BY id').all() as { source: string; path: string; message: string }[];
    expect(errors.map((e) => [e.source, e.path])).toEqual([['restore', 'tiny.tif'], ['restore', 'thin.tif']]);
    expect(errors[0]!.message).toMatch(/not restored: the frame is 1×1 px, smaller than the 8×8 px/);
    expect(errors[1]!.message).toMatch(/64×4 px/);
    // Once failed, it is not failed (or logged) again.
    restoreWork(db, 10);
    expect((db.prepare('SELECT count(*) AS n FROM error_log').get() as { n: number }).n).toBe(2);
    closeDb(db);
  });
});
