// The station's calibration commands: focus labels (I / O keys), calibrate, "restore anyway" — and a calibration that survives a restart.
import { afterEach, describe, expect, it } from 'vitest';
import type { StationEvent } from '../../../preload/api.js';
import { Station } from '../../../main/station/station.js';
import { closeDb, openWorkspaceDb } from '../../../main/store/database.js';
import { insertFrames } from '../../../main/store/queries/frames.js';
import { createRun } from '../../../main/store/queries/runs.js';
import { recordClassification, startAttempts } from '../../../main/store/queries/work.js';
import { judgeAfterClassification } from '../../../main/pipeline/judge.js';
import { tempDir } from '../../helpers/workspace.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

/**
 * A workspace of 3 wells × 10 frames the model is sure are OOF (p ≥ 0.995, as bright field can be under
 * phase-contrast models), where every 5th frame is blurred (content sharpness 0.3 of the others).
 */
function brightFieldLikeWorkspace(workspace: string): { ids: number[]; blurred: Set<number> } {
  const db = openWorkspaceDb(workspace);
  try {
    const run = createRun(db, { root: '/acq', layout: 'timing' });
    const ids: number[] = [];
    const blurred = new Set<number>();
    for (let w = 0; w < 3; w++) {
      const wellIds = insertFrames(
        db,
        Array.from({ length: 10 }, (_, t) => ({ runId: run.id, block: '1', well: `w${w}`, t: t + 1, channel: '0', path: `w${w}_t${t + 1}.tif`, page: 0, width: 8, height: 8, bits: 16, size: 1, mtimeMs: 1 })),
      ).map((o) => o.frameId);
      const attempts = startAttempts(db, wellIds, 'classify');
      wellIds.forEach((id, t) => {
        const blur = t % 5 === 4;
        if (blur) blurred.add(id);
        recordClassification(db, {
          attemptId: attempts[t]!, frameId: id, target: 'original', modelId: 'clf', modelSha256: 'sha-clf', pOof: 0.995 + 0.0004 * ((id * 7) % 10), oof: true,
          metrics: { tenenbaum: 0.02, laplacianVariance: 0.02 * (blur ? 0.3 : 1) * (1 + 0.02 * ((id * 3) % 5)), normalizedVariance: 0.001, vollathF4: null, vollathF5: null },
        });
      });
      ids.push(...wellIds);
    }
    judgeAfterClassification(db, ids);
    return { ids, blurred };
  } finally {
    closeDb(db);
  }
}

describe('Station focus calibration', () => {
  it('labels frames, says what is missing, calibrates, releases the guard, and keeps the calibration across a restart', async () => {
    const tmp = tempDir('pf-focus-');
    cleanup = tmp.cleanup;
    const { ids, blurred } = brightFieldLikeWorkspace(tmp.dir);
    const station = new Station({ workspace: tmp.dir, pipeline: 'no models in this test' });
    const events: StationEvent[] = [];
    station.subscribe((e) => events.push(e));
    try {
      let status = await station.getFocusStatus();
      expect(status).toMatchObject({ summary: 'not calibrated', calibrated: false, labels: { inFocus: 0, oof: 0 }, restorationHeld: true });
      expect(status.guards[0]).toMatchObject({ state: 'tripped', judged: 30 });

      const sharp = ids.filter((id) => !blurred.has(id));
      const blur = ids.filter((id) => blurred.has(id));
      await station.labelFocus({ frameIds: sharp.slice(0, 8), label: 'in_focus', who: 'ana' });
      status = await station.labelFocus({ frameIds: blur.slice(0, 2), label: 'oof', who: 'ana' });
      expect(status.labels).toEqual({ inFocus: 8, oof: 2 });
      expect(events.at(-1)).toMatchObject({ type: 'focus', status: { labels: { inFocus: 8, oof: 2 } } });
      await expect(station.calibrate({ who: 'ana' })).rejects.toThrow(/at least 3 labels of each class; the workspace has 8 in focus and 2 out of focus/);
      await expect(station.labelFocus({ frameIds: [999_999], label: 'oof', who: 'ana' })).rejects.toThrow(/no such frame/);

      await station.labelFocus({ frameIds: blur.slice(2, 5), label: 'oof', who: 'ana' });
      // A label withdrawn is not used.
      await station.labelFocus({ frameIds: [sharp[0]!], label: 'clear', who: 'ana' });
      status = await station.calibrate({ who: 'ana' });
      expect(status).toMatchObject({ calibrated: true, restorationHeld: false, calibration: { who: 'ana', inFocus: 7, oof: 5, source: 'app labels' } });
      expect(status.summary).toMatch(/^calibrated on 12 labels, cross-validated accuracy 1\.00$/);
      expect(status.guards[0]!.state).toBe('released');
    } finally {
      await station.close();
    }

    const again = new Station({ workspace: tmp.dir, pipeline: 'no models in this test' });
    try {
      const status = await again.getFocusStatus();
      expect(status).toMatchObject({ calibrated: true, calibration: { inFocus: 7, oof: 5 }, labels: { inFocus: 7, oof: 5 } });
      const well = await again.getNanowell((await again.getOverview()).wells[0]!.id);
      expect(well.frames.map((f) => f.state)).toEqual(well.frames.map((_, t) => (t % 5 === 4 ? 'oof' : 'in_focus')));
    } finally {
      await again.close();
    }
  });

  it('"restore anyway" releases a tripped guard with who, and only a tripped one', async () => {
    const tmp = tempDir('pf-focus-');
    cleanup = tmp.cleanup;
    brightFieldLikeWorkspace(tmp.dir);
    const station = new Station({ workspace: tmp.dir, pipeline: 'no models in this test' });
    try {
      const status = await station.restoreAnyway({ who: 'ben' });
      expect(status).toMatchObject({ restorationHeld: false, calibrated: false, guards: [{ state: 'released' }] });
    } finally {
      await station.close();
    }
    const db = openWorkspaceDb(tmp.dir);
    try {
      expect(db.prepare(`SELECT kind, who, reason FROM guard_event ORDER BY id`).all()).toMatchObject([
        { kind: 'trip' }, { kind: 'release', who: 'ben', reason: 'restore anyway (operator confirmed)' },
      ]);
    } finally {
      closeDb(db);
    }
  });
});
