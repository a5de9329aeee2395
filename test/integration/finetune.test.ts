// `postfocus finetune` with the system Python: a new, hash-checked U-Net version the station can switch to.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, verifyModelFile } from '../../main/inference/model-registry.js';
import { ensureCliBuilt, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';

const tmp = tempDir('pf-finetune-');
const torchMissing = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status !== 0;
if (torchMissing) console.log('skipping the fine-tuning run: /usr/bin/python3 has no torch / onnx (the error path is still tested)');
beforeAll(() => ensureCliBuilt());
afterAll(() => tmp.cleanup());

describe('postfocus finetune', () => {
  it('says what is missing when the interpreter cannot fine-tune', async () => {
    const pairs = join(tmp.dir, 'p0');
    expect((await runCli(['simulate-pairs', pairs, '--n', '4', '--size', '64', '--seed', '3'])).code).toBe(0);
    const r = await runCli(['finetune', pairs, '--out', join(tmp.dir, 'x'), '--python', join(tmp.dir, 'no-python')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot fine-tune here: .*no-python cannot be run \(ENOENT\)/);
    const r2 = await runCli(['finetune', pairs]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--out is required with a pairs folder/);
    const r3 = await runCli(['finetune', pairs, '--out', join(tmp.dir, 'y'), '--kind', 'gan']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--kind must be unet or ddpm, got "gan"/);
  });

  it.skipIf(torchMissing)('writes a new U-Net version with held-out metrics; restorations with it name that version', async () => {
    const pairs = join(tmp.dir, 'pairs');
    expect((await runCli(['simulate-pairs', pairs, '--n', '12', '--size', '64', '--seed', '4'])).code).toBe(0);
    const out = join(tmp.dir, 'models-ft');
    const r = await runCli(['finetune', pairs, '--out', out, '--steps', '4', '--id', 'pf-unet-v1-ft-test', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ id: 'pf-unet-v1-ft-test', pairs: { count: 12, train: 9, heldout: 3 }, training: { steps: 4 } });
    for (const k of ['input', 'base', 'finetuned']) expect(summary.heldout[k].all.n).toBe(3);
    // The registry's own checks: manifest valid, every file matches its sha256.
    const manifest = readManifest(out);
    const unet = manifest.models.find((m) => m.kind === 'unet')!;
    expect(unet).toMatchObject({ id: 'pf-unet-v1-ft-test', file: 'pf-unet-v1-ft-test.onnx', sha256: summary.sha256 });
    for (const m of manifest.models) expect(() => verifyModelFile(out, m)).not.toThrow();

    const acq = join(tmp.dir, 'acq');
    expect((await runCli(['simulate', acq, '--truth', join(tmp.dir, 'truth'), '--blocks', '1', '--wells', '2', '--frames', '6', '--size', '64', '--preset', 'skov3'])).code).toBe(0);
    const ws = join(tmp.dir, 'ws');
    const p = await runCli(['process', acq, '-w', ws, '--models', out, '--sampler', 'unet', '--quiet', '--json']);
    expect([0, 3]).toContain(p.code);
    const db = new Database(join(ws, 'postfocus.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT DISTINCT model_id AS id, model_sha256 AS sha FROM restoration').all();
      // This seed writes 5 OOF frames (truth); whichever of them were restored name the fine-tuned version.
      expect(rows).toEqual([{ id: 'pf-unet-v1-ft-test', sha: summary.sha256 }]);
      expect(JSON.parse(p.stdout).engine.models.find((m: { kind: string }) => m.kind === 'unet')).toMatchObject({ id: 'pf-unet-v1-ft-test', loaded: true });
    } finally {
      db.close();
    }
  });
});
