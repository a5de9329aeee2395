import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StationEvent } from '../../preload/api.js';
import { probeTiff } from '../../main/imaging/tiff-read.js';
import { type Harness, harnessesClosedAfterEach, ingest, makePipeline, rows, startedPipeline, tempDir, writeAcquisition } from './pipeline-helpers.js';
import { defaultClassifyWorkers } from '../../main/pipeline/worker-pool.js';

const open = harnessesClosedAfterEach();

describe('pipeline end to end on the fixture models (real forked worker)', () => {
  it('classifies every frame, restores and re-classifies every OOF frame, and persists it all', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 3, T: 8 });
    const h = makePipeline(tempDir('ws'));
    open.push(h);
    const seen: StationEvent[] = [];
    h.events.subscribe((e) => seen.push(e));
    expect(await ingest(acq.root, h.db)).toBe(24);
    await h.pipeline.start();
    h.pipeline.notify();
    await h.pipeline.whenIdle();

    const frames = rows<{ id: number; path: string; state: string }>(h.db, 'SELECT id, path, state FROM frame');
    expect(frames).toHaveLength(24);
    expect(frames.filter((f) => f.state === 'pending' || f.state === 'failed')).toEqual([]);
    const classified = rows<{ frame_id: number; oof: number; tenenbaum: number | null }>(h.db, "SELECT frame_id, oof, tenenbaum FROM classification WHERE target = 'original'");
    expect(classified).toHaveLength(24);
    expect(classified.every((c) => c.tenenbaum !== null && c.tenenbaum > 0)).toBe(true);
    // The fixture classifier is a sharpness detector: it agrees with how the frames were written.
    const oofIds = new Set(classified.filter((c) => c.oof === 1).map((c) => c.frame_id));
    for (const f of frames) expect([f.path, oofIds.has(f.id)]).toEqual([f.path, acq.truth.get(f.path)]);
    expect(oofIds.size).toBeGreaterThan(0);

    const restorations = rows<{ frame_id: number; mean_path: string; spread_path: string; members_path: string; seeds: string; sampler: string; ensemble: number }>(h.db, 'SELECT * FROM restoration');
    expect(new Set(restorations.map((r) => r.frame_id))).toEqual(oofIds);
    for (const r of restorations) {
      expect(r.mean_path).toBe(`derived/${r.frame_id}-mean.tif`);
      expect(JSON.parse(r.seeds)).toHaveLength(3);
      expect([r.sampler, r.ensemble]).toEqual(['ddim', 3]);
      for (const p of [r.mean_path, r.spread_path, r.members_path]) expect(existsSync(join(h.workspace, p))).toBe(true);
      expect((await probeTiff(join(h.workspace, r.members_path))).pages).toBe(3);
    }
    const states = rows<{ id: number; state: string }>(h.db, 'SELECT id, state FROM frame');
    for (const s of states) expect(s.state).toBe(oofIds.has(s.id) ? 'restored' : 'in_focus');
    const reclassified = rows<{ frame_id: number }>(h.db, "SELECT frame_id FROM classification WHERE target = 'restored'");
    expect(new Set(reclassified.map((r) => r.frame_id))).toEqual(oofIds);

    // Exactly one successful attempt per unit of work, no failures.
    const attempts = rows<{ kind: string; outcome: string; n: number }>(h.db, 'SELECT kind, outcome, count(*) AS n FROM attempt GROUP BY kind, outcome ORDER BY kind');
    expect(attempts).toEqual([
      { kind: 'classify', outcome: 'ok', n: 24 },
      { kind: 'reclassify', outcome: 'ok', n: oofIds.size },
      { kind: 'restore', outcome: 'ok', n: oofIds.size },
    ]);

    // Events and progress.
    expect(seen.filter((e) => e.type === 'frame-classified' && e.target === 'original')).toHaveLength(24);
    expect(seen.filter((e) => e.type === 'frame-restored')).toHaveLength(oofIds.size);
    const engine = seen.find((e) => e.type === 'engine');
    expect(engine && engine.type === 'engine' && engine.status.provider).toBe('cpu');
    const p = h.pipeline.progress();
    expect([p.classify.done, p.classify.total, p.restore.done, p.restore.total]).toEqual([24, 24, oofIds.size, oofIds.size]);
    const wells = h.pipeline.wells();
    expect(wells).toHaveLength(3);
    expect(wells.every((w) => w.usability.before !== null && w.usability.after !== null)).toBe(true);
  });

  it('classifies newest frames first while live', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 40, oof: () => false });
    const h = makePipeline(tempDir('ws'), { classifyBatch: 8 });
    open.push(h);
    await ingest(acq.root, h.db);
    const order: number[] = [];
    h.events.subscribe((e) => e.type === 'frame-classified' && order.push(e.frameId));
    await h.pipeline.start();
    await h.pipeline.whenIdle();
    expect(order).toHaveLength(40);
    // Dispatch order is the attempt order: batches of 8 go out newest first, each wholly newer than
    // the next (frame ids follow t: the acquisition was ingested in time order).
    const dispatched = rows<{ frame_id: number }>(h.db, "SELECT frame_id FROM attempt WHERE kind = 'classify' ORDER BY id").map((r) => r.frame_id);
    const batches = [0, 8, 16, 24, 32].map((i) => dispatched.slice(i, i + 8));
    expect(batches.map((b) => [Math.min(...b), Math.max(...b)])).toEqual([[33, 40], [25, 32], [17, 24], [9, 16], [1, 8]]);
    // Landing order depends on the processes (one may still be starting), but the first batch to land
    // is one of those dispatched at once (CLASSIFY_IN_FLIGHT_PER_WORKER = 2 per process), never the oldest.
    expect(Math.min(...order.slice(0, 8))).toBeGreaterThan(40 - 8 * 2 * defaultClassifyWorkers());
  });

  it('pauses and resumes', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 10 });
    const h = makePipeline(tempDir('ws'));
    open.push(h);
    await ingest(acq.root, h.db);
    h.pipeline.setPaused(true);
    await h.pipeline.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(rows(h.db, 'SELECT id FROM attempt')).toHaveLength(0);
    expect(h.pipeline.progress().paused).toBe(true);
    h.pipeline.setPaused(false);
    await h.pipeline.whenIdle();
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'pending'")).toHaveLength(0);
  });

  it('cancels the restoration in flight without counting a failed try, and restores it after resuming', async () => {
    const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 3, size: 32, oof: (_w, t) => t === 2 });
    const h = await startedPipeline(open, acq.root, { restore: { sampler: 'ddim', steps: 400, eta: 0, ensemble: 2 } });
    const end = Date.now() + 30_000;
    while (rows(h.db, "SELECT id FROM attempt WHERE kind = 'restore' AND finished_at IS NULL").length === 0) {
      if (Date.now() > end) throw new Error('no restoration started');
      await new Promise((r) => setTimeout(r, 10));
    }
    h.pipeline.cancel();
    expect(h.pipeline.progress().paused).toBe(true);
    while (rows(h.db, 'SELECT id FROM attempt WHERE finished_at IS NULL').length > 0) {
      if (Date.now() > end) throw new Error('the cancelled restoration did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'oof'")).toHaveLength(1);
    h.pipeline.setPaused(false);
    await h.pipeline.whenIdle();
    const attempts = rows<{ outcome: string; error: string | null }>(h.db, "SELECT outcome, error FROM attempt WHERE kind = 'restore' ORDER BY id");
    expect(attempts).toEqual([{ outcome: 'error', error: 'cancelled by the operator' }, { outcome: 'ok', error: null }]);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'restored'")).toHaveLength(1);
  });
});
