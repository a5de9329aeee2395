/**
 * The focus judgement of a frame: the classifier's p(OOF), read together with
 * its own nanowell's recent frames (temporal rule) or, once the station is
 * calibrated, through a small logistic fit to operator labels. Pure: the store
 * feeds it a well's series, the pipeline writes what it returns.
 *
 * Why a temporal rule: the classifier sees one crop. A sparse or empty well
 * has few edges in focus as well as out of it, so its p(OOF) is high for
 * content reasons. Compared with its own recent frames, a sparse well that
 * looks as it usually does is in focus, and a frame far from its well's recent
 * in-focus frames is out of focus whatever its content.
 */

import type { FocusMetrics } from './domain.js';

export type JudgementBasis = 'model' | 'calibration' | 'temporal';

/** The focus metrics the judgement reads (null when not computed). */
export type MetricsLike = Pick<FocusMetrics, 'tenenbaum' | 'laplacianVariance' | 'normalizedVariance'>;

/** Parameters of the temporal rule (see docs/focus-judgement.md for their reasons). */
export interface TemporalRule {
  /** Recent in-focus-judged frames of the well the reference is the median of. */
  window: number;
  /** Fewer in-focus-judged predecessors than this: the reference is the well's nearest frames, any judgement. */
  minReference: number;
  /** Model says OOF, but the frame's relative sharpness lies within [1/keepWithin, keepWithin]: in focus ... */
  keepWithin: number;
  /** ... unless the model is this sure (a well defocused from its first frame stays OOF). */
  rescueBelow: number;
  /** Model says in focus, but the relative sharpness is ≥ flagBeyond or ≤ 1/flagBeyond: OOF ... */
  flagBeyond: number;
  /** ... provided the model gave it at least this p(OOF). */
  flagAbove: number;
}

export const TEMPORAL_RULE: Readonly<TemporalRule> = Object.freeze({
  window: 8,
  minReference: 3,
  keepWithin: 1.25,
  rescueBelow: 0.99,
  flagBeyond: 2,
  flagAbove: 0.2,
});

/**
 * Content-normalised sharpness: variance of the Laplacian over the Tenenbaum
 * gradient energy. Both grow with the amount of content, so their ratio
 * describes the spectrum's shape — how much of the structure sits at the
 * finest scales — independently of how many cells there are. Defocus moves it
 * either way: it removes fine structure (lower), and where what remains is
 * camera noise, white noise's own high ratio takes over (higher; the
 * simulator's defocused phase-contrast frames sit at 2.7–5.6× their well's
 * in-focus frames). The rule therefore asks how far a frame is from its well,
 * in either direction. Null when a metric is missing or the frame is flat.
 */
export function contentSharpness(m: MetricsLike): number | null {
  const { laplacianVariance: l, tenenbaum: t } = m;
  if (l === null || t === null || !Number.isFinite(l) || !Number.isFinite(t) || t <= 0 || l <= 0) return null;
  return l / t;
}

/** One classified frame of a nanowell. */
export interface SeriesFrame {
  t: number;
  pOof: number;
  /** The model's decision under its manifest threshold. */
  modelOof: boolean;
  metrics: MetricsLike;
}

export interface FrameJudgement {
  oof: boolean;
  basis: JudgementBasis;
  /** Calibrated p(OOF) under a calibration, else the model's. */
  pUsed: number;
  /** Sharpness relative to the well's reference (1 = as sharp as usual); null without a reference. */
  relativeSharpness: number | null;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Judges a nanowell's classified frames (sorted by t) with the temporal rule.
 * Each frame's reference is the median content sharpness of the last `window`
 * earlier frames judged in focus; with fewer than `minReference` of those (the
 * start of a run, or a well the model calls OOF throughout), the `window`
 * nearest frames on either side, whatever their judgement.
 */
export function judgeSeriesTemporal(frames: readonly SeriesFrame[], rule: TemporalRule = TEMPORAL_RULE): FrameJudgement[] {
  for (let i = 1; i < frames.length; i++) {
    if (frames[i]!.t < frames[i - 1]!.t) throw new Error('judgeSeriesTemporal: frames must be sorted by t');
  }
  const sharp = frames.map((f) => contentSharpness(f.metrics));
  const out: FrameJudgement[] = [];
  const inFocusHistory: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const p = frames[i]!.pOof;
    const s = sharp[i]!;
    let reference: number | null = null;
    const recent = inFocusHistory.slice(-rule.window);
    if (recent.length >= rule.minReference) reference = median(recent);
    else {
      const near: number[] = [];
      for (let d = 1; near.length < rule.window && (i - d >= 0 || i + d < frames.length); d++) {
        if (i - d >= 0 && sharp[i - d] !== null) near.push(sharp[i - d]!);
        if (i + d < frames.length && sharp[i + d] !== null && near.length < rule.window) near.push(sharp[i + d]!);
      }
      if (near.length >= rule.minReference) reference = median(near);
    }
    const rel = s !== null && reference !== null && reference > 0 ? s / reference : null;
    const modelOof = frames[i]!.modelOof;
    let oof = modelOof;
    let basis: JudgementBasis = 'model';
    if (rel !== null) {
      const distance = Math.abs(Math.log(rel));
      if (modelOof && distance <= Math.log(rule.keepWithin) && p < rule.rescueBelow) {
        oof = false;
        basis = 'temporal';
      } else if (!modelOof && distance >= Math.log(rule.flagBeyond) && p >= rule.flagAbove) {
        oof = true;
        basis = 'temporal';
      }
    }
    if (!oof && s !== null) inFocusHistory.push(s);
    out.push({ oof, basis, pUsed: p, relativeSharpness: rel });
  }
  return out;
}

// ---------------------------------------------------------------- calibration

/** Features a calibration reads, in order (names are stored with the fit). */
export const CALIBRATION_FEATURES = [
  'logit_p_oof',
  'log_relative_sharpness',
  'abs_log_relative_sharpness',
  'log_content_sharpness',
  'log_laplacian_var',
  'log_norm_variance',
] as const;

/** A logistic fit of OOF on standardised features; stored with the calibration and in profiles. */
export interface CalibrationFit {
  features: string[];
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** L2 penalty it was fitted with. */
  l2: number;
  /**
   * Set when the fit did not beat the uncalibrated judgement (model + temporal
   * rule) on the operator's own labels, leave-one-out: that judgement stays in
   * force, so a calibration never makes the decision worse on them.
   */
  keepUncalibrated?: boolean;
}

const EPS = 1e-6;
const clampP = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));
const safeLog = (v: number | null) => (v !== null && Number.isFinite(v) && v > 0 ? Math.log(v) : null);

/** Feature vector of a frame (missing values become the fit's mean, i.e. 0 after standardisation). */
export function calibrationFeatures(pOof: number, metrics: MetricsLike, relativeSharpness: number | null): (number | null)[] {
  const p = clampP(pOof);
  const logRel = safeLog(relativeSharpness);
  return [
    Math.log(p / (1 - p)),
    logRel,
    logRel === null ? null : Math.abs(logRel),
    safeLog(contentSharpness(metrics)),
    safeLog(metrics.laplacianVariance),
    safeLog(metrics.normalizedVariance),
  ];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Calibrated p(OOF) of a feature vector. */
export function calibratedPOof(fit: CalibrationFit, x: readonly (number | null)[]): number {
  if (x.length !== fit.weights.length) throw new Error(`calibration expects ${fit.weights.length} features, got ${x.length}`);
  let z = fit.bias;
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    if (v === null || v === undefined) continue;
    z += fit.weights[k]! * ((v - fit.mean[k]!) / fit.scale[k]!);
  }
  return sigmoid(z);
}

/**
 * Fits a class-balanced, L2-penalised logistic regression (Newton / IRLS) of
 * OOF on standardised features. With ~20 labels per class and six features,
 * the penalty keeps the fit from chasing single labels.
 */
export function fitCalibration(xs: readonly (readonly (number | null)[])[], ys: readonly boolean[], l2 = 1): CalibrationFit {
  const n = xs.length;
  const nOof = ys.filter(Boolean).length;
  if (n !== ys.length) throw new Error('fitCalibration: features and labels differ in length');
  if (nOof === 0 || nOof === n) throw new Error(`calibration needs labels of both classes (got ${n - nOof} in focus, ${nOof} out of focus)`);
  const d = xs[0]?.length ?? 0;
  const mean: number[] = [];
  const scale: number[] = [];
  for (let k = 0; k < d; k++) {
    const vals = xs.map((x) => x[k]).filter((v): v is number => v !== null && v !== undefined);
    const m = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0;
    const sd = vals.length > 1 ? Math.sqrt(vals.reduce((a, v) => a + (v - m) ** 2, 0) / vals.length) : 0;
    mean.push(m);
    scale.push(sd > 1e-9 ? sd : 1);
  }
  const z = xs.map((x) => x.map((v, k) => (v === null || v === undefined ? 0 : (v - mean[k]!) / scale[k]!)));
  // Each class carries half the total weight, so 5 OOF labels among 40 count as much as the 35.
  const wPos = n / (2 * nOof);
  const wNeg = n / (2 * (n - nOof));
  const beta = new Array<number>(d + 1).fill(0); // [bias, w...]
  for (let iter = 0; iter < 50; iter++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const row = [1, ...z[i]!];
      const p = sigmoid(row.reduce((a, v, k) => a + v * beta[k]!, 0));
      const w = ys[i] ? wPos : wNeg;
      const r = w * (p - (ys[i] ? 1 : 0));
      const h = w * p * (1 - p);
      for (let a = 0; a <= d; a++) {
        grad[a]! += r * row[a]!;
        for (let b = 0; b <= d; b++) hess[a]![b]! += h * row[a]! * row[b]!;
      }
    }
    for (let a = 1; a <= d; a++) {
      grad[a]! += l2 * beta[a]!;
      hess[a]![a]! += l2;
    }
    hess[0]![0]! += 1e-9;
    const step = solve(hess, grad);
    let maxStep = 0;
    for (let a = 0; a <= d; a++) {
      beta[a]! -= step[a]!;
      maxStep = Math.max(maxStep, Math.abs(step[a]!));
    }
    if (maxStep < 1e-8) break;
  }
  return { features: [...CALIBRATION_FEATURES].slice(0, d), mean, scale, weights: beta.slice(1), bias: beta[0]!, l2 };
}

/** Gaussian elimination with partial pivoting; A is (n, n), small. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}

export interface CrossValidation {
  accuracy: number;
  balancedAccuracy: number;
  folds: number;
}

/**
 * Leave-one-out cross-validation of `fitCalibration` (labels are few: every
 * label is predicted by a fit that never saw it).
 */
export function crossValidateCalibration(xs: readonly (readonly (number | null)[])[], ys: readonly boolean[], l2 = 1): CrossValidation {
  let tp = 0, tn = 0, pos = 0, neg = 0;
  for (let i = 0; i < xs.length; i++) {
    const trainX = xs.filter((_, j) => j !== i);
    const trainY = ys.filter((_, j) => j !== i);
    const p = calibratedPOof(fitCalibration(trainX, trainY, l2), xs[i]!);
    if (ys[i]) {
      pos++;
      if (p >= 0.5) tp++;
    } else {
      neg++;
      if (p < 0.5) tn++;
    }
  }
  return { accuracy: (tp + tn) / xs.length, balancedAccuracy: (tp / pos + tn / neg) / 2, folds: xs.length };
}

/** Balanced accuracy of predictions against truth (mean of the two recalls). */
export function balancedAccuracy(predicted: readonly boolean[], truth: readonly boolean[]): number {
  let tp = 0, tn = 0, pos = 0, neg = 0;
  predicted.forEach((p, i) => {
    if (truth[i]) {
      pos++;
      if (p) tp++;
    } else {
      neg++;
      if (!p) tn++;
    }
  });
  if (pos === 0 || neg === 0) return pos === 0 ? tn / neg : tp / pos;
  return (tp / pos + tn / neg) / 2;
}

/**
 * Judges a well's series under a calibration: relative sharpness comes from the
 * uncalibrated temporal pass (so the features are the ones the fit was made on),
 * the decision from the calibrated p(OOF).
 */
export function judgeSeriesCalibrated(frames: readonly SeriesFrame[], fit: CalibrationFit, rule: TemporalRule = TEMPORAL_RULE): FrameJudgement[] {
  const temporal = judgeSeriesTemporal(frames, rule);
  return frames.map((f, i) => {
    const rel = temporal[i]!.relativeSharpness;
    const p = calibratedPOof(fit, calibrationFeatures(f.pOof, f.metrics, rel));
    return { oof: p >= 0.5, basis: 'calibration', pUsed: p, relativeSharpness: rel };
  });
}
