import { describe, expect, it } from 'vitest';
import { insertFrames, type NewFrame } from '../../../../main/store/queries/frames.js';
import { classifiedSeries, iterateFrameJudgements } from '../../../../main/store/queries/judgements.js';
import { createRun } from '../../../../main/store/queries/runs.js';
import { recordClassification, startAttempts } from '../../../../main/store/queries/work.js';
import { tempDbPerTest } from '../../../helpers/workspace.js';

const newDb = tempDbPerTest();

function frame(runId: number, over: Partial<NewFrame>): NewFrame {
  return {
    runId, block: '1', well: 'imgNo001', t: 1, channel: '0', path: 'a.tif', page: 0,
    width: 64, height: 48, bits: 8, size: 3200, mtimeMs: 1, ...over,
  };
}

const metrics = { tenenbaum: 2, vollathF4: 0.5, vollathF5: 0.25, normalizedVariance: 0.1, laplacianVariance: 3 };

describe('frame judgements', () => {
  it('lists every frame by run, well and time with the model judgement in force, null while pending', () => {
    const t = newDb();
    const a = createRun(t.db, { root: '/acq/a', layout: 'timing' });
    const b = createRun(t.db, { root: '/acq/b', layout: 'stack' });
    const ids = insertFrames(t.db, [
      frame(a.id, { well: 'imgNo002', t: 2, path: 'w2_t2.tif' }),
      frame(a.id, { well: 'imgNo002', t: 1, path: 'w2_t1.tif' }),
      frame(a.id, { well: 'imgNo001', t: 1, path: 'w1_t1.tif' }),
      frame(b.id, { block: '0', well: 'pos1', t: 3, path: 'stack.tif', page: 2 }),
    ]).map((o) => o.frameId);
    const [att1, att2] = startAttempts(t.db, [ids[0]!, ids[3]!], 'classify');
    recordClassification(t.db, { attemptId: att1!, frameId: ids[0]!, target: 'original', modelId: 'clf', modelSha256: 'abc', pOof: 0.9, oof: true, metrics });
    recordClassification(t.db, { attemptId: att2!, frameId: ids[3]!, target: 'original', modelId: 'clf', modelSha256: 'abc', pOof: 0.2, oof: false, metrics });

    const rows = [...iterateFrameJudgements(t.db)];
    expect(rows.map((r) => `${r.run_id}:${r.well}:t${r.t}`)).toEqual(['1:imgNo001:t1', '1:imgNo002:t1', '1:imgNo002:t2', '2:pos1:t3']);
    expect(rows[0]).toMatchObject({ path: 'w1_t1.tif', state: 'pending', p_oof: null, oof: null, basis: null, position: 1 });
    expect(rows[2]).toMatchObject({ root: '/acq/a', path: 'w2_t2.tif', state: 'oof', p_oof: 0.9, oof: true, basis: 'model', model_id: 'clf', tenenbaum: 2, laplacian_var: 3 });
    expect(rows[3]).toMatchObject({ page: 2, block: '0', state: 'in_focus', p_oof: 0.2, oof: false, basis: 'model' });
    expect([...iterateFrameJudgements(t.db, b.id)].map((r) => r.frame_id)).toEqual([ids[3]]);
  });

  it("gives a well's classified series every focus metric the calibration compares", () => {
    const t = newDb();
    const a = createRun(t.db, { root: '/acq/a', layout: 'timing' });
    const ids = insertFrames(t.db, [frame(a.id, { t: 2, path: 't2.tif' }), frame(a.id, { t: 1, path: 't1.tif' })]).map((o) => o.frameId);
    const attempts = startAttempts(t.db, ids, 'classify');
    ids.forEach((frameId, i) =>
      recordClassification(t.db, { attemptId: attempts[i]!, frameId, target: 'original', modelId: 'clf', modelSha256: 'abc', pOof: 0.3, oof: false, metrics }),
    );
    const series = classifiedSeries(t.db, 1);
    expect(series.map((f) => f.t)).toEqual([1, 2]);
    expect(series[0]!.metrics).toEqual(metrics);
  });
});
