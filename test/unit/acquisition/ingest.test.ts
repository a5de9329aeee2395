import { appendFileSync, chmodSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationEvent } from '../../../preload/api.js';
import { AcquisitionIngestor, ingestOnce, LayoutDetectionError } from '../../../main/acquisition/ingest.js';
import { EventBus } from '../../../main/common/event-bus.js';
import { closeDb, openWorkspaceDb, type Db } from '../../../main/store/database.js';
import { countErrors, listErrors } from '../../../main/store/queries/errors.js';
import { countFrames } from '../../../main/store/queries/frames.js';
import { getRunByRoot } from '../../../main/store/queries/runs.js';
import { frameTiff, put, snapshotTree, timingPath, writeTimingTree } from '../../helpers/acquisition.js';
import { brokenTiff, encodeTestTiff, testImage } from '../../helpers/tiff-fixtures.mjs';
import { tempDir } from '../../helpers/workspace.js';

const here = dirname(fileURLToPath(import.meta.url));
const REAL_TIFF_DIR = resolve(here, '../../..', '..', 'shared/data/real-tiff');
if (!existsSync(REAL_TIFF_DIR)) console.warn(`skipping the real-file ingest: ${REAL_TIFF_DIR} is absent`);
const isRoot = process.getuid?.() === 0;
if (isRoot) console.warn('skipping the permission-denied ingest: running as root, which reads any file');

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(): { acq: string; db: Db; ws: string } {
  const t = tempDir('pf-ingest-');
  const acq = join(t.dir, 'acq');
  const ws = join(t.dir, 'ws');
  const db = openWorkspaceDb(ws);
  cleanups.push(() => {
    closeDb(db);
    t.cleanup();
  });
  return { acq, db, ws };
}

function frameRows(db: Db) {
  return db
    .prepare<[], { block: string; well: string; t: number; channel: string; path: string; page: number; size: number }>(
      `SELECT n.block, n.well, f.t, f.channel, f.path, f.page, f.size
         FROM frame f JOIN nanowell n ON n.id = f.nanowell_id ORDER BY n.block, n.well, f.t, f.channel`,
    )
    .all();
}

describe('ingestOnce', () => {
  it('ingests a TIMING tree once, ignores unknown files, skips known ones on the next pass', async () => {
    const { acq, db } = setup();
    const paths = writeTimingTree(acq, 2, 3, 4);
    put(acq, 'B1/images/crops_8bit_s/notes.txt', 'operator notes');
    put(acq, 'B1/images/crops_8bit_s/imgNo001CH1/imgNo001CH1_t1.tif', frameTiff(1)); // fluorescence channel: not a frame
    put(acq, 'B1/images/crops_8bit_s/imgNo001CH0/.imgNo001CH0_t9.tif.swp', 'x'); // transient: neither frame nor ignored
    const before = snapshotTree(acq);
    const bus = new EventBus();
    const events: StationEvent[] = [];
    bus.subscribe((e) => events.push(e));

    const first = await ingestOnce(acq, db, { bus, stableMs: 50 });
    expect(first).toMatchObject({ layout: 'timing', ingested: 24, ignored: 2, errors: 0, pending: 0, knownFiles: 24 });
    expect(events.filter((e) => e.type === 'frame-ingested')).toHaveLength(24);
    const rows = frameRows(db);
    expect(rows.map((r) => r.path).sort()).toEqual([...paths].sort());
    expect(rows[0]).toMatchObject({ block: '1', well: 'imgNo001', t: 1, channel: '0', page: 0 });
    expect(getRunByRoot(db, resolve(acq))).toMatchObject({ layout: 'timing', ignoredFiles: 2 });

    const second = await ingestOnce(acq, db, { bus, stableMs: 50 });
    expect(second).toMatchObject({ ingested: 0, ignored: 2, errors: 0, knownFiles: 24 });
    expect(countFrames(db, first.runId!)).toBe(24);
    expect(getRunByRoot(db, resolve(acq))!.ignoredFiles).toBe(2);
    expect(snapshotTree(acq), 'the acquisition folder was modified').toEqual(before);
  });

  it('records each corrupt or truncated file once and still ingests every good frame', async () => {
    const { acq, db } = setup();
    writeTimingTree(acq, 1, 2, 5);
    const kinds = ['truncated', 'not-tiff', 'empty', 'ifd-beyond-end', 'ifd-loop', 'strip-beyond-end', 'header-only'] as const;
    kinds.forEach((kind, k) => put(acq, timingPath(1, 9, k + 1), brokenTiff(kind, k)));
    const bus = new EventBus();
    const errors: string[] = [];
    bus.subscribe((e) => e.type === 'error' && errors.push(`${e.entry.path}: ${e.entry.message}`));

    const first = await ingestOnce(acq, db, { bus, stableMs: 50 });
    expect(first).toMatchObject({ ingested: 10, errors: 7, newErrors: 7 });
    expect(errors).toHaveLength(7);
    expect(errors.find((e) => e.includes('_t1.tif'))).toMatch(/truncated TIFF: page 0 strip \d+ ends at byte \d+, beyond the end of the file/);
    expect(errors.find((e) => e.includes('_t2.tif'))).toMatch(/not a TIFF/);
    expect(errors.find((e) => e.includes('_t3.tif'))).toMatch(/empty file/);
    expect(errors.find((e) => e.includes('_t5.tif'))).toMatch(/corrupt TIFF: IFD chain loops/);

    // A second pass meets the same files: counted as errors of the pass, no second row.
    const second = await ingestOnce(acq, db, { bus, stableMs: 50 });
    expect(second).toMatchObject({ ingested: 0, errors: 7, newErrors: 0 });
    expect(countErrors(db)).toBe(7);

    // A repaired file is ingested by a later pass.
    put(acq, timingPath(1, 9, 1), frameTiff(77));
    const third = await ingestOnce(acq, db, { stableMs: 50 });
    expect(third).toMatchObject({ ingested: 1, errors: 6 });
  });

  it('a frame the database refuses fails alone: its file gets an error row, the rest of the batch is ingested', async () => {
    const { acq, db } = setup();
    writeTimingTree(acq, 1, 2, 3);
    // Stands in for any constraint a frame could break (the bits CHECK once did, for 64-bit float files).
    db.exec(`CREATE TRIGGER refuse_one BEFORE INSERT ON frame WHEN NEW.path LIKE '%imgNo002CH0_t2%' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
    const result = await ingestOnce(acq, db, { stableMs: 20 });
    expect(result).toMatchObject({ ingested: 5, errors: 1 });
    expect(listErrors(db, { limit: 5 })[0]).toMatchObject({ source: 'ingest', message: expect.stringMatching(/page 0 cannot be recorded in the workspace database: refused for the test/) });
    expect(frameRows(db).map((r) => `${r.well}:${r.t}`)).toEqual(['imgNo001:1', 'imgNo001:2', 'imgNo001:3', 'imgNo002:1', 'imgNo002:3']);
  });

  it('leaves a file that is still growing for a later pass, and never ingests it early', async () => {
    const { acq, db } = setup();
    writeTimingTree(acq, 1, 1, 2);
    const full = frameTiff(5, { width: 64, height: 64, order: 'data-first' });
    const growing = put(acq, timingPath(1, 1, 3), full.subarray(0, 100));
    let written = 100;
    const timer = setInterval(() => {
      const next = Math.min(full.length, written + 40);
      appendFileSync(growing, full.subarray(written, next));
      written = next;
    }, 10);
    try {
      const pass = await ingestOnce(acq, db, { stableMs: 200 });
      expect(pass).toMatchObject({ ingested: 2, pending: 1, errors: 0 });
    } finally {
      clearInterval(timer);
    }
    writeFileSync(growing, full);
    const later = await ingestOnce(acq, db, { stableMs: 50 });
    expect(later).toMatchObject({ ingested: 1, pending: 0, errors: 0 });
    expect(frameRows(db).find((r) => r.t === 3)!.size).toBe(full.length);
  });

  it('reports a second file for the same (well, t) as a duplicate time point', async () => {
    const { acq, db } = setup();
    put(acq, 'B1/images/crops_8bit_s/imgNo001CH0/a_t1.tif', frameTiff(1));
    put(acq, 'B1/images/crops_8bit_s/imgNo001CH0/b_t1.tif', frameTiff(2));
    const pass = await ingestOnce(acq, db, { stableMs: 20 });
    expect(pass).toMatchObject({ ingested: 1, errors: 1 });
    expect(listErrors(db, { limit: 5 })[0]!.message).toMatch(
      /duplicate time point: t=1 channel 0 of nanowell B1-imgNo001 was already ingested from .*a_t1\.tif/,
    );
  });

  it('detects Micro-Manager trees and multi-page stacks; a grown stack adds only its new pages', async () => {
    const mm = setup();
    for (let pos = 0; pos < 2; pos++) {
      for (let t = 0; t < 3; t++) {
        const p = String(pos).padStart(3, '0');
        put(mm.acq, `Pos${pos}/img_channel000_position${p}_time${String(t).padStart(9, '0')}_z000.tif`, frameTiff(pos * 10 + t, { bits: 16 }));
      }
    }
    put(mm.acq, 'Pos0/metadata.txt', '{}');
    expect(await ingestOnce(mm.acq, mm.db, { stableMs: 20 })).toMatchObject({ layout: 'micromanager', ingested: 6, ignored: 1 });
    expect(frameRows(mm.db).map((r) => `${r.block}/${r.well}/${r.t}`)).toEqual(['Pos0/0/1', 'Pos0/0/2', 'Pos0/0/3', 'Pos1/1/1', 'Pos1/1/2', 'Pos1/1/3']);

    const st = setup();
    const pages = (n: number, seed: number) =>
      Array.from({ length: n }, (_, k) => ({ width: 12, height: 8, data: testImage(12, 8, 16, seed + k) }));
    put(st.acq, 'plate/w1.ome.tif', encodeTestTiff(pages(3, 1), { compression: 'deflate' }));
    put(st.acq, 'plate/w2.ome.tif', encodeTestTiff(pages(2, 9)));
    put(st.acq, 'plate/readme.txt', 'not a frame');
    expect(await ingestOnce(st.acq, st.db, { stableMs: 20 })).toMatchObject({ layout: 'stack', ingested: 5, ignored: 1, errors: 0 });
    put(st.acq, 'plate/w1.ome.tif', encodeTestTiff(pages(5, 1), { compression: 'deflate' }));
    expect(await ingestOnce(st.acq, st.db, { stableMs: 20 })).toMatchObject({ ingested: 2, errors: 0 });
    expect(frameRows(st.db).filter((r) => r.well === 'w1').map((r) => `${r.page}:${r.t}`)).toEqual(['0:1', '1:2', '2:3', '3:4', '4:5']);
  });

  it('reads one channel of a multi-channel acquisition (--channel): other channels are ignored, stack pages filtered', async () => {
    const mm = setup();
    for (let c = 0; c < 2; c++) {
      for (let t = 0; t < 3; t++) put(mm.acq, `Pos0/img_channel00${c}_position000_time${String(t).padStart(9, '0')}_z000.tif`, frameTiff(c * 10 + t));
    }
    expect(await ingestOnce(mm.acq, mm.db, { stableMs: 20, channel: '0' })).toMatchObject({ layout: 'micromanager', ingested: 3, ignored: 3, errors: 0 });
    expect(frameRows(mm.db).map((r) => `${r.channel}:${r.t}`)).toEqual(['0:1', '0:2', '0:3']);

    // An OME stack of 2 channels × 3 time points (XYCZT: channel fastest): only channel 1's pages.
    const st = setup();
    const ome = '<?xml version="1.0"?><OME><Image><Pixels DimensionOrder="XYCZT" SizeT="3" SizeZ="1" SizeC="2"/></Image></OME>';
    const pages = Array.from({ length: 6 }, (_, k) => ({ width: 12, height: 8, data: testImage(12, 8, 16, k) }));
    put(st.acq, 'plate/w1.ome.tif', encodeTestTiff(pages, { description: ome }));
    expect(await ingestOnce(st.acq, st.db, { stableMs: 20, layout: 'stack', channel: '1' })).toMatchObject({ ingested: 3, errors: 0 });
    expect(frameRows(st.db).map((r) => `${r.page}:${r.channel}:${r.t}`)).toEqual(['1:1:1', '3:1:2', '5:1:3']);
  });

  it('explains what it expected when no layout matches', async () => {
    const { acq, db } = setup();
    put(acq, 'data/frame-0001.tif', frameTiff(1));
    put(acq, 'data/frame-0002.tif', frameTiff(2));
    const err = await ingestOnce(acq, db, { stableMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayoutDetectionError);
    expect((err as Error).message).toMatch(/no acquisition layout recognised in .*2 file\(s\) sampled.*data\/frame-0001\.tif/s);
    expect((err as Error).message).toMatch(/TIMING: B<block>\/images\/crops_8bit_s/);
    expect((err as Error).message).toMatch(/Micro-Manager/);
    expect((err as Error).message).toMatch(/--pattern/);
    // The same tree ingests with a user pattern.
    expect(await ingestOnce(acq, db, { pattern: '{well}/frame-{t}.tif', stableMs: 20 })).toMatchObject({ ingested: 2, errors: 0 });
  });

  it('refuses to switch the layout of a run that has frames, and fails clearly on a missing folder', async () => {
    const { acq, db } = setup();
    put(acq, 'W1/f_1.tif', frameTiff(1));
    await ingestOnce(acq, db, { pattern: 'W{well}/f_{t}.tif', stableMs: 20 });
    expect(() => new AcquisitionIngestor(db, acq, { layout: 'timing' })).toThrow(/was ingested into this workspace with layout pattern/);
    renameSync(acq, `${acq}-gone`);
    await expect(ingestOnce(acq, db, { pattern: 'W{well}/f_{t}.tif', stableMs: 20 })).rejects.toThrow(/is not reachable/);
    expect(listErrors(db, { limit: 1 })[0]!.message).toMatch(/acquisition folder .* is not reachable \(ENOENT\)/);
  });

  it.skipIf(isRoot)('records an unreadable file (permission denied) and continues', async () => {
    const { acq, db } = setup();
    writeTimingTree(acq, 1, 1, 2);
    const locked = put(acq, timingPath(1, 1, 3), frameTiff(3));
    chmodSync(locked, 0o000);
    cleanups.push(() => chmodSync(locked, 0o644));
    const pass = await ingestOnce(acq, db, { stableMs: 20 });
    expect(pass).toMatchObject({ ingested: 2, errors: 1 });
    expect(listErrors(db, { limit: 1 })[0]!.message).toMatch(/permission denied/);
  });

  it.skipIf(!existsSync(REAL_TIFF_DIR))('ingests the real instrument files with a user pattern, reading them only', async () => {
    const { db } = setup();
    const before = snapshotTree(REAL_TIFF_DIR);
    const pass = await ingestOnce(REAL_TIFF_DIR, db, { pattern: '{well}.*', stableMs: 20 });
    expect(pass).toMatchObject({ layout: 'pattern', ingested: 3, errors: 0, ignored: 0 });
    const rows = db.prepare<[], { path: string; width: number; height: number; bits: number; size: number }>(
      'SELECT path, width, height, bits, size FROM frame ORDER BY path',
    ).all();
    expect(rows.map((r) => [r.width, r.height, r.bits])).toEqual([
      [696, 520, 16],
      [696, 520, 16],
      [696, 520, 16],
    ]);
    for (const r of rows) expect(r.size).toBe(statSync(join(REAL_TIFF_DIR, r.path)).size);
    expect(snapshotTree(REAL_TIFF_DIR)).toEqual(before);
  });
});
