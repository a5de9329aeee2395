import { describe, expect, it } from 'vitest';
import {
  countFrames,
  countFramesByState,
  getFrame,
  insertFrames,
  knownFiles,
  type NewFrame,
} from '../../../../main/store/queries/frames.js';
import { createRun } from '../../../../main/store/queries/runs.js';
import { tempDbPerTest } from '../../../helpers/workspace.js';

const newDb = tempDbPerTest();

function frame(runId: number, over: Partial<NewFrame>): NewFrame {
  return {
    runId,
    block: '1',
    well: 'imgNo001',
    t: 1,
    channel: '0',
    path: 'B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t1.tif',
    page: 0,
    width: 64,
    height: 48,
    bits: 8,
    size: 3200,
    mtimeMs: 1700000000000.5,
    ...over,
  };
}

describe('frame queries', () => {
  it('inserts a batch in one transaction, creating nanowells, and is idempotent per (path, page)', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const batch = [1, 2, 3].map((k) => frame(run.id, { t: k, path: `w1_t${k}.tif` }));
    batch.push(frame(run.id, { well: 'imgNo002', t: 1, path: 'w2_t1.tif' }));
    const first = insertFrames(t.db, batch);
    expect(first.map((o) => o.status)).toEqual(['inserted', 'inserted', 'inserted', 'inserted']);
    expect(new Set(first.map((o) => o.wellId)).size).toBe(2);
    const again = insertFrames(t.db, batch);
    expect(again.map((o) => o.status)).toEqual(['known', 'known', 'known', 'known']);
    expect(again.map((o) => o.frameId)).toEqual(first.map((o) => o.frameId));
    expect(countFrames(t.db, run.id)).toBe(4);
    const row = getFrame(t.db, first[0]!.frameId)!;
    expect(row).toMatchObject({ t: 1, channel: '0', path: 'w1_t1.tif', page: 0, width: 64, height: 48, bits: 8, size: 3200, state: 'pending' });
    expect(row.mtimeMs).toBe(1700000000000.5);
    expect(new Set(first.slice(0, 3).map((o) => o.wellId)).size).toBe(1);
  });

  it("reports a second file for a nanowell's (t, channel) as a duplicate, not a new frame", () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    insertFrames(t.db, [frame(run.id, { path: 'a/x_t1.tif' })]);
    const [dup] = insertFrames(t.db, [frame(run.id, { path: 'b/x_t1.tif' })]);
    expect(dup).toMatchObject({ status: 'duplicate', existingPath: 'a/x_t1.tif' });
    expect(countFrames(t.db, run.id)).toBe(1);
  });

  it('rolls the whole batch back when one row is invalid', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    expect(() => insertFrames(t.db, [frame(run.id, { t: 1, path: 'ok.tif' }), frame(run.id, { t: 2, path: 'bad.tif', bits: 12 })])).toThrow(
      /CHECK/,
    );
    expect(countFrames(t.db, run.id)).toBe(0);
  });

  it('lists known files with their pages and latest size (stacks grow)', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'stack' });
    insertFrames(t.db, [
      frame(run.id, { well: 's1', t: 1, page: 0, path: 's1.ome.tif', size: 1000, mtimeMs: 1 }),
      frame(run.id, { well: 's1', t: 2, page: 1, path: 's1.ome.tif', size: 2000, mtimeMs: 2 }),
      frame(run.id, { well: 's2', t: 1, page: 0, path: 's2.ome.tif', size: 900, mtimeMs: 3 }),
    ]);
    const known = knownFiles(t.db, run.id);
    expect([...known.keys()].sort()).toEqual(['s1.ome.tif', 's2.ome.tif']);
    expect([...known.get('s1.ome.tif')!.pages].sort()).toEqual([0, 1]);
    expect(known.get('s1.ome.tif')).toMatchObject({ size: 2000, mtimeMs: 2 });
  });

  it('counts per state and pages through frames of a state', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const ids = insertFrames(
      t.db,
      [1, 2, 3, 4].map((k) => frame(run.id, { t: k, path: `f${k}.tif` })),
    ).map((o) => o.frameId);
    const setState = t.db.prepare('UPDATE frame SET state = ? WHERE id = ?');
    setState.run('oof', ids[1]!);
    setState.run('in_focus', ids[2]!);
    expect(countFramesByState(t.db, run.id)).toEqual({ pending: 2, in_focus: 1, oof: 1, restored: 0, failed: 0 });
    expect(countFramesByState(t.db)).toEqual({ pending: 2, in_focus: 1, oof: 1, restored: 0, failed: 0 });
  });
});
