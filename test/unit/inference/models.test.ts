/**
 * The shipped models (models/manifest.json) against the app: every file's
 * sha256 matches the manifest, it loads in onnxruntime-node with the I/O names
 * of its kind, dynamic shapes work, and outputs on the fixed inputs of
 * models/reference/<id>.json (exported from Python) match. The same checks run
 * on the committed fixture models, so the checks themselves are always tested.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECTED_IO, readManifest, verifyModelFile } from '../../../main/inference/model-registry.js';
import { ModelSession, type PlainTensor } from '../../../main/inference/session.js';
import { standardisation, toStandardised } from '../../../main/inference/tensor.js';
import { FIXTURE_MODELS } from './helpers.js';

interface ReferenceFile {
  model: string;
  tolerance: number;
  cases: {
    /** Classifier: the [0, 1] frame whose standardisation is `inputs.image`. */
    source?: { shape: number[]; data: number[] };
    inputs: Record<string, { shape: number[]; data: number[] }>;
    outputs: Record<string, { shape: number[]; data: number[] }>;
  }[];
}

const SHIPPED = resolve(process.env.PF_SHIPPED_MODELS ?? 'models');
const shippedReady = existsSync(join(SHIPPED, 'manifest.json'));
if (!shippedReady) console.log(`skipping the shipped-model checks: ${join(SHIPPED, 'manifest.json')} does not exist yet (models still training)`);

function modelChecks(modelsDir: string, referenceDir: string) {
  const manifest = readManifest(modelsDir);
  it('lists one model of each kind (the one-step student is optional)', () => {
    const kinds = manifest.models.map((m) => m.kind).sort();
    expect(kinds.filter((k) => k !== 'student')).toEqual(['classifier', 'ddpm', 'unet']);
    expect(kinds.filter((k) => k === 'student').length).toBeLessThanOrEqual(1);
  });
  for (const entry of manifest.models) {
    describe(`${entry.id} (${entry.kind}, ${entry.file})`, () => {
      it('has the sha256 and size recorded in the manifest', () => {
        expect(verifyModelFile(modelsDir, entry)).toBe(join(modelsDir, entry.file));
      });
      it('loads in onnxruntime-node with the I/O names of its kind', async () => {
        const s = await ModelSession.open(join(modelsDir, entry.file), { threads: 1 });
        expect(s.inputs.map((i) => i.name)).toEqual(EXPECTED_IO[entry.kind].inputs);
        expect(s.outputs.map((o) => o.name)).toEqual(EXPECTED_IO[entry.kind].outputs);
        await s.close();
      });
      it('accepts dynamic batch / height / width and returns the right shapes', async () => {
        const s = await ModelSession.open(join(modelsDir, entry.file), { threads: 1 });
        const m = entry.preprocess.sizeMultiple;
        const [B, H, W] = [2, 4 * Math.max(m, 4), 6 * Math.max(m, 4)];
        const img = (): PlainTensor => ({ data: new Float32Array(B * H * W).map((_, i) => Math.sin(i * 0.1)), dims: [B, 1, H, W] });
        const feeds: Record<string, PlainTensor> =
          entry.kind === 'ddpm' ? { x_t: img(), cond: img(), t: { data: Float32Array.of(10, 700), dims: [B] } }
          : entry.kind === 'student' ? { z: img(), cond: img(), x0_hat: img() }
          : { image: img() };
        const out = await s.run(feeds);
        const name = EXPECTED_IO[entry.kind].outputs[0]!;
        expect(out[name]!.dims).toEqual(entry.kind === 'classifier' ? [B, 1] : [B, 1, H, W]);
        expect(Array.from(out[name]!.data).every(Number.isFinite)).toBe(true);
        await s.close();
      });
      it(`matches the reference outputs exported from Python (${entry.id}.json)`, async () => {
        const refPath = join(referenceDir, `${entry.id}.json`);
        expect(existsSync(refPath), `${refPath} missing`).toBe(true);
        const ref = JSON.parse(readFileSync(refPath, 'utf8')) as ReferenceFile;
        expect(ref.cases.length).toBeGreaterThan(0);
        const s = await ModelSession.open(join(modelsDir, entry.file), { threads: 1 });
        for (const [k, c] of ref.cases.entries()) {
          const feeds = Object.fromEntries(Object.entries(c.inputs).map(([n, t]) => [n, { data: Float32Array.from(t.data), dims: t.shape }]));
          const out = await s.run(feeds);
          for (const [name, expected] of Object.entries(c.outputs)) {
            expect(out[name]!.dims, `case ${k} ${name} shape`).toEqual(expected.shape);
            let worst = 0;
            expected.data.forEach((e, i) => (worst = Math.max(worst, Math.abs(out[name]!.data[i]! - e) / (1 + Math.abs(e)))));
            expect(worst, `case ${k} ${name}: largest relative difference`).toBeLessThanOrEqual(ref.tolerance);
          }
        }
        await s.close();
      });
      if (entry.kind === 'classifier' && entry.preprocess.standardise) {
        const st = entry.preprocess.standardise;
        it('standardises frames as Python did: the app maps each reference source to its network input', () => {
          const ref = JSON.parse(readFileSync(join(referenceDir, `${entry.id}.json`), 'utf8')) as ReferenceFile;
          for (const [k, c] of ref.cases.entries()) {
            expect(c.source, `case ${k} has no source frame`).toBeDefined();
            const x = Float32Array.from(c.source!.data);
            const y = toStandardised(x, standardisation(x, st), st);
            let worst = 0;
            c.inputs.image!.data.forEach((e, i) => (worst = Math.max(worst, Math.abs(y[i]! - e))));
            expect(worst, `case ${k}: largest difference of the standardised input`).toBeLessThan(1e-4);
          }
        });
      }
    });
  }
}

describe('fixture models (test/fixtures/models)', () => modelChecks(FIXTURE_MODELS, join(FIXTURE_MODELS, 'reference')));
describe.skipIf(!shippedReady)('shipped models (models/manifest.json)', () => {
  if (shippedReady) modelChecks(SHIPPED, join(SHIPPED, 'reference'));
});
