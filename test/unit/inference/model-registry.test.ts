import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError, modelOfKind, readManifest, verifyModelFile } from '../../../main/inference/model-registry.js';
import { copyFixtureModels, FIXTURE_MODELS, tempDir } from './helpers.js';

describe('model registry (manifest.json + sha256)', () => {
  it('reads the manifest: kinds, I/O names, preprocessing and the DDPM schedule', () => {
    const m = readManifest(FIXTURE_MODELS);
    const ddpm = modelOfKind(m, 'ddpm')!;
    expect(ddpm.inputs).toEqual(['x_t', 'cond', 't']);
    expect(ddpm.preprocess).toMatchObject({ scale: 2, offset: -1, sizeMultiple: 2, trainPatch: 32 });
    expect(ddpm.preprocess.schedule!.alphasCumprod).toHaveLength(1000);
    expect(modelOfKind(m, 'classifier')!.preprocess.threshold).toBe(0.5);
  });
  it('accepts an intact file and refuses a changed one, naming the file and both hashes', () => {
    const dir = copyFixtureModels();
    const entry = modelOfKind(readManifest(dir), 'unet')!;
    expect(verifyModelFile(dir, entry)).toBe(join(dir, 'unet.onnx'));
    const bytes = readFileSync(join(dir, 'unet.onnx'));
    bytes[100]! ^= 1;
    writeFileSync(join(dir, 'unet.onnx'), bytes);
    expect(() => verifyModelFile(dir, entry)).toThrow(new RegExp(`unet\\.onnx \\(fixture-unet\\) has sha256 [0-9a-f]{64}, the manifest says ${entry.sha256}`));
    try {
      verifyModelFile(dir, entry);
    } catch (err) {
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).file).toBe(join(dir, 'unet.onnx'));
    }
  });
  it('explains a missing or malformed manifest and paths escaping the models folder', () => {
    const empty = tempDir('nomodels');
    expect(() => readManifest(empty)).toThrow(/manifest .*manifest\.json not found/);
    writeFileSync(join(empty, 'manifest.json'), '{"version": 2}');
    expect(() => readManifest(empty)).toThrow(/expected \{"version": 1/);
    writeFileSync(join(empty, 'manifest.json'), JSON.stringify({ version: 1, models: [{ id: 'x', kind: 'unet', file: '../evil.onnx', sha256: 'ab' }] }));
    expect(() => readManifest(empty)).toThrow(/must stay inside the models folder/);
    writeFileSync(join(empty, 'manifest.json'), JSON.stringify({ version: 1, models: [{ id: 'x', kind: 'ddpm', file: 'd.onnx', sha256: 'ab' }] }));
    expect(() => readManifest(empty)).toThrow(/schedule\.alphas_cumprod is required/);
  });
});
