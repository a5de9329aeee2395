import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixtureModels } from '../unit/inference/helpers.js';
import { type Harness, harnessesClosedAfterEach, ingest, makePipeline, rows, startedPipeline, tempDir, writeAcquisition } from './pipeline-helpers.js';

const open = harnessesClosedAfterEach();

type ErrorRow = { source: string; path: string; message: string };

async function runWith(modelsDir: string) {
  const acq = writeAcquisition(tempDir('acq'), { wells: 1, T: 6 });
  const h = await startedPipeline(open, acq.root, { modelsDir });
  await h.pipeline.whenIdle();
  return { h, acq };
}

describe('pipeline with a missing, corrupt or altered model', () => {
  it('missing DDPM: clear error naming the file, restoration disabled, classification goes on', async () => {
    const models = copyFixtureModels();
    rmSync(join(models, 'ddpm.onnx'));
    const { h } = await runWith(models);
    const status = h.pipeline.engineStatus();
    expect(status.disabledReason).toMatch(/restoration disabled: model file .*ddpm\.onnx \(fixture-ddpm\) is missing/);
    expect(status.models.find((m) => m.kind === 'ddpm')).toMatchObject({ loaded: false });
    expect(status.models.find((m) => m.kind === 'classifier')).toMatchObject({ loaded: true });
    const errors = rows<ErrorRow>(h.db, "SELECT source, path, message FROM error_log WHERE source = 'model'");
    expect(errors).toEqual([{ source: 'model', path: join(models, 'ddpm.onnx'), message: expect.stringMatching(/missing/) }]);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'pending'")).toHaveLength(0);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'oof'").length).toBeGreaterThan(0);
    expect(rows(h.db, 'SELECT id FROM restoration')).toHaveLength(0);
  });

  it('classifier with a hash mismatch: refused, classification disabled, ingest continues and frames wait', async () => {
    const models = copyFixtureModels();
    const file = join(models, 'classifier.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff; // same size, different content
    writeFileSync(file, bytes);
    const { h, acq } = await runWith(models);
    expect(h.pipeline.engineStatus().disabledReason).toMatch(/classification disabled: model file .*classifier\.onnx \(fixture-classifier\) has sha256 [0-9a-f]{64}, the manifest says/);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'pending'")).toHaveLength(6);
    expect(rows(h.db, 'SELECT id FROM attempt')).toHaveLength(0);
    // New frames are still ingested and the pipeline keeps running.
    writeAcquisition(acq.root, { wells: 2, T: 6 });
    expect(await ingest(acq.root, h.db)).toBe(6);
    h.pipeline.notify();
    await h.pipeline.whenIdle();
    expect(rows(h.db, 'SELECT id FROM frame')).toHaveLength(12);
    expect(h.pipeline.engineStatus().workerPid).toBeGreaterThan(0);
  });

  it('truncated U-Net: reported as corrupt; DDIM restoration still works without it', async () => {
    const models = copyFixtureModels();
    truncateSync(join(models, 'unet.onnx'), 1000);
    const { h } = await runWith(models);
    expect(h.pipeline.engineStatus().models.find((m) => m.kind === 'unet')?.error).toMatch(/unet\.onnx \(fixture-unet\) is 1000 bytes, the manifest says \d+: corrupt/);
    expect(rows(h.db, 'SELECT id FROM restoration').length).toBeGreaterThan(0);
  });

  it('no manifest: every capability disabled with the manifest path in the error; nothing crashes', async () => {
    const models = copyFixtureModels();
    rmSync(join(models, 'manifest.json'));
    const { h } = await runWith(models);
    expect(h.pipeline.engineStatus().disabledReason).toMatch(/classification disabled: model manifest .*manifest\.json not found/);
    expect(rows(h.db, "SELECT id FROM frame WHERE state = 'pending'")).toHaveLength(6);
  });
});
