/**
 * Scoring of labelled real microscope images (`postfocus eval-real`): the rules,
 * with no file access, so they are tested on plain values.
 *
 * Labels come from one of three folder conventions (real-eval's CLI documents them):
 * - `labels.csv` with columns `path,label[,dz][,field]` (label `in_focus` or `oof`,
 *   Δz in µm, `field` groups the planes of one z-stack);
 * - a z-stack by file name: `<field>_dz<±number>[um].tif` — the label follows |Δz|
 *   (in focus ≤ inFocusMaxUm, OOF ≥ oofMinUm, planes in between are left out);
 * - `--all-in-focus`: every frame of the folder is in focus (specificity only).
 * Frames are cut into crops as a station would (nanowell-sized, default 281×281);
 * every crop is judged, and each crop position is a "video" over the frames in
 * time order, scored with the station's usability rule (common/usability.ts).
 */
import { splitCsvLine } from '../common/csv.js';
import { judgeSeriesTemporal, TEMPORAL_RULE, type MetricsLike, type SeriesFrame, type TemporalRule } from '../common/focus-judgement.js';
import { DEFAULT_USABILITY, isUsable } from '../common/usability.js';
import type { UsabilityRule } from '../common/domain.js';
import type { Image } from '../imaging/image.js';
import { fft2, ifft2 } from '../simulation/fft2.js';

export type RealLabel = 'in_focus' | 'oof';

export interface LabelledFrame {
  /** Path relative to the data folder, as written in the CSV or found in the folder. */
  path: string;
  label: RealLabel;
  /** Δz (µm) from the CSV or the file name; null when unknown. */
  dzUm: number | null;
  /** Field (z-stack) the frame belongs to; '' when none. */
  field: string;
}

/** Δz (µm) in a file name: `_dz-10`, `-dz+2.5um`, `.dz0`; null when absent. */
export function dzFromName(name: string): number | null {
  const m = /(?:^|[_\-. ])dz([+-]?\d+(?:\.\d+)?)(?:um|µm)?(?=[_\-. ]|$)/i.exec(name);
  return m ? Number(m[1]) : null;
}

/** Field of a z-stack file name: the part before `_dz…` (without the extension). */
export function fieldFromName(name: string): string {
  const base = name.replace(/\.[^.]+$/, '');
  const i = base.search(/[_\-. ]dz[+-]?\d/i);
  return i > 0 ? base.slice(0, i) : base;
}

/**
 * Parses a labels CSV (`path,label[,dz][,field]`, header required, other columns
 * ignored). Throws an Error naming the line for a missing column or a bad label / Δz.
 */
export function parseLabelsCsv(text: string, source = 'labels.csv'): LabelledFrame[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.length === 0) throw new Error(`${source}: empty; expected a header "path,label[,dz][,field]"`);
  const header = splitCsvLine(lines[0]!).map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  const [ip, il, id, iff] = [col('path'), col('label'), col('dz'), col('field')];
  if (ip < 0 || il < 0) throw new Error(`${source}: the header must name the columns "path" and "label", got "${lines[0]}"`);
  return lines.slice(1).map((line, k) => {
    const cells = splitCsvLine(line);
    const where = `${source} line ${k + 2}`;
    const path = (cells[ip] ?? '').trim();
    if (!path) throw new Error(`${where}: empty path`);
    const raw = (cells[il] ?? '').trim().toLowerCase();
    const label: RealLabel | undefined = raw === 'in_focus' || raw === 'in-focus' || raw === '0' ? 'in_focus' : raw === 'oof' || raw === '1' ? 'oof' : undefined;
    if (!label) throw new Error(`${where}: label must be "in_focus" or "oof", got "${cells[il] ?? ''}"`);
    let dzUm: number | null = null;
    if (id >= 0 && (cells[id] ?? '').trim() !== '') {
      dzUm = Number(cells[id]);
      if (!Number.isFinite(dzUm)) throw new Error(`${where}: dz must be a number (µm), got "${cells[id]}"`);
    }
    return { path, label, dzUm, field: iff >= 0 ? (cells[iff] ?? '').trim() : '' };
  });
}

/**
 * Labels of z-stack files from their names: in focus iff |Δz| ≤ inFocusMaxUm, OOF iff
 * |Δz| ≥ oofMinUm; files without Δz in the name or in the gap are returned in `skipped`.
 */
export function labelsFromNames(
  names: readonly string[],
  opts: { inFocusMaxUm: number; oofMinUm: number },
): { frames: LabelledFrame[]; skipped: string[] } {
  const frames: LabelledFrame[] = [];
  const skipped: string[] = [];
  for (const path of names) {
    const dz = dzFromName(path.split('/').pop()!);
    if (dz === null) {
      skipped.push(path);
      continue;
    }
    const a = Math.abs(dz);
    const label: RealLabel | null = a <= opts.inFocusMaxUm ? 'in_focus' : a >= opts.oofMinUm ? 'oof' : null;
    if (!label) skipped.push(path);
    else frames.push({ path, label, dzUm: dz, field: fieldFromName(path.split('/').pop()!) });
  }
  return { frames, skipped };
}

/** Non-overlapping crops of `size` covering a W×H frame from its top-left (edges that do not fit a whole crop are left out). */
export function cropGrid(width: number, height: number, size: number): { x0: number; y0: number; row: number; col: number }[] {
  if (!(size >= 16)) throw new Error(`crop size must be at least 16 px, got ${size}`);
  if (width < size || height < size) return [{ x0: 0, y0: 0, row: 0, col: 0 }];
  const out = [];
  for (let r = 0; (r + 1) * size <= height; r++) for (let c = 0; (c + 1) * size <= width; c++) out.push({ x0: c * size, y0: r * size, row: r, col: c });
  return out;
}

export interface CropJudgement {
  /** Index of the frame in the labelled list (time order within a field). */
  frame: number;
  field: string;
  row: number;
  col: number;
  label: RealLabel;
  dzUm: number | null;
  pOof: number;
  oof: boolean;
}

export interface BinScore {
  n: number;
  accuracy: number;
  judgedOof: number;
  medianPOof: number;
}

export interface JudgementScore {
  crops: number;
  inFocus: number;
  oof: number;
  /** Fraction of correct judgements. */
  accuracy: number;
  /** Mean of sensitivity and specificity where both classes are present, else the one present. */
  balancedAccuracy: number;
  /** In-focus crops judged in focus (null without in-focus crops). */
  specificity: number | null;
  /** OOF crops judged OOF (null without OOF crops). */
  sensitivity: number | null;
  /** AUC of p(OOF) (null unless both classes are present). */
  auc: number | null;
  /** Per |Δz| bin (µm) where Δz is known: '0', '0-2.5', '2.5-5', '5-10', '10-20', '≥20'. */
  perDzBin: Record<string, BinScore>;
  /** Each crop position (field, row, col) as a video over its frames: usable under the rule? */
  positions: { field: string; row: number; col: number; frames: number; judgedOof: number; usable: boolean }[];
  /** Every in-focus crop position's video usable (the acceptance check on in-focus sets). */
  allInFocusPositionsUsable: boolean | null;
}

const DZ_BINS: readonly [string, number, number][] = [
  ['0', 0, 0],
  ['0-2.5', 0, 2.5],
  ['2.5-5', 2.5, 5],
  ['5-10', 5, 10],
  ['10-20', 10, 20],
  ['≥20', 20, Infinity],
];

/** |Δz| bin label (µm); 5 µm itself is OOF (PostFocus: OOF iff |Δz| ≥ 5 µm), so it opens '5-10'. */
export function dzBinUm(dz: number): string {
  const a = Math.abs(dz);
  if (a === 0) return '0';
  if (a >= 5 && a <= 10) return '5-10';
  for (const [label, lo, hi] of DZ_BINS.slice(1)) if (a > lo && a <= hi) return label;
  return '≥20';
}

/**
 * The judgement in force for each crop, as the station judges a nanowell's series:
 * every crop position is a well, its crops in frame order (time, or z in a z-stack)
 * the series, judged by the classifier and the temporal rule
 * (common/focus-judgement.ts). Returns the judgements with `oof` replaced.
 */
export function judgeInForce(js: readonly CropJudgement[], metrics: readonly MetricsLike[], rule: TemporalRule = TEMPORAL_RULE): CropJudgement[] {
  if (metrics.length !== js.length) throw new RangeError('judgeInForce: one metrics entry per judgement');
  const out = [...js];
  const groups = new Map<string, number[]>();
  js.forEach((j, i) => {
    const key = `${j.field}\u0000${j.row}\u0000${j.col}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  for (const idx of groups.values()) {
    const ordered = [...idx].sort((a, b) => js[a]!.frame - js[b]!.frame);
    const series: SeriesFrame[] = ordered.map((i) => ({ t: js[i]!.frame, pOof: js[i]!.pOof, modelOof: js[i]!.oof, metrics: metrics[i]! }));
    judgeSeriesTemporal(series, rule).forEach((r, k) => (out[ordered[k]!] = { ...js[ordered[k]!]!, oof: r.oof }));
  }
  return out;
}

/** Scores crop judgements against their labels; crop positions follow the station's usability rule. */
export function scoreJudgements(js: readonly CropJudgement[], rule: UsabilityRule = DEFAULT_USABILITY): JudgementScore {
  const pos = js.filter((j) => j.label === 'oof');
  const neg = js.filter((j) => j.label === 'in_focus');
  const correct = js.filter((j) => j.oof === (j.label === 'oof')).length;
  const sens = pos.length ? pos.filter((j) => j.oof).length / pos.length : null;
  const spec = neg.length ? neg.filter((j) => !j.oof).length / neg.length : null;
  const perDzBin: Record<string, BinScore> = {};
  for (const [label] of DZ_BINS) {
    const sel = js.filter((j) => j.dzUm !== null && dzBinUm(j.dzUm) === label);
    if (sel.length === 0) continue;
    perDzBin[label] = {
      n: sel.length,
      accuracy: sel.filter((j) => j.oof === (j.label === 'oof')).length / sel.length,
      judgedOof: sel.filter((j) => j.oof).length,
      medianPOof: median(sel.map((j) => j.pOof)),
    };
  }
  const groups = new Map<string, CropJudgement[]>();
  for (const j of js) {
    const key = `${j.field}\u0000${j.row}\u0000${j.col}`;
    const g = groups.get(key);
    if (g) g.push(j);
    else groups.set(key, [j]);
  }
  const positions = [...groups.values()].map((g) => {
    const ordered = [...g].sort((a, b) => a.frame - b.frame);
    return {
      field: g[0]!.field,
      row: g[0]!.row,
      col: g[0]!.col,
      frames: g.length,
      judgedOof: g.filter((j) => j.oof).length,
      usable: isUsable(ordered.map((j) => j.oof), rule),
      allInFocus: g.every((j) => j.label === 'in_focus'),
    };
  });
  const inFocusPositions = positions.filter((p) => p.allInFocus);
  return {
    crops: js.length,
    inFocus: neg.length,
    oof: pos.length,
    accuracy: js.length ? correct / js.length : NaN,
    balancedAccuracy: sens !== null && spec !== null ? (sens + spec) / 2 : (sens ?? spec ?? NaN),
    specificity: spec,
    sensitivity: sens,
    auc: auc(pos.map((j) => j.pOof), neg.map((j) => j.pOof)),
    perDzBin,
    positions: positions.map(({ allInFocus: _a, ...p }) => p),
    allInFocusPositionsUsable: inFocusPositions.length ? inFocusPositions.every((p) => p.usable) : null,
  };
}

/** AUC of scores of positives vs negatives (Mann–Whitney, ties half); null if a class is empty. */
export function auc(positives: readonly number[], negatives: readonly number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null;
  let s = 0;
  for (const p of positives) for (const q of negatives) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (positives.length * negatives.length);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Integer translation (dx, dy) that best aligns `moving` onto `fixed` (phase
 * correlation on a zero-padded power-of-two grid), limited to |d| ≤ maxShift:
 * fixed(x, y) ≈ moving(x − dx, y − dy). Both (H, W) float32, same size.
 */
export function registerTranslation(fixed: Image, moving: Image, maxShift = 32): { dx: number; dy: number } {
  if (fixed.width !== moving.width || fixed.height !== moving.height) throw new Error('registerTranslation: images differ in size');
  const { width: w, height: h } = fixed;
  let n = 2;
  while (n < Math.max(w, h)) n *= 2;
  const spec = (img: Image): Float64Array => {
    const mean = img.data.reduce((a, b) => a + b, 0) / img.data.length;
    const f = new Float64Array(2 * n * n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f[2 * (y * n + x)] = img.data[y * w + x]! - mean;
    const out = new Float64Array(2 * n * n);
    fft2(f, out, n);
    return out;
  };
  const A = spec(fixed);
  const B = spec(moving);
  const R = new Float64Array(2 * n * n);
  for (let i = 0; i < n * n; i++) {
    const ar = A[2 * i]!;
    const ai = A[2 * i + 1]!;
    const br = B[2 * i]!;
    const bi = -B[2 * i + 1]!;
    const re = ar * br - ai * bi;
    const im = ar * bi + ai * br;
    const mag = Math.hypot(re, im) || 1;
    R[2 * i] = re / mag;
    R[2 * i + 1] = im / mag;
  }
  const r = new Float64Array(2 * n * n);
  ifft2(R, r, n);
  let best = -Infinity;
  let dx = 0;
  let dy = 0;
  for (let sy = -maxShift; sy <= maxShift; sy++) {
    for (let sx = -maxShift; sx <= maxShift; sx++) {
      const y = (sy + n) % n;
      const x = (sx + n) % n;
      const v = r[2 * (y * n + x)]!;
      if (v > best) {
        best = v;
        dx = sx;
        dy = sy;
      }
    }
  }
  return { dx, dy };
}

/** The overlapping part of fixed and moving after shifting moving by (dx, dy): two equal-sized images. */
export function overlap(fixed: Image, moving: Image, dx: number, dy: number): [Image, Image] {
  const w = fixed.width - Math.abs(dx);
  const h = fixed.height - Math.abs(dy);
  if (w < 16 || h < 16) throw new Error(`registration shift (${dx}, ${dy}) leaves less than 16×16 px of overlap`);
  const a = new Float32Array(w * h);
  const b = new Float32Array(w * h);
  const fx0 = Math.max(0, dx);
  const fy0 = Math.max(0, dy);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      a[y * w + x] = fixed.data[(fy0 + y) * fixed.width + fx0 + x]!;
      b[y * w + x] = moving.data[(fy0 + y - dy) * moving.width + fx0 + x - dx]!;
    }
  }
  return [
    { width: w, height: h, data: a },
    { width: w, height: h, data: b },
  ];
}

/**
 * Camera-noise σ of an image (same units as its values), Immerkær's estimator
 * (CVIU 1996): σ = √(π/2) / (6 (W−2)(H−2)) · Σ |I ∗ N|, N = [1 −2 1; −2 4 −2; 1 −2 1],
 * a Laplacian difference that cancels smooth structure, so edges bias it little.
 * img: (H, W) float32 row-major, at least 3×3.
 */
export function noiseSigma(img: Image): number {
  const { width: w, height: h, data: d } = img;
  if (w < 3 || h < 3) throw new Error('noiseSigma: image smaller than 3×3');
  let s = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v =
        d[i - w - 1]! - 2 * d[i - w]! + d[i - w + 1]! - 2 * d[i - 1]! + 4 * d[i]! - 2 * d[i + 1]! + d[i + w - 1]! - 2 * d[i + w]! + d[i + w + 1]!;
      s += Math.abs(v);
    }
  }
  return (Math.sqrt(Math.PI / 2) * s) / (6 * (w - 2) * (h - 2));
}
