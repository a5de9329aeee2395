// The models folder a fine-tuning run writes: the new version beside the base folder's other
// models, hash-checked by the registry; models distilled from the fine-tuned one are left out.
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest, verifyModelFile } from '../../../main/inference/model-registry.js';
import { assembleModelsFolder, type FinetuneKind, type FinetuneReport } from '../../../main/pipeline/finetune.js';
import { tempDir } from '../../helpers/workspace.js';

const SHIPPED = resolve('models');
let tmp: { dir: string; cleanup: () => void } | null = null;
afterEach(() => tmp?.cleanup());

/** A fine-tuning report for a "new version" that is a copy of the shipped file of that kind. */
function fakeRun(kind: FinetuneKind, out: string): { report: FinetuneReport; file: string } {
  const base = readManifest(SHIPPED).models.find((m) => m.kind === kind)!;
  const file = `pf-${kind}-ft-test.onnx`;
  copyFileSync(join(SHIPPED, base.file), join(out, file));
  const none = { all: null, defocused: null, identical: null };
  const report: FinetuneReport = {
    id: `pf-${kind}-ft-test`,
    kind,
    bytes: base.bytes ?? 0,
    pairs: { count: 4, train: 3, heldout: 1, size: 64 },
    training: { steps: 1, wall_time_s: 0.1 },
    heldout: { input: none, base: none, finetuned: none },
  };
  return { report, file };
}

describe('assembleModelsFolder', () => {
  it('leaves the one-step student out of a fine-tuned DDPM folder (it was distilled from the base DDPM)', () => {
    tmp = tempDir('pf-ft-ddpm-');
    const { report, file } = fakeRun('ddpm', tmp.dir);
    const result = assembleModelsFolder(SHIPPED, tmp.dir, report, file);
    const student = readManifest(SHIPPED).models.find((m) => m.kind === 'student')!;
    expect(result.leftOut).toEqual([{ id: student.id, kind: 'student', reason: expect.stringMatching(/distilled from pf-ddpm-v1, not from the fine-tuned pf-ddpm-ft-test/) }]);
    const manifest = readManifest(tmp.dir);
    expect(manifest.models.map((m) => m.kind).sort()).toEqual(['classifier', 'ddpm', 'unet']);
    expect(manifest.models.find((m) => m.kind === 'ddpm')).toMatchObject({ id: 'pf-ddpm-ft-test', file, sha256: result.sha256 });
    for (const m of manifest.models) expect(() => verifyModelFile(tmp!.dir, m)).not.toThrow();
  });

  it('keeps every other model beside a fine-tuned U-Net', () => {
    tmp = tempDir('pf-ft-unet-');
    const { report, file } = fakeRun('unet', tmp.dir);
    const result = assembleModelsFolder(SHIPPED, tmp.dir, report, file);
    expect(result.leftOut).toEqual([]);
    expect(readManifest(tmp.dir).models.map((m) => m.kind).sort()).toEqual(['classifier', 'ddpm', 'student', 'unet']);
  });
});
