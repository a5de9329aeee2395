/** The restoration priority on a real SQLite file: series query + the pipeline's pick (main/pipeline/priority.ts). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY } from '../../../../main/common/usability.js';
import { nextRestoration } from '../../../../main/pipeline/priority.js';
import { closeDb, openDb } from '../../../../main/store/database.js';
import { insertFrames } from '../../../../main/store/queries/frames.js';
import { seriesOfWells } from '../../../../main/store/queries/restore-priority.js';
import { createRun } from '../../../../main/store/queries/runs.js';
import { recordClassification, restoreWork, startAttempts } from '../../../../main/store/queries/work.js';
import { tempDir } from '../../inference/helpers.js';

const metrics = { tenenbaum: 1, vollathF4: 2, vollathF5: 3, normalizedVariance: 4, laplacianVariance: 5 };

/** Two 40-frame videos: well A with 1 OOF frame (usable anyway), well B with 3 (7.5%: one restoration decides it). */
function setup() {
  const db = openDb(join(tempDir('priority'), 'w.sqlite'));
  const run = createRun(db, { root: '/acq', layout: 'timing' });
  const frames = ['A', 'B'].flatMap((well) =>
    Array.from({ length: 40 }, (_, i) => ({ runId: run.id, block: '1', well, t: i + 1, channel: '0', path: `${well}${i + 1}.tif`, page: 0, width: 8, height: 8, bits: 8, size: 100, mtimeMs: 1 })),
  );
  const ids = insertFrames(db, frames).map((o) => o.frameId);
  const oof = new Set([ids[4]!, ids[40 + 9]!, ids[40 + 19]!, ids[40 + 29]!]); // A t5; B t10, t20, t30
  for (const frameId of ids) {
    const [attemptId] = startAttempts(db, [frameId], 'classify');
    const o = oof.has(frameId);
    recordClassification(db, { attemptId: attemptId!, frameId, target: 'original', modelId: 'm', modelSha256: 's', pOof: o ? 0.9 : 0.1, oof: o, metrics });
  }
  return { db, ids };
}

describe('restoration priority on the workspace database', () => {
  it('reads each video in time order with its OOF flags and restorations in flight', () => {
    const { db, ids } = setup();
    startAttempts(db, [ids[4]!], 'restore');
    const [wellA, wellB] = (db.prepare('SELECT id FROM nanowell ORDER BY well').all() as { id: number }[]).map((r) => r.id);
    const series = seriesOfWells(db, [wellB!]);
    expect(series).toHaveLength(40);
    expect(series.map((f) => f.t)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(series.filter((f) => f.oof === 1).map((f) => f.frameId)).toEqual([ids[49], ids[59], ids[69]]);
    expect(seriesOfWells(db, [wellA!]).find((f) => f.frameId === ids[4])).toMatchObject({ oof: 1, inFlight: 1, state: 'oof' });
    expect(seriesOfWells(db, [wellB!, wellA!, wellB!]).map((f) => f.wellId)).toEqual([...Array(40).fill(wellA), ...Array(40).fill(wellB)]);
    expect(seriesOfWells(db, [])).toEqual([]);
    closeDb(db);
  });

  it('picks the frame that decides a video before an older one that does not, then moves on', () => {
    const { db, ids } = setup();
    expect(restoreWork(db, 1)[0]!.frameId).toBe(ids[4]); // oldest first would take well A's frame
    const first = nextRestoration(db, DEFAULT_USABILITY)!;
    expect(first.frameId).toBe(ids[49]); // well B, just over the 5% rule
    startAttempts(db, [first.frameId], 'restore');
    // With that restoration in flight well B is at 2 of 40 (usable): the oldest frame goes next.
    expect(nextRestoration(db, DEFAULT_USABILITY)!.frameId).toBe(ids[4]);
    closeDb(db);
  });
});
