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
export type MetricsLike = Pick<FocusMetrics, 'tenenbaum' | 'laplacianVariance' | 'normalizedVariance'> &
  Partial<Pick<FocusMetrics, 'vollathF4' | 'vollathF5'>>;

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

/**
 * Features a calibration may fit, in the column order of the labelled rows
 * (a fit stores the names of those it uses; CALIBRATION_FEATURE_SETS says
 * which). Per frame, only the classifier's logit: the focus metrics' absolute
 * values follow the amount of content far more than focus (on the simulator's
 * held-out 60× bright field their AUCs lie within 0.48–0.61). The rest compare
 * the frame with its own nanowell — the same cells — in either direction
 * (defocus lowers the metrics of stained or absorbing content and raises them
 * for phase objects in bright field, which gain contrast away from focus).
 */
export const CALIBRATION_FEATURES = [
  'logit_p_oof',
  'logit_p_oof_vs_well',
  'log_tenenbaum_vs_well',
  'log_vollath_f4_vs_well',
  'log_vollath_f5_vs_well',
  'log_norm_variance_vs_well',
  'log_laplacian_var_vs_well',
  'log_content_sharpness_vs_well',
  'abs_logit_p_oof_vs_well',
  'abs_log_tenenbaum_vs_well',
  'abs_log_vollath_f4_vs_well',
  'abs_log_vollath_f5_vs_well',
  'abs_log_norm_variance_vs_well',
  'abs_log_laplacian_var_vs_well',
  'abs_log_content_sharpness_vs_well',
] as const;

/**
 * Feature sets the calibration chooses from, simplest first (see
 * selectCalibration): the classifier's logit and that logit against the
 * well's — a threshold and temperature that also read the frame's well — and
 * all of CALIBRATION_FEATURES, for a microscope where the classifier's ranking
 * fails and the focus metrics against the well must carry the decision.
 */
export const CALIBRATION_FEATURE_SETS: readonly (readonly string[])[] = Object.freeze([
  ['logit_p_oof', 'logit_p_oof_vs_well', 'abs_logit_p_oof_vs_well'],
  [...CALIBRATION_FEATURES],
]);

/**
 * Features of calibrations made before the well comparison (profile version 1,
 * workspaces calibrated then): still computed, so those calibrations judge as
 * they did.
 */
export const LEGACY_CALIBRATION_FEATURES = [
  'logit_p_oof',
  'log_relative_sharpness',
  'abs_log_relative_sharpness',
  'log_content_sharpness',
  'log_laplacian_var',
  'log_norm_variance',
] as const;

/** Every feature name a stored fit may use. */
export const KNOWN_CALIBRATION_FEATURES: ReadonlySet<string> = new Set([...CALIBRATION_FEATURES, ...LEGACY_CALIBRATION_FEATURES]);

/**
 * L2 penalties the calibration chooses from by cross-validation on the operator's
 * labels (features are standardised, so one grid fits every microscope).
 */
export const CALIBRATION_L2_GRID: readonly number[] = Object.freeze([0.3, 1, 3, 10, 30]);

/** A logistic fit of OOF on standardised features; stored with the calibration and in profiles. */
export interface CalibrationFit {
  features: string[];
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** L2 penalty it was fitted with (chosen from CALIBRATION_L2_GRID by cross-validation since profile version 2). */
  l2: number;
  /**
   * Set when the fit did not beat the uncalibrated judgement (model + temporal
   * rule) on the operator's own labels, cross-validated: that judgement stays in
   * force, so a calibration never makes the decision worse on them.
   */
  keepUncalibrated?: boolean;
}

const EPS = 1e-6;
const clampP = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));
const safeLog = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) && v > 0 ? Math.log(v) : null);
const logit = (p: number) => Math.log(clampP(p) / (1 - clampP(p)));

/** Named feature values of one frame (null: not available, e.g. a well with one frame). */
export type FeatureValues = Readonly<Record<string, number | null>>;

/** The per-frame quantities the well comparison is made on. */
const WELL_QUANTITIES = ['logit_p_oof', 'log_tenenbaum', 'log_vollath_f4', 'log_vollath_f5', 'log_norm_variance', 'log_laplacian_var', 'log_content_sharpness'] as const;

function frameQuantities(f: SeriesFrame): Record<(typeof WELL_QUANTITIES)[number], number | null> {
  const m = f.metrics;
  return {
    logit_p_oof: logit(f.pOof),
    log_tenenbaum: safeLog(m.tenenbaum),
    log_vollath_f4: safeLog(m.vollathF4),
    log_vollath_f5: safeLog(m.vollathF5),
    log_norm_variance: safeLog(m.normalizedVariance),
    log_laplacian_var: safeLog(m.laplacianVariance),
    log_content_sharpness: safeLog(contentSharpness(m)),
  };
}

/**
 * Calibration features of every frame of a nanowell's series (sorted by t).
 * The well comparison (`*_vs_well`) is the frame's value minus the median of
 * its `rule.window` nearest other frames on either side, whatever their
 * judgement: the calibrated judgement cannot feed its own features, and a
 * well's frames are mostly in focus, so the median stands for its in-focus
 * look. One other frame is enough (a calibration z-stack or a short series).
 * The legacy features read the uncalibrated temporal pass, as they did.
 */
export function seriesCalibrationFeatures(frames: readonly SeriesFrame[], rule: TemporalRule = TEMPORAL_RULE): FeatureValues[] {
  return featuresOfSeries(frames, judgeSeriesTemporal(frames, rule), rule);
}

function featuresOfSeries(frames: readonly SeriesFrame[], temporal: readonly FrameJudgement[], rule: TemporalRule): FeatureValues[] {
  const q = frames.map(frameQuantities);
  return frames.map((f, i) => {
    const rel = temporal[i]!.relativeSharpness;
    const logRel = safeLog(rel);
    const out: Record<string, number | null> = {
      logit_p_oof: q[i]!.logit_p_oof,
      log_relative_sharpness: logRel,
      abs_log_relative_sharpness: logRel === null ? null : Math.abs(logRel),
      log_content_sharpness: q[i]!.log_content_sharpness,
      log_laplacian_var: q[i]!.log_laplacian_var,
      log_norm_variance: q[i]!.log_norm_variance,
    };
    for (const k of WELL_QUANTITIES) {
      const v = q[i]![k];
      const near: number[] = [];
      for (let d = 1; near.length < rule.window && (i - d >= 0 || i + d < frames.length); d++) {
        const before = i - d >= 0 ? q[i - d]![k] : null;
        const after = i + d < frames.length ? q[i + d]![k] : null;
        if (before !== null) near.push(before);
        if (after !== null && near.length < rule.window) near.push(after);
      }
      const diff = v === null || !near.length ? null : v - median(near);
      out[`${k}_vs_well`] = diff;
      out[`abs_${k}_vs_well`] = diff === null ? null : Math.abs(diff);
    }
    return out;
  });
}

/** The vector of `names` (a fit's features) from a frame's feature values; an unknown name is an error. */
export function featureVector(values: FeatureValues, names: readonly string[]): (number | null)[] {
  return names.map((n) => {
    if (!(n in values)) throw new Error(`unknown calibration feature "${n}"`);
    return values[n]!;
  });
}

/**
 * The legacy feature vector of one frame (LEGACY_CALIBRATION_FEATURES order),
 * for callers that have a relative sharpness but no series.
 */
export function calibrationFeatures(pOof: number, metrics: MetricsLike, relativeSharpness: number | null): (number | null)[] {
  const logRel = safeLog(relativeSharpness);
  return [
    logit(pOof),
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
 * OOF on standardised features. With ~20 labels per class, the penalty keeps
 * the fit from chasing single labels. `names` are stored with the fit (default:
 * CALIBRATION_FEATURES, or LEGACY_CALIBRATION_FEATURES for six columns).
 */
export function fitCalibration(xs: readonly (readonly (number | null)[])[], ys: readonly boolean[], l2 = 1, names?: readonly string[]): CalibrationFit {
  const n = xs.length;
  const nOof = ys.filter(Boolean).length;
  if (n !== ys.length) throw new Error('fitCalibration: features and labels differ in length');
  if (nOof === 0 || nOof === n) throw new Error(`calibration needs labels of both classes (got ${n - nOof} in focus, ${nOof} out of focus)`);
  const d = xs[0]?.length ?? 0;
  const featureNames = names ?? (d === LEGACY_CALIBRATION_FEATURES.length ? LEGACY_CALIBRATION_FEATURES : CALIBRATION_FEATURES);
  if (featureNames.length < d) throw new Error(`fitCalibration: ${d} feature columns but ${featureNames.length} names`);
  const mean: number[] = [];
  const scale: number[] = [];
  for (let k = 0; k < d; k++) {
    const vals = xs.map((x) => x[k]).filter((v): v is number => v !== null && v !== undefined);
    const m = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0;
    const sd = vals.length > 1 ? Math.sqrt(vals.reduce((a, v) => a + (v - m) ** 2, 0) / vals.length) : 0;
    mean.push(m);
    scale.push(sd > 1e-9 ? sd : 1);
  }
  const rows = xs.map((x) => [1, ...x.map((v, k) => (v === null || v === undefined ? 0 : (v - mean[k]!) / scale[k]!))]);
  // Each class carries half the total weight, so 5 OOF labels among 40 count as much as the 35.
  const wPos = n / (2 * nOof);
  const wNeg = n / (2 * (n - nOof));
  const beta = new Array<number>(d + 1).fill(0); // [bias, w...]
  for (let iter = 0; iter < 50; iter++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      let z = 0;
      for (let k = 0; k <= d; k++) z += row[k]! * beta[k]!;
      const p = sigmoid(z);
      const w = ys[i] ? wPos : wNeg;
      const r = w * (p - (ys[i] ? 1 : 0));
      const h = w * p * (1 - p);
      for (let a = 0; a <= d; a++) {
        const ha = h * row[a]!;
        grad[a]! += r * row[a]!;
        const hessRow = hess[a]!;
        for (let b = a; b <= d; b++) hessRow[b]! += ha * row[b]!;
      }
    }
    for (let a = 0; a <= d; a++) for (let b = 0; b < a; b++) hess[a]![b] = hess[b]![a]!;
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
  return { features: [...featureNames].slice(0, d), mean, scale, weights: beta.slice(1), bias: beta[0]!, l2 };
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

type Rows = readonly (readonly (number | null)[])[];

/**
 * Folds of a cross-validation, stratified and deterministic: each class's
 * labels in order go to folds 0, 1, …, k−1, 0, … (k ≥ n: leave-one-out).
 */
export function crossValidationFolds(ys: readonly boolean[], k: number): number[] {
  if (k >= ys.length) return ys.map((_, i) => i);
  const seen = { pos: 0, neg: 0 };
  return ys.map((y) => (y ? seen.pos++ : seen.neg++) % k);
}

/** Labels up to which the reported cross-validation leaves one out; above, CALIBRATION_CV_FOLDS folds (its cost grows with the cube of the labels). */
export const CALIBRATION_LOO_MAX = 40;
/** Folds of the choice of features and penalty, and of the reported cross-validation above CALIBRATION_LOO_MAX labels. */
export const CALIBRATION_CV_FOLDS = 10;

/** Out-of-fold predictions of fitCalibration at one penalty. */
function outOfFold(xs: Rows, ys: readonly boolean[], folds: readonly number[], l2: number, names: readonly string[]): number[] {
  const ps = new Array<number>(xs.length);
  for (const f of new Set(folds)) {
    const train = folds.flatMap((g, i) => (g === f ? [] : [i]));
    const fit = fitCalibration(train.map((i) => xs[i]!), train.map((i) => ys[i]!), l2, names);
    folds.forEach((g, i) => {
      if (g === f) ps[i] = calibratedPOof(fit, xs[i]!);
    });
  }
  return ps;
}

/** Class-balanced log-loss of predictions and its standard error (classes weigh half each). */
function balancedLogLoss(ps: readonly number[], ys: readonly boolean[]): { loss: number; se: number } {
  const per = (cls: boolean) => ps.flatMap((p, i) => (ys[i] === cls ? [-Math.log(cls ? clampP(p) : 1 - clampP(p))] : []));
  const stats = (l: number[]) => {
    const m = l.reduce((a, v) => a + v, 0) / l.length;
    return { m, v: l.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(1, l.length - 1) / l.length };
  };
  const pos = stats(per(true));
  const neg = stats(per(false));
  return { loss: (pos.m + neg.m) / 2, se: Math.sqrt(pos.v + neg.v) / 2 };
}

/** Calibrated p(OOF) of a feature row whose columns are named by `names` (the fit reads its own features from it). */
export function calibratedPOofOfRow(fit: CalibrationFit, row: readonly (number | null)[], names: readonly string[] = CALIBRATION_FEATURES): number {
  return calibratedPOof(
    fit,
    fit.features.map((n) => {
      const k = names.indexOf(n);
      if (k < 0) throw new Error(`the fit reads feature "${n}", which the row does not have`);
      return row[k]!;
    }),
  );
}

/** A fitting procedure: labelled feature rows → fit. */
export type CalibrationProcedure = (xs: Rows, ys: readonly boolean[]) => CalibrationFit;

/**
 * The calibration's choice of features and penalty, made by cross-validation
 * on the operator's labels only (CALIBRATION_CV_FOLDS stratified folds, or
 * leave-one-out with fewer labels). Every (feature set, λ) of
 * CALIBRATION_FEATURE_SETS × CALIBRATION_L2_GRID is scored by its out-of-fold
 * class-balanced log-loss
 * (not the accuracy: with 20 labels per class the accuracy moves in steps of
 * 2.5% and ties everywhere, the log-loss ranks smoothly); the choice is the
 * simplest feature set, then the strongest penalty, whose loss is within one
 * standard error of the best (the one-standard-error rule: 40 labels cannot
 * tell smaller differences from noise, and the simpler fit varies less).
 * `xs` columns are named by `names` (default CALIBRATION_FEATURES).
 */
export function selectCalibration(
  xs: Rows,
  ys: readonly boolean[],
  names: readonly string[] = CALIBRATION_FEATURES,
  sets: readonly (readonly string[])[] = CALIBRATION_FEATURE_SETS,
  grid: readonly number[] = CALIBRATION_L2_GRID,
): CalibrationFit {
  if (xs.length && xs[0]!.length !== names.length) throw new Error(`selectCalibration: ${xs[0]!.length} feature columns but ${names.length} names`);
  const columns = sets.map((set) =>
    set.map((n) => {
      const k = names.indexOf(n);
      if (k < 0) throw new Error(`selectCalibration: feature set names "${n}", which is not a column`);
      return k;
    }),
  );
  const subset = (cols: number[]) => xs.map((x) => cols.map((k) => x[k]!));
  const nOof = ys.filter(Boolean).length;
  const strongestFirst = [...grid].sort((a, b) => b - a);
  // Cross-validation needs two labels of each class; with fewer, the simplest set and the strongest penalty.
  if (nOof < 2 || ys.length - nOof < 2) return fitCalibration(subset(columns[0]!), ys, strongestFirst[0], sets[0]);
  const folds = crossValidationFolds(ys, CALIBRATION_CV_FOLDS);
  const scored = sets.flatMap((set, s) =>
    strongestFirst.map((l2) => ({ s, l2, ...balancedLogLoss(outOfFold(subset(columns[s]!), ys, folds, l2, set), ys) })),
  );
  const best = scored.reduce((a, b) => (b.loss < a.loss ? b : a));
  const chosen = scored.find((c) => c.loss <= best.loss + best.se)!; // in order: simplest set, strongest penalty
  return fitCalibration(subset(columns[chosen.s]!), ys, chosen.l2, sets[chosen.s]);
}

/**
 * Cross-validation of a calibration procedure: leave-one-out up to
 * CALIBRATION_LOO_MAX labels (labels are few), else CALIBRATION_CV_FOLDS
 * stratified folds. Every label is predicted by a fit that never saw it — its
 * features and penalty chosen without it too, so the estimate is not
 * flattered by the choice. Default procedure: selectCalibration.
 */
export function crossValidateCalibration(
  xs: Rows,
  ys: readonly boolean[],
  names: readonly string[] = CALIBRATION_FEATURES,
  procedure: CalibrationProcedure = (x, y) => selectCalibration(x, y, names),
): CrossValidation {
  const folds = crossValidationFolds(ys, xs.length <= CALIBRATION_LOO_MAX ? xs.length : CALIBRATION_CV_FOLDS);
  const ps = new Array<number>(xs.length);
  for (const f of new Set(folds)) {
    const train = folds.flatMap((g, i) => (g === f ? [] : [i]));
    const fit = procedure(train.map((i) => xs[i]!), train.map((i) => ys[i]!));
    folds.forEach((g, i) => {
      if (g === f) ps[i] = calibratedPOofOfRow(fit, xs[i]!, names);
    });
  }
  let tp = 0, tn = 0, pos = 0, neg = 0;
  for (let i = 0; i < xs.length; i++) {
    const p = ps[i]!;
    if (ys[i]) {
      pos++;
      if (p >= 0.5) tp++;
    } else {
      neg++;
      if (p < 0.5) tn++;
    }
  }
  return { accuracy: (tp + tn) / xs.length, balancedAccuracy: (tp / pos + tn / neg) / 2, folds: new Set(folds).size };
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
 * Judges a well's series under a calibration: the features are computed as
 * the fit was made on them (well comparison, or for a legacy fit the relative
 * sharpness of the uncalibrated temporal pass), the decision from the
 * calibrated p(OOF).
 */
export function judgeSeriesCalibrated(frames: readonly SeriesFrame[], fit: CalibrationFit, rule: TemporalRule = TEMPORAL_RULE): FrameJudgement[] {
  const temporal = judgeSeriesTemporal(frames, rule);
  return featuresOfSeries(frames, temporal, rule).map((values, i) => {
    const p = calibratedPOof(fit, featureVector(values, fit.features));
    return { oof: p >= 0.5, basis: 'calibration', pUsed: p, relativeSharpness: temporal[i]!.relativeSharpness };
  });
}
