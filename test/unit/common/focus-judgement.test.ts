import { describe, expect, it } from 'vitest';
import {
  balancedAccuracy,
  CALIBRATION_FEATURES,
  CALIBRATION_L2_GRID,
  CALIBRATION_CV_FOLDS,
  CALIBRATION_FEATURE_SETS,
  CALIBRATION_LOO_MAX,
  calibratedPOof,
  calibratedPOofOfRow,
  calibrationFeatures,
  contentSharpness,
  crossValidateCalibration,
  crossValidationFolds,
  featureVector,
  fitCalibration,
  judgeSeriesCalibrated,
  judgeSeriesTemporal,
  LEGACY_CALIBRATION_FEATURES,
  selectCalibration,
  seriesCalibrationFeatures,
  type SeriesFrame,
} from '../../../main/common/focus-judgement.js';
import { MULBERRY32_INCREMENT, mulberry32Output } from '../../../main/common/random.js';

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Output(state) / 2 ** 32;
  };
}

/** A frame whose content sharpness (laplacian / tenenbaum) is `sharp`. */
function frame(t: number, pOof: number, sharp: number, contentAmount = 1): SeriesFrame {
  return { t, pOof, modelOof: pOof >= 0.5, metrics: { tenenbaum: contentAmount, laplacianVariance: sharp * contentAmount, normalizedVariance: 0.01 * contentAmount } };
}

describe('contentSharpness', () => {
  it('is the Laplacian variance per unit of gradient energy, independent of the amount of content', () => {
    expect(contentSharpness({ tenenbaum: 2, laplacianVariance: 3, normalizedVariance: 1 })).toBe(1.5);
    expect(contentSharpness({ tenenbaum: 20, laplacianVariance: 30, normalizedVariance: 1 })).toBe(1.5);
    expect(contentSharpness({ tenenbaum: 0, laplacianVariance: 3, normalizedVariance: 1 })).toBeNull();
    expect(contentSharpness({ tenenbaum: null, laplacianVariance: 3, normalizedVariance: 1 })).toBeNull();
  });
});

describe('judgeSeriesTemporal', () => {
  it('keeps a sparse well that the model calls OOF throughout in focus when it is as sharp as usual', () => {
    const series = Array.from({ length: 12 }, (_, i) => frame(i + 1, 0.9, 1 + 0.05 * Math.sin(i), 0.01));
    const j = judgeSeriesTemporal(series);
    expect(j.every((x) => !x.oof && x.basis === 'temporal')).toBe(true);
    expect(j[5]!.relativeSharpness).toBeGreaterThan(0.9);
  });

  it('flags an OOF episode against the well\'s recent in-focus frames and returns to focus after it', () => {
    const series = Array.from({ length: 20 }, (_, i) => {
      const episode = i >= 10 && i < 14;
      return frame(i + 1, episode ? 0.95 : 0.1, episode ? 0.3 : 1);
    });
    const j = judgeSeriesTemporal(series);
    expect(j.map((x) => x.oof)).toEqual(series.map((_, i) => i >= 10 && i < 14));
    // Inside the episode the reference stays the in-focus frames before it.
    expect(j[13]!.relativeSharpness).toBeCloseTo(0.3, 5);
    expect(j.every((x) => x.basis === 'model')).toBe(true);
  });

  it('leaves a frame the model is sure of OOF even when its whole well is equally blurred', () => {
    const j = judgeSeriesTemporal(Array.from({ length: 10 }, (_, i) => frame(i + 1, 0.999, 0.3)));
    expect(j.every((x) => x.oof && x.basis === 'model')).toBe(true);
  });

  it('flags a frame far blurrier than its well even when the model leans in focus', () => {
    const series = Array.from({ length: 8 }, (_, i) => frame(i + 1, i === 6 ? 0.3 : 0.05, i === 6 ? 0.2 : 1));
    const j = judgeSeriesTemporal(series);
    expect(j[6]).toMatchObject({ oof: true, basis: 'temporal' });
    expect(j.filter((x) => x.oof)).toHaveLength(1);
    // ... but not when the model is confident it is in focus (p below flagAbove).
    const calm = judgeSeriesTemporal(series.map((f, i) => (i === 6 ? { ...f, pOof: 0.1, modelOof: false } : f)));
    expect(calm[6]).toMatchObject({ oof: false, basis: 'model' });
  });

  it('flags a frame whose sharpness rose far above its well\'s (noise-dominated blur) and never keeps it in focus', () => {
    // Defocus that leaves mostly camera noise raises laplacian / tenenbaum (the simulator's OOF frames: 2.7–5.6×).
    const series = Array.from({ length: 10 }, (_, i) => frame(i + 1, i === 6 ? 0.4 : i === 8 ? 0.9 : 0.05, i === 6 || i === 8 ? 3.5 : 1));
    const j = judgeSeriesTemporal(series);
    expect(j[6]).toMatchObject({ oof: true, basis: 'temporal' });
    expect(j[8]).toMatchObject({ oof: true, basis: 'model' }); // p 0.9 and 3.5× its well: not rescued
    expect(j[6]!.relativeSharpness).toBeCloseTo(3.5, 6);
    expect(j.filter((x) => x.oof)).toHaveLength(2);
  });

  it('falls back to the model when there are too few frames for a reference', () => {
    const j = judgeSeriesTemporal([frame(1, 0.9, 1), frame(2, 0.2, 1)]);
    expect(j).toEqual([
      { oof: true, basis: 'model', pUsed: 0.9, relativeSharpness: null },
      { oof: false, basis: 'model', pUsed: 0.2, relativeSharpness: null },
    ]);
  });

  it('rejects a series out of time order', () => {
    expect(() => judgeSeriesTemporal([frame(2, 0.1, 1), frame(1, 0.1, 1)])).toThrow(/sorted by t/);
  });
});

describe('calibration', () => {
  /** A microscope where the model's p(OOF) is useless (always ~0.97) but sharpness separates the classes. */
  function labelled(seed: number, n: number) {
    const rnd = mulberry32(seed);
    const xs: (number | null)[][] = [];
    const ys: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const oof = i % 2 === 1;
      const sharp = (oof ? 0.4 : 1) * (1 + 0.15 * (rnd() - 0.5));
      const p = 0.97 + 0.02 * rnd();
      xs.push(calibrationFeatures(p, { tenenbaum: 1, laplacianVariance: sharp, normalizedVariance: 0.01 }, sharp));
      ys.push(oof);
    }
    return { xs, ys };
  }

  it('fits a decision that separates the classes the model could not, with a cross-validated accuracy', () => {
    const train = labelled(1, 40);
    const fit = fitCalibration(train.xs, train.ys);
    expect(fit.features).toEqual(['logit_p_oof', 'log_relative_sharpness', 'abs_log_relative_sharpness', 'log_content_sharpness', 'log_laplacian_var', 'log_norm_variance']);
    const test = labelled(2, 200);
    const pred = test.xs.map((x) => calibratedPOof(fit, x) >= 0.5);
    expect(balancedAccuracy(pred, test.ys)).toBeGreaterThanOrEqual(0.98);
    const cv = crossValidateCalibration(train.xs, train.ys, LEGACY_CALIBRATION_FEATURES, (x, y) => fitCalibration(x, y));
    expect(cv.folds).toBe(40);
    expect(cv.balancedAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('reports chance-level cross-validation when the features carry no signal', () => {
    const rnd = mulberry32(5);
    const xs = Array.from({ length: 40 }, () => [rnd(), rnd(), rnd(), rnd(), rnd(), rnd()]);
    const ys = xs.map((_, i) => i % 2 === 0);
    expect(crossValidateCalibration(xs, ys, LEGACY_CALIBRATION_FEATURES, (x, y) => fitCalibration(x, y)).balancedAccuracy).toBeLessThan(0.75);
  });

  it('needs both classes and the right number of features', () => {
    expect(() => fitCalibration([[1], [2]], [true, true])).toThrow(/both classes \(got 0 in focus, 2 out of focus\)/);
    const fit = fitCalibration([[0], [1], [0.1], [0.9]], [false, true, false, true]);
    expect(() => calibratedPOof(fit, [1, 2])).toThrow(/expects 1 features, got 2/);
  });

  it('judges a well through the fit, with relative sharpness from the uncalibrated pass', () => {
    const train = labelled(3, 40);
    const fit = fitCalibration(train.xs, train.ys);
    const series = Array.from({ length: 12 }, (_, i) => frame(i + 1, 0.98, i === 7 ? 0.4 : 1));
    const j = judgeSeriesCalibrated(series, fit);
    expect(j.map((x) => x.oof)).toEqual(series.map((_, i) => i === 7));
    expect(j.every((x) => x.basis === 'calibration')).toBe(true);
  });

  it('judges a legacy (profile version 1) fit exactly as the legacy features did', () => {
    const train = labelled(4, 40);
    const fit = fitCalibration(train.xs, train.ys);
    expect(fit.features).toEqual([...LEGACY_CALIBRATION_FEATURES]);
    const series = Array.from({ length: 12 }, (_, i) => frame(i + 1, 0.98, i === 7 ? 0.4 : 1));
    const temporal = judgeSeriesTemporal(series);
    const j = judgeSeriesCalibrated(series, fit);
    j.forEach((x, i) => {
      expect(x.pUsed).toBe(calibratedPOof(fit, calibrationFeatures(series[i]!.pOof, series[i]!.metrics, temporal[i]!.relativeSharpness)));
      expect(x.relativeSharpness).toBe(temporal[i]!.relativeSharpness);
    });
  });
});

describe('seriesCalibrationFeatures', () => {
  /** A frame with explicit metrics (all five). */
  function metricsFrame(t: number, pOof: number, tenenbaum: number, laplacianVariance = 2 * tenenbaum): SeriesFrame {
    return { t, pOof, modelOof: pOof >= 0.5, metrics: { tenenbaum, laplacianVariance, normalizedVariance: 0.01, vollathF4: tenenbaum / 2, vollathF5: null } };
  }

  it("compares each frame with the median of its well's nearest other frames, in either direction", () => {
    const series = [metricsFrame(1, 0.5, 1), metricsFrame(2, 0.5, 4), metricsFrame(3, 0.5, 2), metricsFrame(4, 0.5, 8)];
    const f = seriesCalibrationFeatures(series);
    // Frame 2 (tenenbaum 4) against frames 1, 3, 4 (median 2); frame 1 against 2, 3, 4 (median 4).
    expect(f[1]!.log_tenenbaum_vs_well).toBeCloseTo(Math.log(2), 12);
    expect(f[0]!.log_tenenbaum_vs_well).toBeCloseTo(-Math.log(4), 12);
    expect(f[0]!.abs_log_tenenbaum_vs_well).toBeCloseTo(Math.log(4), 12);
    // Laplacian / Tenenbaum is 2 in every frame: the content sharpness is the same as the well's.
    expect(f.every((x) => Math.abs(x.log_content_sharpness_vs_well!) < 1e-12)).toBe(true);
    expect(f.every((x) => x.logit_p_oof_vs_well === 0 && x.logit_p_oof === 0)).toBe(true);
    // A metric that is missing everywhere has no comparison.
    expect(f.every((x) => x.log_vollath_f5_vs_well === null && x.abs_log_vollath_f5_vs_well === null)).toBe(true);
    expect(f[3]!.log_vollath_f4_vs_well).toBeCloseTo(Math.log(8 / 2), 12);
  });

  it('needs one other frame in the well: a pair compares with its partner, a lone frame has no comparison', () => {
    const pair = seriesCalibrationFeatures([metricsFrame(1, 0.9, 0.5), metricsFrame(2, 0.1, 1)]);
    expect(pair[0]!.log_tenenbaum_vs_well).toBeCloseTo(Math.log(0.5), 12);
    expect(pair[1]!.log_tenenbaum_vs_well).toBeCloseTo(Math.log(2), 12);
    expect(pair[0]!.log_relative_sharpness).toBeNull(); // the temporal rule needs 3 frames
    const lone = seriesCalibrationFeatures([metricsFrame(1, 0.9, 0.5)]);
    expect(CALIBRATION_FEATURES.filter((n) => n.endsWith('_vs_well')).every((n) => lone[0]![n] === null)).toBe(true);
    expect(lone[0]!.logit_p_oof).toBeCloseTo(Math.log(9), 12);
  });

  it('orders a vector by the fit\'s feature names and refuses a name it does not compute', () => {
    const [v] = seriesCalibrationFeatures([metricsFrame(1, 0.5, 1)]);
    expect(featureVector(v!, ['logit_p_oof', 'log_norm_variance'])).toEqual([0, Math.log(0.01)]);
    expect(() => featureVector(v!, ['logit_p_oof', 'focus_by_magic'])).toThrow(/unknown calibration feature "focus_by_magic"/);
  });
});

describe('selectCalibration', () => {
  /** Wells of 6 frames; the model's p(OOF) is useless, a blurred frame loses 60% of its gradient energy against its well. */
  function wells(seed: number, nWells: number) {
    const rnd = mulberry32(seed);
    const xs: (number | null)[][] = [];
    const ys: boolean[] = [];
    const series: SeriesFrame[][] = [];
    for (let w = 0; w < nWells; w++) {
      const content = 0.1 + 5 * rnd(); // wells differ in content far more than focus changes a frame
      const frames = Array.from({ length: 6 }, (_, i) => {
        const oof = i === (w % 6);
        const ten = content * (oof ? 0.4 : 1) * (1 + 0.1 * (rnd() - 0.5));
        return { t: i + 1, pOof: 0.9 + 0.09 * rnd(), modelOof: true, metrics: { tenenbaum: ten, laplacianVariance: ten * (1 + 0.1 * rnd()), normalizedVariance: 0.01, vollathF4: ten / 3, vollathF5: ten / 4 } };
      });
      series.push(frames);
      seriesCalibrationFeatures(frames).forEach((v, i) => {
        xs.push(featureVector(v, CALIBRATION_FEATURES));
        ys.push(i === (w % 6));
      });
    }
    return { xs, ys, series };
  }

  it('turns to the focus metrics against the well when the model\'s p(OOF) cannot rank the frames', () => {
    const all = wells(7, 24);
    // 20 labels per class, as an operator gives them.
    const idx = [...all.ys.flatMap((y, i) => (y ? [i] : [])).slice(0, 20), ...all.ys.flatMap((y, i) => (y ? [] : [i])).slice(0, 20)];
    const fit = selectCalibration(idx.map((i) => all.xs[i]!), idx.map((i) => all.ys[i]!));
    expect(fit.features).toEqual([...CALIBRATION_FEATURES]);
    expect(CALIBRATION_L2_GRID).toContain(fit.l2);
    const test = wells(8, 24);
    expect(balancedAccuracy(test.xs.map((x) => calibratedPOofOfRow(fit, x) >= 0.5), test.ys)).toBeGreaterThanOrEqual(0.98);
    const j = test.series.flatMap((s) => judgeSeriesCalibrated(s, fit));
    expect(balancedAccuracy(j.map((x) => x.oof), test.ys)).toBeGreaterThanOrEqual(0.98);
  });

  it('keeps the simple fit (logit and logit against the well) when the model ranks the frames', () => {
    const rnd = mulberry32(11);
    const xs: (number | null)[][] = [];
    const ys: boolean[] = [];
    for (let w = 0; w < 20; w++) {
      // Pairs as a two-plane z-stack: a defocused frame and its in-focus partner; the model ranks them, its threshold is off.
      const frames: SeriesFrame[] = [0, 1].map((i) => {
        const p = i === 0 ? 0.4 + 0.3 * rnd() : 0.05 + 0.2 * rnd();
        return { t: i + 1, pOof: p, modelOof: p >= 0.5, metrics: { tenenbaum: rnd(), laplacianVariance: rnd(), normalizedVariance: rnd(), vollathF4: rnd(), vollathF5: rnd() } };
      });
      seriesCalibrationFeatures(frames).forEach((v, i) => {
        xs.push(featureVector(v, CALIBRATION_FEATURES));
        ys.push(i === 0);
      });
    }
    const fit = selectCalibration(xs, ys);
    expect(fit.features).toEqual([...CALIBRATION_FEATURE_SETS[0]!]);
    expect(crossValidateCalibration(xs, ys).balancedAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('chooses the simplest set and strongest penalty when the features carry no signal, and cross-validates the choice with it', () => {
    const rnd = mulberry32(9);
    const xs = Array.from({ length: 40 }, () => CALIBRATION_FEATURES.map(() => rnd()));
    const ys = xs.map((_, i) => i % 2 === 0);
    const fit = selectCalibration(xs, ys);
    expect(fit.features).toEqual([...CALIBRATION_FEATURE_SETS[0]!]);
    expect(fit.l2).toBe(Math.max(...CALIBRATION_L2_GRID));
    expect(crossValidateCalibration(xs, ys).balancedAccuracy).toBeLessThan(0.75);
    expect(() => selectCalibration(xs, ys.map(() => true))).toThrow(/both classes/);
    expect(() => selectCalibration(xs.map((x) => x.slice(0, 6)), ys)).toThrow(/6 feature columns but 15 names/);
  });

  it('cross-validates in stratified, deterministic folds: leave-one-out for few labels, 10 folds for many', () => {
    expect(crossValidationFolds([true, false, true, false], 10)).toEqual([0, 1, 2, 3]);
    expect(crossValidationFolds([true, true, false, true, false, false, true], 3)).toEqual([0, 1, 0, 2, 1, 2, 0]);
    const rnd = mulberry32(12);
    const many = Array.from({ length: CALIBRATION_LOO_MAX + 20 }, (_, i) => ({ y: i % 3 === 0, x: CALIBRATION_FEATURES.map(() => rnd()) }));
    many.forEach((m) => (m.x[0] = (m.y ? 2 : 0) + rnd())); // the logit separates the classes
    const cv = crossValidateCalibration(many.map((m) => m.x), many.map((m) => m.y));
    expect(cv.folds).toBe(CALIBRATION_CV_FOLDS);
    expect(cv.balancedAccuracy).toBe(1);
    expect(crossValidateCalibration(many.slice(0, CALIBRATION_LOO_MAX).map((m) => m.x), many.slice(0, CALIBRATION_LOO_MAX).map((m) => m.y)).folds).toBe(CALIBRATION_LOO_MAX);
  });
});
