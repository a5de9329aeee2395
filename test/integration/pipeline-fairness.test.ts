/**
 * Scheduling under a steady stream of frames (issue 13): restoration gets its
 * share while classification always has work, instead of running only when the
 * classification queue is empty. No timing assertions: the stream is driven by
 * the pipeline's own events (more frames arrive whenever the classification
 * backlog runs low), and the test checks what completed while it flowed.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticFrame, writeFrame8 } from '../unit/inference/helpers.js';
import { type Harness, harnessesClosedAfterEach, ingest, makePipeline, rows, tempDir } from './pipeline-helpers.js';

const open = harnessesClosedAfterEach();

const WELLS = 8;
const SIZE = 40;

/** Writes time point t of every well (every third frame blurred = OOF); returns how many are OOF. */
function writeTimePoint(root: string, t: number): number {
  let oof = 0;
  for (let w = 1; w <= WELLS; w++) {
    const blurred = (w + t) % 3 === 0;
    if (blurred) oof++;
    const dir = join(root, 'B001', 'images', 'crops_8bit_s', `imgNo${w}CH0`);
    writeFrame8(dir, `imgNo${w}CH0_t${t}.tif`, syntheticFrame(SIZE, SIZE, w * 1000 + t, blurred ? 16 : 0), SIZE, SIZE);
  }
  return oof;
}

describe('scheduling under a steady stream of frames (real forked workers)', () => {
  it('restorations complete while frames keep arriving and classification always has work', async () => {
    const root = tempDir('acq-stream');
    const h = makePipeline(tempDir('ws-stream'));
    open.push(h);
    let t = 0;
    for (; t < 4; t++) writeTimePoint(root, t + 1);
    await ingest(root, h.db);

    const MAX_TIME_POINTS = 400; // the stream's cap: reaching it means restoration was starved
    const pending = () => rows<{ n: number }>(h.db, "SELECT count(*) AS n FROM frame WHERE state = 'pending'")[0]!.n;
    const restoredWhileBacklog: number[] = [];
    let feeding: Promise<void> | null = null;
    let streaming = true;
    // Keep the classification backlog above one batch: whenever it runs low, the "microscope" writes more.
    const feed = async () => {
      while (streaming && pending() < 48 && t < MAX_TIME_POINTS) {
        for (let k = 0; k < 8; k++) writeTimePoint(root, ++t);
        await ingest(root, h.db);
        h.pipeline.notify();
      }
    };
    const done = new Promise<void>((resolve) => {
      h.events.subscribe((e) => {
        if (!streaming) return;
        if (e.type === 'frame-restored') {
          const backlog = pending();
          if (backlog > 0) restoredWhileBacklog.push(backlog);
          if (restoredWhileBacklog.length >= 3) {
            streaming = false;
            resolve();
          }
        }
        if (e.type === 'frame-classified' && !feeding) feeding = feed().finally(() => (feeding = null));
        if (t >= MAX_TIME_POINTS && pending() === 0) {
          streaming = false;
          resolve();
        }
      });
    });
    await h.pipeline.start();
    h.pipeline.notify();
    await done;
    await feeding;

    expect(t, 'the stream ran to its cap before 3 restorations completed: restoration was starved').toBeLessThan(MAX_TIME_POINTS);
    // Each of those restorations completed while unclassified frames were waiting.
    expect(restoredWhileBacklog).toHaveLength(3);
    expect(restoredWhileBacklog.every((n) => n > 0)).toBe(true);
    const restored = rows<{ n: number }>(h.db, 'SELECT count(*) AS n FROM restoration')[0]!.n;
    expect(restored).toBeGreaterThanOrEqual(3);
    // Nothing failed and nothing ran twice on the way.
    const bad = rows<{ n: number }>(h.db, "SELECT count(*) AS n FROM attempt WHERE outcome IN ('error', 'crash')")[0]!.n;
    expect(bad).toBe(0);
  });
});
