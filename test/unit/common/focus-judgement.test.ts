import { describe, expect, it } from 'vitest';
import {
  balancedAccuracy,
  calibratedPOof,
  calibrationFeatures,
  contentSharpness,
  crossValidateCalibration,
  fitCalibration,
  judgeSeriesCalibrated,
  judgeSeriesTemporal,
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
    const cv = crossValidateCalibration(train.xs, train.ys);
    expect(cv.folds).toBe(40);
    expect(cv.balancedAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('reports chance-level cross-validation when the features carry no signal', () => {
    const rnd = mulberry32(5);
    const xs = Array.from({ length: 40 }, () => [rnd(), rnd(), rnd(), rnd(), rnd(), rnd()]);
    const ys = xs.map((_, i) => i % 2 === 0);
    expect(crossValidateCalibration(xs, ys).balancedAccuracy).toBeLessThan(0.75);
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
});
