import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeTiff, readTiffFloatPage, readTiffPage } from '../../../main/imaging/tiff-read.js';
import { writeTiff } from '../../../main/imaging/tiff-write.js';
import { InferenceEngine } from '../../../main/inference/engine.js';
import { PROTOCOL_VERSION } from '../../../main/inference/protocol.js';
import { ensembleSeeds } from '../../../main/inference/samplers/gaussian.js';
import { FIXTURE_MODELS, syntheticFrame, tempDir, writeFrame8 } from './helpers.js';

async function engineFor(workspace: string, modelsDir = FIXTURE_MODELS) {
  return InferenceEngine.load({ type: 'init', id: 1, protocol: PROTOCOL_VERSION, modelsDir, workspace, threads: 1 });
}

describe('inference engine with the fixture models', () => {
  it('loads every model on the CPU provider and reports it', async () => {
    const engine = await engineFor(tempDir('ws'));
    const ready = engine.ready(1, 123);
    expect(ready.provider).toBe('cpu');
    expect(ready.capabilities).toEqual({ classify: true, restore: true });
    expect(ready.models.map((m) => [m.kind, m.loaded])).toEqual([['classifier', true], ['ddpm', true], ['unet', true]]);
    await engine.close();
  });

  it('a classification process loads only the classifier, a restoration process only the restorers', async () => {
    const load = (role: 'classify' | 'restore') =>
      InferenceEngine.load({ type: 'init', id: 1, protocol: PROTOCOL_VERSION, modelsDir: FIXTURE_MODELS, workspace: tempDir('ws'), threads: 1, role });
    const classify = await load('classify');
    expect(classify.ready(1, 1).models.map((m) => m.kind)).toEqual(['classifier']);
    expect(classify.ready(1, 1).capabilities).toEqual({ classify: true, restore: false });
    const restore = await load('restore');
    expect(restore.ready(1, 1).models.map((m) => m.kind)).toEqual(['ddpm', 'unet']);
    expect(restore.ready(1, 1).capabilities).toEqual({ classify: false, restore: true });
    await Promise.all([classify.close(), restore.close()]);
  });

  it('classifies a batch: blurred frames score higher p(OOF) than sharp ones, metrics stored', async () => {
    const dir = tempDir('frames');
    const items = [0, 1, 2, 3].map((k) => ({
      frameId: k + 1,
      path: writeFrame8(dir, `f${k}.tif`, syntheticFrame(50, 46, 10 + k, k % 2 === 0 ? 0 : 6), 50, 46),
      page: 0,
      target: 'original' as const,
    }));
    items.push({ frameId: 9, path: join(dir, 'missing.tif'), page: 0, target: 'original' });
    const engine = await engineFor(tempDir('ws'));
    const res = await engine.classify({ type: 'classify', id: 2, items });
    expect(res.modelId).toBe('fixture-classifier');
    const ok = res.results.filter((r) => r.ok);
    expect(ok).toHaveLength(4);
    const p = ok.map((r) => (r.ok ? r.pOof : NaN));
    expect(Math.max(p[0]!, p[2]!)).toBeLessThan(Math.min(p[1]!, p[3]!));
    const first = res.results[0]!;
    expect(first.ok && first.metrics.tenenbaum).toBeGreaterThan(0);
    const missing = res.results[4]!;
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.error).toMatch(/missing\.tif/);
    await engine.close();
  });

  for (const sampler of ['ddim', 'ddim-warm', 'unet'] as const) {
    it(`restores a frame larger than the trained patch with ${sampler} and writes the derived TIFFs`, async () => {
      const ws = tempDir('ws');
      const src = writeFrame8(tempDir('frames'), 'oof.tif', syntheticFrame(70, 45, 3, 5), 70, 45);
      const engine = await engineFor(ws);
      const seeds = ensembleSeeds(7, 3);
      const res = await engine.restore({ type: 'restore', id: 3, frameId: 7, path: src, page: 0, options: { sampler, steps: 4, eta: 0, ensemble: 3, seeds } });
      expect(res.meanPath).toBe('derived/7-mean.tif');
      expect(res.sampler).toBe(sampler);
      const mean = await probeTiff(join(ws, res.meanPath));
      expect([mean.width, mean.height, mean.bits]).toEqual([70, 45, 8]);
      const spread = await readTiffFloatPage(join(ws, res.spreadPath));
      expect(spread.bits).toBe(32);
      const members = await probeTiff(join(ws, res.membersPath!));
      expect(members.pages).toBe(sampler === 'unet' ? 1 : 3);
      expect(existsSync(join(ws, 'derived/7-mean.tif.tmp'))).toBe(false);
      if (sampler === 'unet') expect(res.spreadMean).toBe(0);
      else expect(res.spreadMean).toBeGreaterThan(0);
      expect(res.evaluations).toBe(sampler === 'unet' ? 1 : sampler === 'ddim-warm' ? 5 : 4);
      await engine.close();
    });
  }

  it('falls back to DDIM-5 when the student sampler is asked for and the models folder has no student, and says so', async () => {
    const ws = tempDir('ws');
    const src = writeFrame8(tempDir('frames'), 'oof.tif', syntheticFrame(40, 40, 3, 5), 40, 40);
    const engine = await engineFor(ws);
    expect(engine.ready(1, 1).problems).toEqual([]);
    const res = await engine.restore({ type: 'restore', id: 4, frameId: 8, path: src, page: 0, options: { sampler: 'student', steps: 1, eta: 0, ensemble: 2, seeds: [1, 2] } });
    expect([res.sampler, res.steps, res.evaluations, res.modelId]).toEqual(['ddim', 5, 5, 'fixture-ddpm']);
    await engine.close();
  });

  it('reproduces a restoration exactly from its recorded seeds', async () => {
    const src = writeFrame8(tempDir('frames'), 'oof.tif', syntheticFrame(40, 40, 4, 5), 40, 40);
    const runOnce = async () => {
      const ws = tempDir('ws');
      const engine = await engineFor(ws);
      const res = await engine.restore({ type: 'restore', id: 1, frameId: 2, path: src, page: 0, options: { sampler: 'ddim', steps: 3, eta: 0.5, ensemble: 2, seeds: [11, 12] } });
      await engine.close();
      return (await readTiffFloatPage(join(ws, res.spreadPath))).data;
    };
    expect(await runOnce()).toEqual(await runOnce());
  });
});

describe('intensity follows the data (issue 12)', () => {
  it('judges the same field alike as 16-bit, 12-bit-in-16 and 8-bit, and writes a restoration back on its source scale', async () => {
    const dir = tempDir('depths');
    const w = 64;
    const h = 48;
    const items = [0, 1, 2].flatMap((k) => {
      const unit = syntheticFrame(w, h, 20 + k, k === 1 ? 6 : 0);
      const s16 = Uint16Array.from(unit, (v) => Math.round(v * 65535));
      const versions: [string, Uint8Array | Uint16Array][] = [
        ['16', s16],
        ['12', s16.map((v) => v >> 4)],
        ['8', Uint8Array.from(s16, (v) => v >> 8)],
      ];
      return versions.map(([name, data]) => {
        const path = join(dir, `f${k}-${name}.tif`);
        writeTiff(path, { width: w, height: h, data });
        return { name, k, path };
      });
    });
    const p: Record<string, number> = {};
    for (const name of ['16', '12', '8']) {
      // Each bit depth is its own run (its own engine, so its own run range).
      const engine = await engineFor(tempDir(`ws${name}`));
      const sel = items.filter((it) => it.name === name);
      const res = await engine.classify({ type: 'classify', id: 1, items: sel.map((it) => ({ frameId: it.k, path: it.path, page: 0, target: 'original' as const })) });
      res.results.forEach((r, j) => (p[`${name}/${sel[j]!.k}`] = r.ok ? r.pOof : NaN));
      await engine.close();
    }
    for (const k of [0, 1, 2]) {
      expect(Math.abs(p[`12/${k}`]! - p[`16/${k}`]!), `frame ${k}: 12-in-16 vs 16-bit`).toBeLessThan(0.02);
      expect(Math.abs(p[`8/${k}`]! - p[`16/${k}`]!), `frame ${k}: 8-bit vs 16-bit`).toBeLessThan(0.02);
    }
    // A 12-bit frame is restored and written back within 0–4095, not stretched to 65,535.
    const ws = tempDir('ws-restore');
    const engine = await engineFor(ws);
    const src = items.find((it) => it.name === '12' && it.k === 1)!.path;
    const res = await engine.restore({ type: 'restore', id: 2, frameId: 5, path: src, page: 0, options: { sampler: 'unet', steps: 1, eta: 0, ensemble: 1, seeds: [1] } });
    const mean = await readTiffPage(join(ws, res.meanPath), 0);
    expect(mean.bits).toBe(16);
    expect(Math.max(...mean.data)).toBeLessThanOrEqual(4095);
    expect(Math.max(...mean.data)).toBeGreaterThan(2000);
    await engine.close();
  });
});
