/**
 * Fine-tuning the restorer on a station's own pairs: builds the pairs from a
 * workspace's calibration z-stack (labelled planes of each field), runs
 * models/training/finetune.py with the system Python, and assembles a models
 * folder whose manifest names the new version (sha256-checked by the registry),
 * so `--models <folder>` switches the station to it and every restoration row
 * names the version that made it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTiffFloatPage } from '../imaging/tiff-read.js';
import { readManifest, sha256File, verifyModelFile, MANIFEST_FILE } from '../inference/model-registry.js';
import type { Db } from '../store/database.js';
import { labelledFrameFiles, type LabelledFrameFile } from '../store/queries/calibration.js';
import { packageRoot } from './paths.js';

export class FinetuneError extends Error {}

/** What `python` lacks for fine-tuning, or null when it has torch and onnx. */
export function pythonProblem(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch, onnx, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${python} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(r.stderr)?.[1];
    return `${python} has no ${missing ?? 'PyTorch / onnx / numpy'} (${r.stderr.trim().split('\n').at(-1)}); ` +
      'install PyTorch and onnx for it (Debian: apt-get install python3-torch python3-onnx) or pass --python <interpreter>';
  }
  return null;
}

export interface PairsSummary {
  dir: string;
  count: number;
  size: number;
  fields: number;
  identical: number;
}

/**
 * Writes the pairs of a calibration z-stack workspace in the simulator's format:
 * in every nanowell (one field) with an operator label "in focus" and at least
 * one "out of focus", each OOF plane against the nearest in-focus plane, plus
 * each in-focus plane against itself (identical pairs teach "leave an in-focus
 * frame alone", as PostFocus's 25%). Frames are read as the station reads them
 * (intensity by content) and centre-cropped to one square size.
 */
export async function writeWorkspacePairs(db: Db, dir: string, maxSize = 256): Promise<PairsSummary> {
  const wells = new Map<number, { focus: LabelledFrameFile[]; oof: LabelledFrameFile[] }>();
  for (const f of labelledFrameFiles(db)) {
    const w = wells.get(f.wellId) ?? { focus: [], oof: [] };
    (f.label === 'in_focus' ? w.focus : w.oof).push(f);
    wells.set(f.wellId, w);
  }
  const pairs: { oof: LabelledFrameFile; focus: LabelledFrameFile; identical: boolean }[] = [];
  let fields = 0;
  for (const w of wells.values()) {
    if (!w.focus.length || !w.oof.length) continue;
    fields++;
    for (const o of w.oof) {
      const nearest = w.focus.reduce((a, b) => (Math.abs(b.t - o.t) < Math.abs(a.t - o.t) ? b : a));
      pairs.push({ oof: o, focus: nearest, identical: false });
    }
    for (const f of w.focus) pairs.push({ oof: f, focus: f, identical: true });
  }
  if (pairs.length < 4) {
    throw new FinetuneError(
      `the workspace has ${pairs.length} pair(s) from ${fields} field(s); fine-tuning needs at least 4: label, in each field ` +
        '(nanowell) of a calibration z-stack, its in-focus plane (I / --labels in_focus) and its defocused planes (O / oof)',
    );
  }
  const size = Math.min(maxSize, ...pairs.map((p) => Math.min(p.oof.width, p.oof.height, p.focus.width, p.focus.height)));
  if (size < 64) throw new FinetuneError(`the labelled frames are ${size} px wide at the smallest; fine-tuning needs at least 64 px`);
  mkdirSync(dir, { recursive: true });
  const px = size * size;
  const oof = new Float32Array(pairs.length * px);
  const focus = new Float32Array(pairs.length * px);
  const crop = async (f: LabelledFrameFile, out: Float32Array, k: number) => {
    const img = await readTiffFloatPage(join(f.root, f.path), f.page, { effectiveRange: true });
    const x0 = (img.width - size) >> 1;
    const y0 = (img.height - size) >> 1;
    for (let y = 0; y < size; y++) out.set(img.data.subarray((y0 + y) * img.width + x0, (y0 + y) * img.width + x0 + size), k * px + y * size);
  };
  for (let k = 0; k < pairs.length; k++) {
    await crop(pairs[k]!.oof, oof, k);
    await crop(pairs[k]!.focus, focus, k);
  }
  writeFileSync(join(dir, 'oof.f32'), Buffer.from(oof.buffer));
  writeFileSync(join(dir, 'focus.f32'), Buffer.from(focus.buffer));
  const items = pairs.map((p) => ({ dz_um: 0, oof: p.identical ? 0 : 1, kind: 'station', identical: p.identical, path: p.oof.path, focus_path: p.focus.path }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ version: 1, size, count: pairs.length, seed: null, source: 'workspace calibration labels', files: { oof: 'oof.f32', focus: 'focus.f32' }, items }));
  return { dir, count: pairs.length, size, fields, identical: pairs.filter((p) => p.identical).length };
}

export type FinetuneKind = 'unet' | 'ddpm';

export interface FinetuneReport {
  id: string;
  kind: FinetuneKind;
  bytes: number;
  pairs: { count: number; train: number; heldout: number; size: number };
  training: { steps: number; wall_time_s: number };
  heldout: Record<'input' | 'base' | 'finetuned', Record<'all' | 'defocused' | 'identical', { n: number; psnr_db: number | null; mae: number } | null>>;
}

/** Runs models/training/finetune.py; progress lines go to `log`. Resolves with its report. */
export function runFinetune(
  python: string,
  args: { pairs: string; out: string; id: string; kind: FinetuneKind; steps: number; threads: number; base?: string },
  log: (line: string) => void,
): Promise<FinetuneReport> {
  const script = join(packageRoot(), 'models', 'training', 'finetune.py');
  if (!existsSync(script)) throw new FinetuneError(`${script} is missing (models/training is not shipped with this installation)`);
  const argv = [script, '--pairs', args.pairs, '--out', args.out, '--id', args.id, '--kind', args.kind, '--steps', String(args.steps), '--threads', String(args.threads)];
  if (args.base) argv.push('--base', args.base);
  return new Promise((done, fail) => {
    const child = spawn(python, argv, { cwd: join(packageRoot(), 'models', 'training'), stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() && !/UserWarning|_C\._jit/.test(line)) log(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => fail(new FinetuneError(`cannot run ${python}: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return fail(new FinetuneError(`finetune.py failed (exit ${code}): ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        done(JSON.parse(readFileSync(join(args.out, 'finetune.json'), 'utf8')) as FinetuneReport);
      } catch (err) {
        fail(new FinetuneError(`finetune.py wrote no readable report: ${(err as Error).message}`));
      }
    });
  });
}

/**
 * Models distilled from a model of another kind, which a fine-tuned version of
 * that kind would leave stale: the one-step student's first estimate is an
 * evaluation of the DDPM and its refiner and members were fitted to that DDPM's
 * outputs, so beside a fine-tuned DDPM it would be a mismatched pair.
 */
export const DISTILLED_FROM: Partial<Record<FinetuneKind, readonly string[]>> = { ddpm: ['student'] };

/** A model of the base folder that a fine-tuned folder leaves out, and why. */
export interface LeftOutModel {
  id: string;
  kind: string;
  reason: string;
}

/**
 * Makes `out` a complete models folder: the base folder's other models copied,
 * the fine-tuned kind's entry replaced by the new version (its sha256, size,
 * held-out metrics and provenance; inputs, preprocessing and schedule kept). The registry checks every file's hash as it does the
 * shipped models; returns the new entry's id and sha256. Models distilled from
 * the fine-tuned one ({@link DISTILLED_FROM}) are left out, not copied: the
 * station then restores with what the new version serves directly (without the
 * optional student, DDIM-5 with the fine-tuned DDPM).
 */
export function assembleModelsFolder(
  baseModels: string,
  out: string,
  report: FinetuneReport,
  onnxFile: string,
): { id: string; sha256: string; leftOut: LeftOutModel[] } {
  const manifestPath = join(resolve(baseModels), MANIFEST_FILE);
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: number; models: Record<string, unknown>[] };
  const base = raw.models.find((m) => m.kind === report.kind);
  if (!base) throw new FinetuneError(`${manifestPath} has no ${report.kind} model to fine-tune`);
  const stale = new Set(DISTILLED_FROM[report.kind] ?? []);
  const leftOut: LeftOutModel[] = raw.models
    .filter((m) => stale.has(String(m.kind)))
    .map((m) => ({ id: String(m.id), kind: String(m.kind), reason: `distilled from ${String(base.id)}, not from the fine-tuned ${report.id}` }));
  raw.models = raw.models.filter((m) => !stale.has(String(m.kind)));
  for (const m of raw.models) {
    if (m === base) continue;
    copyFileSync(join(resolve(baseModels), String(m.file)), join(out, String(m.file)));
  }
  const sha256 = sha256File(join(out, onnxFile));
  const entry = {
    ...base,
    id: report.id,
    file: onnxFile,
    sha256,
    bytes: report.bytes,
    metrics: { heldout_station_pairs: report.heldout },
    finetune: { base: { id: base.id, sha256: base.sha256 }, pairs: report.pairs, training: report.training, at: new Date().toISOString() },
  };
  raw.models = raw.models.map((m) => (m === base ? entry : m));
  writeFileSync(join(out, MANIFEST_FILE), JSON.stringify(raw, null, 1) + '\n');
  // The station's own check: the manifest parses and every file matches its hash.
  const manifest = readManifest(out);
  for (const m of manifest.models) verifyModelFile(out, m);
  return { id: report.id, sha256, leftOut };
}
