/**
 * Curated export end to end on real files: policies, manifest checksums, TIFF
 * and OME-TIFF read back by geotiff and by Python tifffile, summary, report,
 * training pack.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportDataset } from '../../main/export/export.js';
import type { ManifestRow } from '../../main/export/manifest.js';
import { closeDb } from '../../main/store/database.js';
import { getExport } from '../../main/store/queries/exports.js';
import { createTestWorkspace, frameKey, restoredPixels, testPixels, type TestWorkspace, withPolicyWorkspace } from '../helpers/export/workspace.js';
import { listFiles, readWithGeotiff, readWithTifffile, sha256File, tifffileUnavailable } from '../helpers/export/verify.js';

let root: string;
let ws: TestWorkspace;
withPolicyWorkspace('pf-export-it-', (r, w) => {
  root = r;
  ws = w;
});

function manifestRows(dest: string): ManifestRow[] {
  return (JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as { rows: ManifestRow[] }).rows;
}

describe('export, curated policy', () => {
  let dest: string;
  let result: Awaited<ReturnType<typeof exportDataset>>;
  const events: string[] = [];

  beforeAll(async () => {
    dest = join(root, 'out-curated');
    result = await exportDataset({
      db: ws.db,
      workspace: ws.workspace,
      destination: dest,
      policy: { include: 'curated', trainingPack: true },
      trainingSize: 16,
      appVersion: '0.1.0-test',
      onProgress: (p) => events.push(p.phase),
    });
  });

  it('exports in-focus originals and the accepted restoration; excludes rejected, undecided and cleared', () => {
    expect(result.framesExported).toBe(7);
    expect(result.framesExcluded).toBe(3);
    const rows = manifestRows(dest);
    const byT = new Map(rows.filter((r) => r.well === 'imgNo1').map((r) => [r.t, r]));
    expect([...byT.keys()].sort()).toEqual([1, 2, 6]);
    expect(byT.get(1)).toMatchObject({ kind: 'original', decision: 'undecided', reviewer: null });
    expect(byT.get(2)).toMatchObject({
      kind: 'restored',
      decision: 'accept',
      reviewer: 'reviewer-a',
      restorationModelId: 'pf-ddpm-v1',
      restorationModelSha256: 'dd9e',
      sampler: 'ddim',
      steps: 25,
      pOofBefore: 0.9,
      pOofAfter: 0.12,
      tenenbaumBefore: 1.5,
      tenenbaumAfter: 3.25,
      spreadMean: 0.012,
    });
    expect(byT.get(2)!.seeds).toHaveLength(4);
    expect(rows.filter((r) => r.well === 'imgNo2')).toHaveLength(4);
    expect(events[0]).toBe('started');
    expect(events.at(-1)).toBe('done');
  });

  it('manifest checksums match the written and the source files', () => {
    const rows = manifestRows(dest);
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      expect(sha256File(join(dest, r.outputPath)), r.outputPath).toBe(r.outputSha256);
      expect(sha256File(r.sourcePath), r.sourcePath).toBe(r.sourceSha256);
      expect(sha256File(r.originalPath), r.originalPath).toBe(r.originalSha256);
    }
    const csv = readFileSync(join(dest, 'manifest.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(8);
    expect(sha256File(join(dest, 'manifest.json'))).toBe(result.manifestSha256);
  });

  it('records the export as done with its counts', () => {
    const row = getExport(ws.db, result.exportId)!;
    expect(row).toMatchObject({ status: 'done', framesExported: 7, framesExcluded: 3, manifestSha256: result.manifestSha256, error: null });
    expect(JSON.parse(row.policy)).toMatchObject({ include: 'curated', trainingPack: true });
    expect(existsSync(`${dest}.partial-${process.pid}`)).toBe(false);
  });

  it('frame TIFFs read back with geotiff: originals bit-exact, restorations quantised to 8 bits', async () => {
    const rows = manifestRows(dest);
    const tiffs = listFiles(dest).filter((f) => f.endsWith('.tif'));
    expect(tiffs).toHaveLength(rows.length + 2);
    for (const f of tiffs) {
      const { pages } = await readWithGeotiff(join(dest, f));
      expect(pages.length, f).toBe(f.endsWith('.ome.tif') ? (f.includes('imgNo1') ? 6 : 4) : 1);
      for (const p of pages) expect(p, f).toMatchObject({ width: 24, height: 20, bits: 8 });
    }
    const original = rows.find((r) => r.well === 'imgNo1' && r.t === 1)!;
    expect(original.outputPath).toBe('B1/images/crops_8bit_s/imgNo1CH0/imgNo1CH0_t1.tif');
    const seed = 1; // first frame written by the helper
    expect([...(await readWithGeotiff(join(dest, original.outputPath))).pages[0]!.data]).toEqual([...testPixels(24, 20, 8, seed)]);
    const restored = rows.find((r) => r.kind === 'restored')!;
    const expected = restoredPixels(24, 20, 2).map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    expect([...(await readWithGeotiff(join(dest, restored.outputPath))).pages[0]!.data]).toEqual([...expected]);
  });

  it('OME-TIFF stacks: one per nanowell, blank pages at excluded time points', async () => {
    const stack = await readWithGeotiff(join(dest, 'ome/B1_imgNo1.ome.tif'));
    expect(stack.pages).toHaveLength(6);
    expect(stack.description).toContain('SizeT="6"');
    expect(stack.description).toContain('PhysicalSizeX="0.325"');
    expect(stack.description).toContain('TimeIncrement="300"');
    expect(stack.description).toContain('<M K="excludedT">2-4</M>');
    expect(stack.description).toContain('<M K="restoredT">1</M>');
    for (const t of [3, 4, 5]) expect(Math.max(...stack.pages[t - 1]!.data as number[]), `t=${t} blank`).toBe(0);
    const t1 = (await readWithGeotiff(join(dest, 'B1/images/crops_8bit_s/imgNo1CH0/imgNo1CH0_t1.tif'))).pages[0]!.data;
    expect([...stack.pages[0]!.data]).toEqual([...t1]);
    expect((await readWithGeotiff(join(dest, 'ome/B2_imgNo2.ome.tif'))).pages).toHaveLength(4);
  });

  it('every TIFF reads back with Python tifffile (OME-XML parsed, dtype, shape, pages)', (ctx) => {
    const why = tifffileUnavailable();
    if (why) {
      console.log(`skipping the tifffile check: ${why}`);
      ctx.skip();
    }
    const files = listFiles(dest).filter((f) => f.endsWith('.tif'));
    expect(files.length).toBe(9);
    const reports = readWithTifffile(files.map((f) => join(dest, f)));
    for (const r of reports) {
      expect(r.dtype, r.path).toBe('uint8');
      if (r.path.endsWith('.ome.tif')) {
        expect(r.isOme, r.path).toBe(true);
        const sizeT = Number(r.ome!.pixels.SizeT);
        expect(r.pages).toBe(sizeT);
        expect(r.shape).toEqual([sizeT, 20, 24]);
        expect(r.ome!.pixels).toMatchObject({ DimensionOrder: 'XYCZT', Type: 'uint8', SizeX: '24', SizeY: '20', SizeC: '1', PhysicalSizeX: '0.325', TimeIncrement: '300' });
        expect(r.ome!.planeCount).toBe(String(sizeT));
      } else {
        expect(r.pages).toBe(1);
        expect(r.shape).toEqual([20, 24]);
      }
    }
    const one = reports.find((r) => r.path.endsWith('B1_imgNo1.ome.tif'))!;
    expect(one.ome!.annotations.excludedT).toBe('2-4');
  });

  it('summary.json: counts and usable videos before/after per block', () => {
    const summary = JSON.parse(readFileSync(join(dest, 'summary.json'), 'utf8'));
    expect(summary.policy.include).toBe('curated');
    expect(summary.appVersion).toBe('0.1.0-test');
    expect(summary.counts).toMatchObject({ frames: 10, originals: 6, restored: 1, excluded: 3, wells: 2, wellsExported: 2, omeStacks: 2 });
    expect(summary.counts.excludedByReason).toMatchObject({ 'oof-rejected': 1, 'oof-undecided': 2 });
    const b1 = summary.yield.blocks.find((b: { block: string }) => b.block === 'B1');
    // B1: 4 OOF of 6 → unusable before; after: t3, t4, t5 still OOF → unusable.
    expect(b1).toMatchObject({ wells: 1, evaluated: 1, usableBefore: 0, usableAfter: 0, oof: 4, accepted: 1, rejected: 1, undecided: 2, cleared: 1 });
    expect(summary.yield.total).toMatchObject({ wells: 2, usableBefore: 1, usableAfter: 1 });
    expect(summary.manifestSha256).toBe(result.manifestSha256);
  });

  it('report.html is self-contained and the plots are PNG files', () => {
    const html = readFileSync(join(dest, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    for (const name of ['oof-fraction.png', 'usable-videos.png', 'decisions.png']) {
      const png = readFileSync(join(dest, 'plots', name));
      expect(png.subarray(0, 8).toString('hex'), name).toBe('89504e470d0a1a0a');
    }
  });

  it('training pack: OOF → accepted restoration pairs plus identical in-focus pairs', () => {
    const index = JSON.parse(readFileSync(join(dest, 'training-pack/index.json'), 'utf8'));
    expect(index).toMatchObject({ version: 1, size: 16, seed: null, source: 'station-export', files: { oof: 'oof.f32', focus: 'focus.f32' } });
    // 1 restored pair → round(1 · 0.25 / 0.75) = 0 identical pairs.
    expect(index.items).toEqual([{ dz_um: null, oof: 1, kind: 'station', identical: false, frame_id: ws.frameIds.get(frameKey('1', 'imgNo1', 2)) }]);
    const oof = readFileSync(join(dest, 'training-pack/oof.f32'));
    const focus = readFileSync(join(dest, 'training-pack/focus.f32'));
    expect(oof.length).toBe(16 * 16 * 4);
    expect(focus.length).toBe(16 * 16 * 4);
    // Centre crop of a 24×20 frame to 16×16 starts at (x, y) = (4, 2).
    const src = testPixels(24, 20, 8, 2);
    expect(oof.readFloatLE(0)).toBeCloseTo(src[2 * 24 + 4]! / 255, 6);
    const mean = restoredPixels(24, 20, 2);
    expect(focus.readFloatLE(4 * (3 * 16 + 5))).toBeCloseTo(mean[5 * 24 + 9]!, 6);
  });
});

describe('export, other policies and layouts', () => {
  it('all-decided adds the rejected OOF original; per-well layout, no OME stacks', async () => {
    const dest = join(root, 'out-all-decided');
    const r = await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, policy: { include: 'all-decided', layout: 'per-well', omeStacks: false } });
    expect(r).toMatchObject({ framesExported: 8, framesExcluded: 2 });
    const rows = manifestRows(dest);
    const t3 = rows.find((x) => x.well === 'imgNo1' && x.t === 3)!;
    expect(t3).toMatchObject({ kind: 'original', decision: 'reject', outputPath: 'B1/imgNo1/t3.tif' });
    expect(existsSync(join(dest, 'ome'))).toBe(false);
  });

  it('everything: one file per frame, restored where accepted', async () => {
    const dest = join(root, 'out-everything');
    const r = await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, policy: { include: 'everything' } });
    expect(r).toMatchObject({ framesExported: 10, framesExcluded: 0 });
    const kinds = manifestRows(dest).filter((x) => x.well === 'imgNo1').map((x) => `${x.t}:${x.kind}:${x.decision}`);
    expect(kinds).toEqual(['1:original:undecided', '2:restored:accept', '3:original:reject', '4:original:undecided', '5:original:clear', '6:original:undecided']);
    const stack = await readWithGeotiff(join(dest, 'ome/B1_imgNo1.ome.tif'));
    expect(stack.description).toContain('<M K="excludedT"></M>');
  });

  it('a frame whose file cannot be read is left out with its reason; the rest is exported', async () => {
    const rootBad = join(root, 'ws-unreadable');
    const wsBad = createTestWorkspace(rootBad, { wells: [{ block: '2', well: 'w1', frames: [1, 2, 3].map((t) => ({ t, kind: 'in_focus' as const })) }] });
    try {
      const { path } = wsBad.db.prepare<[number], { path: string }>('SELECT path FROM frame WHERE id = ?').get(wsBad.frameIds.get(frameKey('2', 'w1', 2))!)!;
      writeFileSync(join(wsBad.acquisition, path), readFileSync(join(wsBad.acquisition, path)).subarray(0, 40)); // damaged after ingest
      const dest = join(root, 'out-unreadable');
      const r = await exportDataset({ db: wsBad.db, workspace: wsBad.workspace, destination: dest, policy: { include: 'everything' } });
      expect(r).toMatchObject({ framesExported: 2, framesExcluded: 1 });
      expect(r.hint).toMatch(/1 frame left out because its file could not be read/);
      const summary = JSON.parse(readFileSync(join(dest, 'summary.json'), 'utf8')) as { counts: { excludedByReason: { unreadable: number } }; unreadable: { path: string; reason: string }[] };
      expect(summary.counts.excludedByReason.unreadable).toBe(1);
      expect(summary.unreadable).toEqual([expect.objectContaining({ path, reason: expect.stringMatching(/truncated TIFF|beyond the end of the file/) })]);
      expect(manifestRows(dest).map((x) => x.t)).toEqual([1, 3]);
      expect(readFileSync(join(dest, 'report.html'), 'utf8')).toContain('Frames whose file could not be read');
    } finally {
      closeDb(wsBad.db);
    }
  });

  it('16-bit acquisitions stay 16-bit, restorations are scaled to 65535', async () => {
    const root16 = join(root, 'ws16');
    const ws16 = createTestWorkspace(root16, { bits: 16, width: 9, height: 7, wells: [{ block: '3', well: 'w1', frames: [{ t: 1, kind: 'in_focus' }, { t: 2, kind: 'oof', restored: true, decisions: ['accept'] }] }] });
    try {
      const dest = join(root, 'out-16');
      await exportDataset({ db: ws16.db, workspace: ws16.workspace, destination: dest });
      const rows = manifestRows(dest);
      const restored = rows.find((x) => x.kind === 'restored')!;
      const page = (await readWithGeotiff(join(dest, restored.outputPath))).pages[0]!;
      expect(page.bits).toBe(16);
      expect(page.data[1]).toBe(Math.round(restoredPixels(9, 7, 2)[1]! * 65535));
      expect(page.data[0]).toBe(65535);
      const stack = await readWithGeotiff(join(dest, 'ome/B3_w1.ome.tif'));
      expect(stack.description).toContain('Type="uint16"');
      if (!tifffileUnavailable()) {
        const [rep] = readWithTifffile([join(dest, 'ome/B3_w1.ome.tif')]);
        expect(rep).toMatchObject({ dtype: 'uint16', shape: [2, 7, 9], pages: 2, isOme: true });
      }
    } finally {
      closeDb(ws16.db);
    }
  });
});
