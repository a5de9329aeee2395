/**
 * models/manifest.json: which model files the app may load, their sha256, I/O
 * spec and preprocessing (the one source of truth shared with the Python
 * training side). A model whose file is missing, truncated or whose hash does
 * not match is refused with an error naming the file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type ModelKind = 'classifier' | 'ddpm' | 'unet' | 'student';
export const MODEL_KINDS: readonly ModelKind[] = ['classifier', 'ddpm', 'unet', 'student'];
/** Kinds a models folder may lack without that being a problem (the station falls back to DDIM). */
export const OPTIONAL_KINDS: readonly ModelKind[] = ['student'];

export interface Preprocess {
  /** Intensity range of the app's images, [0, 1]. */
  inputRange: [number, number];
  /** Model space = x · scale + offset. */
  scale: number;
  offset: number;
  /** Height and width fed to the network must be multiples of this. */
  sizeMultiple: number;
  /** Side of the square crops the network was trained on (tile size for restoration). */
  trainPatch: number;
  /** Smallest height / width the network accepts; smaller frames are mirror-padded up to it. */
  minSize: number;
  /** p(OOF) at or above which a frame is flagged out of focus (classifier). */
  threshold: number;
  /** Diffusion noise schedule (DDPM only). */
  schedule?: { kind: string; T: number; alphasCumprod: number[] };
  /**
   * Per-frame robust standardisation of the classifier input (replaces scale/offset when
   * present): y = clip((x − p_center) / max(p_high − p_low, minSpreadRel·|p_center|, minSpreadAbs), ±clip).
   */
  standardise?: Standardise;
}

/** Percentile standardisation of a frame (manifest `preprocess.standardise`, models/training/common.py). */
export interface Standardise {
  centerPercentile: number;
  lowPercentile: number;
  highPercentile: number;
  minSpreadRel: number;
  minSpreadAbs: number;
  clip: number;
}

export interface ModelEntry {
  id: string;
  kind: ModelKind;
  /** File name relative to the models folder. */
  file: string;
  sha256: string;
  bytes: number | null;
  inputs: string[];
  outputs: string[];
  preprocess: Preprocess;
}

export interface Manifest {
  /** Absolute path of manifest.json. */
  path: string;
  models: ModelEntry[];
}

/** A model that cannot be used; `file` names the file concerned. */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** I/O names every model of a kind must have (DESIGN.md, models/manifest.json). */
export const EXPECTED_IO: Record<ModelKind, { inputs: string[]; outputs: string[] }> = {
  classifier: { inputs: ['image'], outputs: ['logit'] },
  ddpm: { inputs: ['x_t', 'cond', 't'], outputs: ['eps'] },
  unet: { inputs: ['image'], outputs: ['restored'] },
  student: { inputs: ['z', 'cond', 'x0_hat'], outputs: ['x0'] },
};

export const MANIFEST_FILE = 'manifest.json';

function num(v: unknown, what: string, file: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelError(`${file}: ${what} must be a number, got ${JSON.stringify(v)}`, file);
  return v;
}

function names(list: unknown, what: string, file: string): string[] {
  if (!Array.isArray(list)) throw new ModelError(`${file}: ${what} must be a list`, file);
  return list.map((x) => {
    if (typeof x === 'string') return x;
    if (x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string') return (x as { name: string }).name;
    throw new ModelError(`${file}: ${what} entries must be names or {name}`, file);
  });
}

function parsePreprocess(raw: unknown, kind: ModelKind, where: string, file: string): Preprocess {
  const p = (raw ?? {}) as Record<string, unknown>;
  const range = Array.isArray(p.input_range) ? p.input_range : [0, 1];
  const pre: Preprocess = {
    inputRange: [num(range[0], `${where}.input_range[0]`, file), num(range[1], `${where}.input_range[1]`, file)],
    scale: num(p.scale, `${where}.scale`, file, 2),
    offset: num(p.offset, `${where}.offset`, file, -1),
    sizeMultiple: num(p.size_multiple, `${where}.size_multiple`, file, 16),
    trainPatch: num(p.train_patch, `${where}.train_patch`, file, 64),
    threshold: num(p.threshold, `${where}.threshold`, file, 0.5),
    minSize: num(p.min_size, `${where}.min_size`, file, 1),
  };
  if (!(pre.sizeMultiple >= 1 && Number.isInteger(pre.sizeMultiple))) {
    throw new ModelError(`${file}: ${where}.size_multiple must be a whole number ≥ 1`, file);
  }
  if (p.standardise !== undefined) {
    const st = p.standardise as Record<string, unknown>;
    const w = `${where}.standardise`;
    pre.standardise = {
      centerPercentile: num(st.center_percentile, `${w}.center_percentile`, file),
      lowPercentile: num(st.low_percentile, `${w}.low_percentile`, file),
      highPercentile: num(st.high_percentile, `${w}.high_percentile`, file),
      minSpreadRel: num(st.min_spread_rel, `${w}.min_spread_rel`, file),
      minSpreadAbs: num(st.min_spread_abs, `${w}.min_spread_abs`, file),
      clip: num(st.clip, `${w}.clip`, file),
    };
    const q = pre.standardise;
    const pct = (v: number): boolean => v >= 0 && v <= 100;
    if (!(pct(q.lowPercentile) && pct(q.centerPercentile) && pct(q.highPercentile) && q.lowPercentile < q.highPercentile)) {
      throw new ModelError(`${file}: ${w}: percentiles must lie in [0, 100] with low < high`, file);
    }
    if (!(q.minSpreadAbs > 0 && q.minSpreadRel >= 0 && q.clip > 0)) {
      throw new ModelError(`${file}: ${w}: min_spread_abs and clip must be > 0, min_spread_rel ≥ 0`, file);
    }
  }
  if (kind === 'ddpm') {
    const s = p.schedule as Record<string, unknown> | undefined;
    if (!s || !Array.isArray(s.alphas_cumprod)) {
      throw new ModelError(`${file}: ${where}.schedule.alphas_cumprod is required for a DDPM`, file);
    }
    const ab = (s.alphas_cumprod as unknown[]).map((v, i) => num(v, `${where}.schedule.alphas_cumprod[${i}]`, file));
    pre.schedule = { kind: String(s.kind ?? 'unknown'), T: num(s.T, `${where}.schedule.T`, file, ab.length), alphasCumprod: ab };
  }
  return pre;
}

/** Reads and checks `<modelsDir>/manifest.json`; throws a ModelError naming it. */
export function readManifest(modelsDir: string): Manifest {
  const path = resolve(modelsDir, MANIFEST_FILE);
  if (!existsSync(path)) throw new ModelError(`model manifest ${path} not found`, path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelError(`model manifest ${path} is not valid JSON: ${(err as Error).message}`, path);
  }
  const doc = raw as { version?: unknown; models?: unknown };
  if (doc.version !== 1 || !Array.isArray(doc.models)) {
    throw new ModelError(`model manifest ${path}: expected {"version": 1, "models": [...]}`, path);
  }
  const models = doc.models.map((m: Record<string, unknown>, i: number): ModelEntry => {
    const where = `models[${i}]`;
    const kind = m.kind as ModelKind;
    if (!MODEL_KINDS.includes(kind)) throw new ModelError(`${path}: ${where}.kind must be one of ${MODEL_KINDS.join(', ')}`, path);
    if (typeof m.id !== 'string' || typeof m.file !== 'string' || typeof m.sha256 !== 'string') {
      throw new ModelError(`${path}: ${where} needs string id, file and sha256`, path);
    }
    if (isAbsolute(m.file) || m.file.split(/[\\/]/).includes('..')) {
      throw new ModelError(`${path}: ${where}.file must stay inside the models folder, got ${m.file}`, path);
    }
    return {
      id: m.id,
      kind,
      file: m.file,
      sha256: m.sha256.toLowerCase(),
      bytes: typeof m.bytes === 'number' ? m.bytes : null,
      inputs: names(m.inputs ?? EXPECTED_IO[kind].inputs, `${where}.inputs`, path),
      outputs: names(m.outputs ?? EXPECTED_IO[kind].outputs, `${where}.outputs`, path),
      preprocess: parsePreprocess(m.preprocess, kind, `${where}.preprocess`, path),
    };
  });
  return { path, models };
}

/** The first model of a kind in the manifest, if any. */
export function modelOfKind(manifest: Manifest, kind: ModelKind): ModelEntry | undefined {
  return manifest.models.find((m) => m.kind === kind);
}

/** sha256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Checks a model file against its manifest entry: present, of the recorded size,
 * with the recorded sha256. Returns the absolute path; throws a ModelError naming
 * the file otherwise.
 */
export function verifyModelFile(modelsDir: string, entry: ModelEntry): string {
  const file = resolve(join(modelsDir, entry.file));
  if (!existsSync(file)) throw new ModelError(`model file ${file} (${entry.id}) is missing`, file);
  const size = statSync(file).size;
  if (entry.bytes !== null && size !== entry.bytes) {
    throw new ModelError(`model file ${file} (${entry.id}) is ${size} bytes, the manifest says ${entry.bytes}: corrupt or replaced`, file);
  }
  const actual = sha256File(file);
  if (actual !== entry.sha256) {
    throw new ModelError(
      `model file ${file} (${entry.id}) has sha256 ${actual}, the manifest says ${entry.sha256}: refusing to load it`,
      file,
    );
  }
  const expected = EXPECTED_IO[entry.kind];
  for (const n of expected.inputs) {
    if (!entry.inputs.includes(n)) throw new ModelError(`${entry.id}: manifest inputs lack "${n}" (${file})`, file);
  }
  return file;
}
